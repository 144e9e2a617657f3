/**
 * Frozen-backbone feature cache: run the backbone over the records once per key (data manifest, preprocessing,
 * backbone, input size), store the features as raw Float32 plus a JSON meta (both written atomically, the meta
 * last as the commit record), and reload them next time. A missing, partial or corrupt cache is recomputed.
 */
import * as tf from "@tensorflow/tfjs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { imageBatches } from "../data/batches";
import { labelToTarget, type ImageRecord, type ImageTransform } from "../data/types";
import { resolveProgress, type ProgressSink } from "./progress";
import { sha256Hex, writeFileAtomic } from "./tensorFiles";

/** What the features depend on; any change gives a different cache file. */
export interface FeatureCacheKey {
  /** Hash of the split manifest / records (e.g. `hashRecords`). */
  manifestHash: string;
  /** Description of the preprocessing, e.g. "caffe-bgr" or "clahe2-rgb01". */
  preprocessing: string;
  /** Backbone name and weights, e.g. "resnet50-imagenet-avgpool". */
  backbone: string;
  /** Square input size in pixels. */
  inputSize: number;
}

/** A backbone that runs outside TF.js (e.g. onnxruntime): host batch in, one feature row per image out. */
export interface HostBackbone {
  runHost(xs: Float32Array, shape: readonly number[]): Promise<Float32Array>;
}

/** Options of `cachedFeatures`. */
export interface CachedFeaturesOptions {
  /** A model, or any function from a [n, s, s, c] batch to [n, ...] features. */
  backbone: tf.LayersModel | ((xs: tf.Tensor4D) => tf.Tensor) | HostBackbone;
  records: ImageRecord[];
  key: FeatureCacheKey;
  /** Folder of the cache files. */
  dir: string;
  /** Default 32. */
  batchSize?: number;
  /** Default 3. */
  channels?: 1 | 3;
  /** The preprocessing that `key.preprocessing` names (applied to the 0–255 decoded image). */
  transform?: ImageTransform;
  progress?: boolean | ProgressSink;
  /** Seed of the transform's per-image rng (an augmenting transform draws its views from it). Default 0. */
  seed?: number;
}

/** Features of the readable records in record order: `features` is `shape` = [n, ...] row-major. */
export interface CachedFeatures {
  features: Float32Array;
  shape: number[];
  /** 0/1 targets (1 = PNEUMONIA) of the n rows. */
  labels: Float32Array;
  /** The record `file` of each row (unreadable images are left out). */
  files: string[];
  /** True when read from disk, false when computed now. */
  fromCache: boolean;
  /** The `.bin` file. */
  path: string;
}

// The JSON meta stored next to the features.
interface FeatureMeta {
  version: 1;
  key: FeatureCacheKey;
  recordCount: number;
  shape: number[];
  labels: number[];
  files: string[];
  byteLength: number;
  sha256: string;
  createdAt: string;
}

/**
 * Features of `records` through `backbone`, computed once per `key` and cached in `dir`
 * (`features-<hash of key>.bin` + `.json`).
 * @example
 * const cached = await cachedFeatures({ backbone, records, dir: "outputs/cache",
 *   key: { manifestHash, preprocessing: "caffe", backbone: "resnet50-avgpool", inputSize: 224 }, transform: caffe });
 * await train(head, { train: { xs: cached.features, shape: cached.shape, ys: cached.labels } }, { epochs: 10 });
 */
export async function cachedFeatures(opts: CachedFeaturesOptions): Promise<CachedFeatures> {
  checkKey(opts.key);
  const base = join(opts.dir, `features-${featureKeyHash(opts.key)}`);
  const sink = resolveProgress(opts.progress);
  const loaded = await loadCache(base, opts);
  if (loaded.ok) return loaded.value;
  if (loaded.reason !== "absent") sink.line(`cachedFeatures: ${loaded.reason}; recomputing ${base}.bin`);
  const computed = await computeFeatures(opts, sink);
  await mkdir(opts.dir, { recursive: true });
  const bytes = new Uint8Array(computed.features.buffer, computed.features.byteOffset, computed.features.byteLength);
  const meta: FeatureMeta = {
    version: 1,
    key: opts.key,
    recordCount: opts.records.length,
    shape: computed.shape,
    labels: Array.from(computed.labels),
    files: computed.files,
    byteLength: bytes.byteLength,
    sha256: sha256Hex(bytes),
    createdAt: new Date().toISOString(),
  };
  await writeFileAtomic(`${base}.bin`, bytes);
  await writeFileAtomic(`${base}.json`, JSON.stringify(meta));
  return { ...computed, fromCache: false, path: `${base}.bin` };
}

