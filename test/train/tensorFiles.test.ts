import * as tf from "@tensorflow/tfjs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTensorPack, sha256Hex, writeTensorPack } from "../../src/lib/train/tensorFiles";
import { tempDir } from "../data/helpers";

describe("readTensorPack on a corrupt pack", () => {
  it("names the file and both hashes when the bytes changed but the size did not", async () => {
    const bin = join(tempDir(), "weights.bin");
    const tensor = tf.tensor1d([1, 2, 3, 4]);
    const index = await writeTensorPack(bin, [{ name: "w", tensor }]);
    tensor.dispose();
    const bytes = new Uint8Array(await readFile(bin));
    bytes[0] ^= 0xff; // same length, other content: the case where the old message read "16 bytes, expected 16"
    await writeFile(bin, bytes);
    const actual = sha256Hex(bytes);
    const error = await readTensorPack(bin, index).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain(bin);
    expect(error?.message).toContain(`SHA-256 ${actual}`);
    expect(error?.message).toContain(`expected 16 bytes, SHA-256 ${index.sha256}`);
    expect(actual).not.toBe(index.sha256);
  });

  it("still reads an intact pack", async () => {
    const bin = join(tempDir(), "weights.bin");
    const tensor = tf.tensor1d([1, 2, 3, 4]);
    const index = await writeTensorPack(bin, [{ name: "w", tensor }]);
    tensor.dispose();
    const [back] = await readTensorPack(bin, index);
    expect(Array.from(await back!.tensor.data())).toEqual([1, 2, 3, 4]);
    back!.tensor.dispose();
  });
});
