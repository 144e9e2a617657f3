/** Runs: folders under outputs/runs with a manifest (data hash, split seed, backend, package versions, metrics). */
export { RECORDED_PACKAGES, packageVersions } from "./versions";
export {
  checkRunFolderUse,
  createRunDir,
  emptyRunFolder,
  latestRun,
  runDirPath,
  runsRoot,
  RUNS_ENV,
  type RunDirOptions,
  type RunFolderUse,
} from "./runDir";
export { RUN_MANIFEST, readRunManifest, writeRunManifest, type RunData, type RunManifest } from "./manifest";
export { checkRunSplit, keepRunSplit, readRunSplit, RUN_SPLIT, runSplitPath } from "./split";
