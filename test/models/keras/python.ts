import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";

/** The Debian python with h5py that cross-checks our files (CI installs python3-h5py). */
export const PYTHON = "/usr/bin/python3";

/** Why the h5py checks are skipped here, or "" when h5py is importable. */
export const H5PY_MISSING = (() => {
  const r = spawnSync(PYTHON, ["-c", "import h5py, numpy"], { encoding: "utf8" });
  return r.status === 0
    ? ""
    : `SKIPPED: ${PYTHON} cannot import h5py (apt-get install python3-h5py): ${(r.stderr || r.error?.message || "").trim().split("\n").pop()}`;
})();
if (H5PY_MISSING) console.warn(`[keras tests] ${H5PY_MISSING}`);

/** Run scripts/reference/keras-layout.py with arguments; returns its stdout. */
export function kerasLayoutPy(...args: string[]): string {
  return execFileSync(PYTHON, [join("scripts", "reference", "keras-layout.py"), ...args], { encoding: "utf8" });
}
