import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

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
  "tslab",
  "onnxruntime-node",
  "h5wasm",
] as const;

type PackageJson = { name?: string; version?: string };

// Walks up from a resolved entry file to the package.json that names the package
// (for packages such as sharp whose "exports" hide ./package.json).
function manifestAbove(entry: string, name: string): PackageJson | undefined {
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const path = join(dir, "package.json");
    if (!existsSync(path)) continue;
    const json = JSON.parse(readFileSync(path, "utf8")) as PackageJson;
    if (json.name === name) return json;
  }
  return undefined;
}

// Version from a package's package.json, or undefined when it is not installed.
function installedVersion(name: string, require: NodeJS.Require): string | undefined {
  try {
    const path = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(path, "utf8")) as PackageJson).version;
  } catch {
    try {
      return manifestAbove(require.resolve(name), name)?.version;
    } catch {
      return undefined;
    }
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
