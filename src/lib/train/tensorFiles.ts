/** Atomic file writes and a flat binary pack of named tensors (weights, optimizer slots) with a JSON index. */
import * as tf from "@tensorflow/tfjs";
import { open, readFile, rename, rm } from "node:fs/promises";
import { createHash } from "node:crypto";

/** One tensor of a pack: where its bytes lie in the `.bin` file. */
export interface PackEntry {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
  byteOffset: number;
  byteLength: number;
}

/** The JSON index of a pack: its entries, total size and SHA-256 of the bytes. */
export interface PackIndex {
  entries: PackEntry[];
  byteLength: number;
  sha256: string;
}

/**
 * Write `data` to `path` atomically: write a sibling temp file, fsync it, rename over `path`. A crash leaves the
 * old file or the new one, never a torn one.
 * @example
 * await writeFileAtomic("runs/a/history.json", JSON.stringify(history));
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** SHA-256 hex of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Read named tensors (float32 or int32) to the host and write them to `binPath` atomically; returns the index
 * to store next to it (the caller writes it, ideally last, as the commit record).
 * @example
 * const index = await writeTensorPack("ckpt/weights.bin", model.weights.map((w) => ({ name: w.name, tensor: w.read() })));
 */
export async function writeTensorPack(
  binPath: string,
  tensors: { name: string; tensor: tf.Tensor }[],
): Promise<PackIndex> {
  const arrays = await Promise.all(tensors.map(({ tensor }) => tensor.data()));
  const entries: PackEntry[] = [];
  let offset = 0;
  tensors.forEach(({ name, tensor }, i) => {
    const dtype = tensor.dtype === "int32" ? "int32" : "float32";
    if (tensor.dtype !== "int32" && tensor.dtype !== "float32") {
      throw new Error(
        `writeTensorPack: only float32 and int32 tensors can be packed; cast ${name} first. Received: ${tensor.dtype}`,
      );
    }
    entries.push({ name, shape: tensor.shape.slice(), dtype, byteOffset: offset, byteLength: arrays[i].length * 4 });
    offset += arrays[i].length * 4;
  });
  const bytes = new Uint8Array(offset);
  entries.forEach((entry, i) => {
    const typed =
      entry.dtype === "int32" ? Int32Array.from(arrays[i] as Int32Array) : Float32Array.from(arrays[i] as Float32Array);
    bytes.set(new Uint8Array(typed.buffer), entry.byteOffset);
  });
  await writeFileAtomic(binPath, bytes);
  return { entries, byteLength: offset, sha256: sha256Hex(bytes) };
}

/**
 * Read a pack written by `writeTensorPack`, checking its size and SHA-256 against the index; throws on a
 * mismatch. The caller owns (disposes) the tensors.
 * @example
 * const tensors = await readTensorPack("ckpt/weights.bin", index);
 */
export async function readTensorPack(
  binPath: string,
  index: PackIndex,
): Promise<{ name: string; tensor: tf.Tensor }[]> {
  const bytes = new Uint8Array(await readFile(binPath));
  const sha256 = sha256Hex(bytes);
  if (bytes.length !== index.byteLength || sha256 !== index.sha256) {
    throw new Error(
      `readTensorPack: ${binPath} does not match its index (torn or corrupt file); delete it and retrain. ` +
        `Received: ${bytes.length} bytes, SHA-256 ${sha256}; ` +
        `expected ${index.byteLength} bytes, SHA-256 ${index.sha256}`,
    );
  }
  return index.entries.map((entry) => {
    const slice = bytes.slice(entry.byteOffset, entry.byteOffset + entry.byteLength);
    const values = entry.dtype === "int32" ? new Int32Array(slice.buffer) : new Float32Array(slice.buffer);
    return { name: entry.name, tensor: tf.tensor(values, entry.shape, entry.dtype) };
  });
}
