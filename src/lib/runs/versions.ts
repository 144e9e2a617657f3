import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** Packages whose versions every run records (those that exist are listed; missing optional ones are skipped). */
export const RECORDED_PACKAGES = [
  "@tensorflow/tfjs",
  "@tensorflow/tfjs-core",
  "@tensorflow/tfjs-layers",
  "@tensorflow/tfjs-backend-wasm",
  "@tensorflow/tfjs-node",
  "@tensorflow/tfjs-node-gpu",
  "sharp",
  "plotly.js-dist-min",
  "danfojs-node",
  "simple-statistics",
  "tslab",
] as const;

// Version from a package's package.json, or undefined when it is not installed.
function installedVersion(name: string, require: NodeJS.Require): string | undefined {
  try {
    const path = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(path, "utf8")) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Versions of Node and of the packages a run depends on, as installed now.
 * @example
 * packageVersions()["@tensorflow/tfjs"]; // "4.22.0"
 */
export function packageVersions(names: readonly string[] = RECORDED_PACKAGES): Record<string, string> {
  const require = createRequire(import.meta.url);
  const out: Record<string, string> = { node: process.versions.node };
  for (const name of names) {
    const version = installedVersion(name, require);
    if (version) out[name] = version;
  }
  return out;
}