/**
 * 16 hex digits of SHA-256 over the key's JSON with sorted fields: the cache file name.
 * @example
 * featureKeyHash({ manifestHash: "ab12", preprocessing: "caffe", backbone: "resnet50", inputSize: 224 }); // 16 hex digits
 */
export function featureKeyHash(key: FeatureCacheKey): string {
  const sorted = Object.fromEntries(Object.entries(key).sort(([a], [b]) => a.localeCompare(b)));
  return createHash("sha256").update(JSON.stringify(sorted)).digest("hex").slice(0, 16);
}

// Reads and verifies the cache; a reason when it cannot be used.
async function loadCache(
  base: string,
  opts: CachedFeaturesOptions,
): Promise<{ ok: true; value: CachedFeatures } | { ok: false; reason: string }> {
  let meta: FeatureMeta;
  try {
    meta = JSON.parse(await readFile(`${base}.json`, "utf8")) as FeatureMeta;
  } catch (error) {
    return { ok: false, reason: (error as NodeJS.ErrnoException).code === "ENOENT" ? "absent" : "unreadable meta" };
  }
  if (meta.version !== 1 || featureKeyHash(meta.key) !== featureKeyHash(opts.key))
    return { ok: false, reason: "meta of another key" };
  if (meta.recordCount !== opts.records.length)
    return { ok: false, reason: `meta lists ${meta.recordCount} records, ${opts.records.length} given` };
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(`${base}.bin`));
  } catch {
    return { ok: false, reason: "features file missing" };
  }
  if (bytes.byteLength !== meta.byteLength || sha256Hex(bytes) !== meta.sha256)
    return { ok: false, reason: "features file partial or corrupt" };
  const features = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return {
    ok: true,
    value: {
      features,
      shape: meta.shape,
      labels: Float32Array.from(meta.labels),
      files: meta.files,
      fromCache: true,
      path: `${base}.bin`,
    },
  };
}

// Runs the backbone over every readable record, a batch at a time, showing progress.
async function computeFeatures(
  opts: CachedFeaturesOptions,
  sink: ProgressSink,
): Promise<Omit<CachedFeatures, "fromCache" | "path">> {
  const { records, key, batchSize = 32, channels = 3, transform, backbone } = opts;
  const run = async (xs: tf.Tensor4D): Promise<{ data: Float32Array; rowShape: number[] }> => {
    if ("runHost" in backbone) {
      const data = await backbone.runHost((await xs.data()) as Float32Array, xs.shape);
      return { data, rowShape: [data.length / xs.shape[0]] };
    }
    const out = tf.tidy(() => (typeof backbone === "function" ? backbone(xs) : (backbone.predict(xs) as tf.Tensor)));
    const data = (await out.data()) as Float32Array;
    const rowShape = out.shape.slice(1);
    out.dispose();
    return { data, rowShape };
  };
  const chunks: Float32Array[] = [];
  const labels: number[] = [];
  const files: string[] = [];
  let rowShape: number[] = [];
  const total = Math.ceil(records.length / batchSize);
  const started = performance.now();
  let step = 0;
  const batches = imageBatches(records, {
    batchSize,
    width: key.inputSize,
    height: key.inputSize,
    channels,
    transform,
    shuffle: false,
    seed: opts.seed ?? 0,
  });
  for await (const batch of batches) {
    const out = await run(batch.xs);
    tf.dispose([batch.xs, batch.ys]);
    rowShape = out.rowShape;
    chunks.push(out.data);
    for (const r of batch.records) {
      labels.push(labelToTarget(r.label));
      files.push(r.file);
    }
    sink.update({
      label: `features ${key.backbone}`,
      step: ++step,
      total,
      items: files.length,
      elapsedSec: (performance.now() - started) / 1000,
    });
  }
  const features = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((offset, c) => (features.set(c, offset), offset + c.length), 0);
  sink.line(
    `features ${key.backbone}: ${files.length} images → [${files.length}, ${rowShape.join(", ")}] in ${((performance.now() - started) / 1000).toFixed(1)}s`,
  );
  return { features, shape: [files.length, ...rowShape], labels: Float32Array.from(labels), files };
}

// Throws unless the key has its four fields.
function checkKey(key: FeatureCacheKey): void {
  const ok =
    key &&
    typeof key.manifestHash === "string" &&
    typeof key.preprocessing === "string" &&
    typeof key.backbone === "string" &&
    Number.isInteger(key.inputSize) &&
    key.inputSize > 0;
  if (!ok) {
    throw new Error(
      `cachedFeatures: key needs manifestHash, preprocessing, backbone (strings) and inputSize (positive integer). Received: ${JSON.stringify(key)}`,
    );
  }
}
