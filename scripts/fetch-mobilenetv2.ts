/**
 * `npm run fetch-weights -- mobilenetv2 [--top] [--file PATH]`: put Keras's official MobileNetV2 ImageNet file
 * (alpha 1.0, 224, no-top by default) into `.cache/weights/mobilenetv2/` (env PNEUMO_MOBILENETV2_DIR): from
 * `--file`, else from Keras's cache `~/.keras/models/`, else downloaded from Keras's storage. The file must load
 * into our MobileNetV2 (every layer name and shape); the top file must also classify the test photos (a cat class
 * for chelsea, espresso for coffee). Its SHA-256 is checked against the pinned or recorded one, else recorded.
 */
import * as tf from "@tensorflow/tfjs";
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { initBackend } from "../src/lib/backend";
import {
  loadMobileNetV2ImageNet,
  MOBILENETV2_FILES,
  MOBILENETV2_SHA256,
  MOBILENETV2_WEIGHTS_URL,
  mobileNetV2WeightsDir,
  recordedHashes,
  sha256File,
  SHA256SUMS,
} from "../src/lib/models/mobilenetv2Weights";

const log = (line: string): void => console.log(`[fetch-weights mobilenetv2] ${line}`);

// Test photos (skimage, CC0) and the ImageNet classes the top file must give them.
const PHOTOS = join(import.meta.dirname, "..", "test", "fixtures", "models");
const EXPECTED = [
  { name: "chelsea", classes: [281, 282, 283, 284, 285], what: "a cat class" },
  { name: "coffee", classes: [967], what: "espresso" },
];

// Download `url` to `path`, or a clear error when unreachable.
async function download(url: string, path: string): Promise<void> {
  log(`downloading ${url} …`);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    throw new Error(
      `fetch-weights: ${url} is unreachable (${(error as Error).cause ?? (error as Error).message}). ` +
        `Fix: download it elsewhere and pass --file PATH, or put it in ~/.keras/models/. Received: ${url}`,
    );
  }
  if (!response.ok)
    throw new Error(`fetch-weights: ${url} answered HTTP ${response.status}. Received: ${response.status}`);
  writeFileSync(path, new Uint8Array(await response.arrayBuffer()));
}

// The top file must recognise the photos; the no-top file must load with every name and shape.
async function verify(path: string, top: boolean): Promise<void> {
  await initBackend({ prefer: "wasm", quiet: true });
  const { backbone, classifier } = await loadMobileNetV2ImageNet(path, { top });
  log(`${backbone.layers.length} layers loaded, every name and shape matched`);
  for (const photo of classifier ? EXPECTED : []) {
    const { data, info } = await sharp(join(PHOTOS, `${photo.name}-224.png`))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const probs = tf.tidy(() =>
      (
        classifier!.predict(tf.tensor4d(Float32Array.from(data), [1, info.height, info.width, 3])) as tf.Tensor
      ).dataSync(),
    );
    const best = probs.indexOf(Math.max(...probs));
    if (!photo.classes.includes(best)) {
      throw new Error(
        `fetch-weights: ${path} does not classify ${photo.name}-224.png as ${photo.what} (top-1 class ${best}); ` +
          `these are not working ImageNet weights. Received: ${path}`,
      );
    }
    log(`${photo.name}: ImageNet class ${best} (p = ${probs[best]!.toFixed(3)}) ✓`);
  }
}

/** Entry point of `fetch-weights -- mobilenetv2`. */
export async function fetchMobileNetV2(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({
    args: argv,
    options: { top: { type: "boolean", default: false }, file: { type: "string" } },
  });
  const kind = o.top ? "top" : "noTop";
  const name = MOBILENETV2_FILES[kind];
  const dir = mobileNetV2WeightsDir();
  const target = join(dir, name);
  const cached = join(homedir(), ".keras", "models", name);
  const source = o.file ?? (existsSync(target) ? target : existsSync(cached) ? cached : undefined);
  if (o.file && !existsSync(o.file))
    throw new Error(`fetch-weights: --file ${o.file} does not exist. Received: ${o.file}`);
  const work = mkdtempSync(join(tmpdir(), "pneumo-mobilenetv2-"));
  try {
    const staged = join(work, name);
    if (source) copyFileSync(source, staged);
    else await download(MOBILENETV2_WEIGHTS_URL + name, staged);
    const got = sha256File(staged);
    const want = MOBILENETV2_SHA256[kind] ?? recordedHashes(dir)[name];
    if (want && got !== want)
      throw new Error(`fetch-weights: ${source ?? name} has SHA-256 ${got}, expected ${want}. Received: ${got}`);
    await verify(staged, Boolean(o.top));
    mkdirSync(dir, { recursive: true });
    if (staged !== target) renameSync(staged, target);
    if (!want) {
      appendFileSync(join(dir, SHA256SUMS), `${got}  ${name}\n`);
      log(
        `no official SHA-256 is published for ${name} (Keras's get_file has no file_hash); recorded ${got} in ${join(dir, SHA256SUMS)}`,
      );
    } else {
      log(`SHA-256 ${got} matches the ${MOBILENETV2_SHA256[kind] ? "pinned" : "recorded"} one`);
    }
    log(`done: ${target}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
