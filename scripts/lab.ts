/**
 * `npm run lab`: register the tslab kernel and serve the project root (so `outputs/` is reachable) in JupyterLab
 * when installed, else in the classic Jupyter Notebook, opening on `notebooks/`. The project's Jupyter config saves
 * notebooks under `notebooks/` without outputs. Without Jupyter it prints the install commands. Other arguments go to Jupyter
 * (`npm run lab -- --no-browser --port 8899`). `--kernel-only` (`npm run kernel`) only registers the kernel and
 * rebuilds the `pneumo-lab` package notebooks import (after library changes, then restart the kernel); that part
 * needs no Jupyter.
 */
import { spawn } from "node:child_process";
import { findProjectRoot } from "../src/lib/data/roots";
import { runCli } from "./cliMain";
import { findJupyter, JUPYTER_INSTALL_HINT, prepareKernel, writeJupyterConfig } from "./jupyter";

/** Start Jupyter in the foreground; resolves with its exit code. */
function main(args: string[]): Promise<number> {
  const root = findProjectRoot();
  if (args.includes("--kernel-only")) {
    console.log(`kernel: tslab registered in ${prepareKernel({ root, log: (l) => console.log(l) }).jupyterPath}`);
    return Promise.resolve(0);
  }
  const jupyter = findJupyter();
  if (!jupyter || !(jupyter.hasLab || jupyter.hasNotebook)) {
    const noFrontEnd = jupyter ? `Jupyter at ${jupyter.python} has no JupyterLab or Notebook front end.\n` : "";
    console.error(noFrontEnd + JUPYTER_INSTALL_HINT);
    return Promise.resolve(1);
  }
  const setup = prepareKernel({ root, log: (l) => console.log(l) });
  const app = jupyter.hasLab ? "lab" : "notebook";
  const configPath = [writeJupyterConfig(root), setup.env.JUPYTER_CONFIG_PATH].filter(Boolean).join(":");
  console.log(
    `lab: serving ${root} in Jupyter ${app === "lab" ? "Lab" : "Notebook"}, opening on notebooks/, with the tslab kernel ` +
      "(registered in .jupyter/); notebooks/ saves without outputs. Ctrl+C stops it.",
  );
  // Jupyter refuses to run as root (containers) without --allow-root.
  const rootFlag = process.getuid?.() === 0 && !args.includes("--allow-root") ? ["--allow-root"] : [];
  const open = app === "lab" ? "--LabApp.default_url=/lab/tree/notebooks" : "--NotebookApp.default_url=/tree/notebooks";
  const argv = ["-m", app === "lab" ? "jupyterlab" : "notebook", `--notebook-dir=${root}`, open, ...rootFlag, ...args];
  const child = spawn(jupyter.python, argv, {
    env: { ...setup.env, JUPYTER_CONFIG_PATH: configPath },
    stdio: "inherit",
  });
  return new Promise((resolve) => {
    child.on("exit", (code) => resolve(code ?? 0));
    child.on("error", (err) => {
      console.error(`lab: could not start Jupyter ${app}: ${err.message}. Received: ${jupyter.python}`);
      resolve(1);
    });
  });
}

runCli(() => main(process.argv.slice(2)));
