/** Runs: folders under outputs/runs with a manifest (data hash, split seed, backend, package versions, metrics). */
export { RECORDED_PACKAGES, packageVersions } from "./versions";
export { createRunDir, latestRun, runsRoot } from "./runDir";
export { RUN_MANIFEST, readRunManifest, writeRunManifest, type RunData, type RunManifest } from "./manifest";
