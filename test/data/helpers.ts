import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import sharp from "sharp";

/** A fresh temporary folder for one test. */
export function tempDir(prefix = "pneumo-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write a small grey JPEG (constant `value`) at `root/rel`, making folders as needed. */
export async function writeGrayJpeg(root: string, rel: string, value = 128, size = 8): Promise<string> {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  await sharp(Buffer.alloc(size * size, value), { raw: { width: size, height: size, channels: 1 } }).jpeg().toFile(path);
  return path;
}

/** Write arbitrary bytes at `root/rel`. */
export function writeBytes(root: string, rel: string, bytes: string | Buffer): string {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}
