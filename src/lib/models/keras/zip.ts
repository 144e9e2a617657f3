import { crc32, inflateRawSync } from "node:zlib";

/** One file inside a zip archive. */
export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const END_SIG = 0x06054b50;
const ZIP64_MARK = 0xffffffff;

// Fixed DOS date/time (1980-01-01 00:00): archives we write are byte-identical for identical content.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

// A little-endian header of `size` bytes filled by `fill`.
function header(size: number, fill: (v: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(size);
  fill(new DataView(bytes.buffer));
  return bytes;
}

/**
 * A zip archive of stored (uncompressed) entries, as Python's `zipfile.ZipFile(f, "w")` writes by default (Keras 3
 * `.keras` files are such archives). No zip64: each entry and the archive stay under 4 GiB.
 * @example
 * const bytes = writeZip([{ name: "config.json", data: new TextEncoder().encode("{}") }]);
 */
export function writeZip(entries: ZipEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = new TextEncoder().encode(name);
    const crc = crc32(data);
    if (data.byteLength >= ZIP64_MARK)
      throw new Error(`writeZip: entry ${name} is ≥ 4 GiB (zip64 is not written). Received: ${data.byteLength} bytes`);
    const common = (v: DataView, at: number) => {
      v.setUint16(at, 20, true);
      v.setUint16(at + 2, 0x0800, true);
      v.setUint16(at + 4, 0, true);
      v.setUint16(at + 6, DOS_TIME, true);
      v.setUint16(at + 8, DOS_DATE, true);
      v.setUint32(at + 10, crc, true);
      v.setUint32(at + 14, data.byteLength, true);
      v.setUint32(at + 18, data.byteLength, true);
      v.setUint16(at + 22, nameBytes.byteLength, true);
    };
    const local = header(30, (v) => {
      v.setUint32(0, LOCAL_SIG, true);
      common(v, 4);
    });
    central.push(
      header(46, (v) => {
        v.setUint32(0, CENTRAL_SIG, true);
        v.setUint16(4, 20, true);
        common(v, 6);
        v.setUint32(42, offset, true);
      }),
      nameBytes,
    );
    parts.push(local, nameBytes, data);
    offset += local.byteLength + nameBytes.byteLength + data.byteLength;
  }
  const centralSize = central.reduce((n, p) => n + p.byteLength, 0);
  const end = header(22, (v) => {
    v.setUint32(0, END_SIG, true);
    v.setUint16(8, entries.length, true);
    v.setUint16(10, entries.length, true);
    v.setUint32(12, centralSize, true);
    v.setUint32(16, offset, true);
  });
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((n, p) => n + p.byteLength, 0));
  all.reduce((at, p) => (out.set(p, at), at + p.byteLength), 0);
  return out;
}

// Offset of the end-of-central-directory record (searched backwards over a possible comment).
function findEnd(bytes: Uint8Array, what: string): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = bytes.byteLength - 22; at >= Math.max(0, bytes.byteLength - 22 - 0xffff); at--) {
    if (v.getUint32(at, true) === END_SIG) return at;
  }
  throw new Error(
    `readZip: ${what} is not a zip archive (no end-of-central-directory record); a .keras file is a zip. Received: ${bytes.byteLength} bytes`,
  );
}

/**
 * The files of a zip archive (stored or deflated entries; what Python's `zipfile` writes). `what` names the
 * archive in errors. Zip64 archives (over 4 GiB) are refused with a clear error.
 * @example
 * const files = readZip(readFileSync("model.keras"), "model.keras");
 * files.map((f) => f.name); // ["metadata.json", "config.json", "model.weights.h5"]
 */
export function readZip(bytes: Uint8Array, what = "archive"): ZipEntry[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = findEnd(bytes, what);
  const count = v.getUint16(end + 10, true);
  let at = v.getUint32(end + 16, true);
  if (at === ZIP64_MARK)
    throw new Error(`readZip: ${what} is a zip64 archive (over 4 GiB), which is not supported. Received: ${what}`);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (v.getUint32(at, true) !== CENTRAL_SIG)
      throw new Error(`readZip: ${what} has a broken central directory at byte ${at}. Received: ${what}`);
    const method = v.getUint16(at + 10, true);
    const compressed = v.getUint32(at + 20, true);
    const nameLength = v.getUint16(at + 28, true);
    const skip = nameLength + v.getUint16(at + 30, true) + v.getUint16(at + 32, true);
    const localAt = v.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    const dataAt = localAt + 30 + v.getUint16(localAt + 26, true) + v.getUint16(localAt + 28, true);
    const raw = bytes.subarray(dataAt, dataAt + compressed);
    if (method !== 0 && method !== 8) {
      throw new Error(
        `readZip: ${what}: entry ${name} uses compression method ${method}; only stored (0) and deflate (8) are read. Received: ${method}`,
      );
    }
    const data = method === 0 ? raw : new Uint8Array(inflateRawSync(raw));
    if (crc32(data) !== v.getUint32(at + 16, true))
      throw new Error(`readZip: ${what}: entry ${name} fails its CRC-32 check (damaged file). Received: ${name}`);
    entries.push({ name, data });
    at += 46 + skip;
  }
  return entries;
}
