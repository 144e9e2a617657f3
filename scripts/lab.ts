/**
 * `npm run lab`: register the tslab kernel and open the notebooks folder in JupyterLab when installed, else in the
 * classic Jupyter Notebook. Without Jupyter it prints the install commands. Other arguments go to Jupyter
 * (`npm run lab -- --no-browser --port 8899`). `--kernel-only` (`npm run kernel`) only registers the kernel and
 * rebuilds the `pneumo-lab` package notebooks import (after library changes, then restart the kernel); that part
 * needs no Jupyter.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { findProjectRoot } from "../src/lib/data/roots";
import { runCli } from "./cliMain";
import { findJupyter, JUPYTER_INSTALL_HINT, prepareKernel } from "./jupyter";

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
  const notebooks = join(root, "notebooks");
  console.log(`lab: opening ${notebooks} in Jupyter ${app === "lab" ? "Lab" : "Notebook"} with the tslab kernel (registered in .jupyter/); Ctrl+C stops it.`);
  // Jupyter refuses to run as root (containers) without --allow-root.
  const rootFlag = process.getuid?.() === 0 && !args.includes("--allow-root") ? ["--allow-root"] : [];
  const child = spawn(jupyter.python, ["-m", app === "lab" ? "jupyterlab" : "notebook", `--notebook-dir=${notebooks}`, ...rootFlag, ...args], { env: setup.env, stdio: "inherit" });
  return new Promise((resolve) => {
    child.on("exit", (code) => resolve(code ?? 0));
    child.on("error", (err) => {
      console.error(`lab: could not start Jupyter ${app}: ${err.message}. Received: ${jupyter.python}`);
      resolve(1);
    });
  });
}

runCli(() => main(process.argv.slice(2)));
