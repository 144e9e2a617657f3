/** Minimal protobuf wire-format writer and reader (enough for ONNX ModelProto files). */

/** Protobuf wire types used by ONNX: varint, 64-bit, length-delimited, 32-bit. */
export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

/** One field read back by `decodeProtoFields`: varints as bigint, fixed32 as a float, bytes raw. */
export interface ProtoField {
  /** Field number. */
  field: number;
  /** Wire type (see `WIRE`). */
  wire: number;
  /** varint → bigint; fixed32 → number (float32); fixed64 → bigint; bytes → Uint8Array. */
  value: bigint | number | Uint8Array;
}

const TEXT_ENCODER = new TextEncoder();

// Append the unsigned LEB128 varint of a non-negative bigint.
function pushVarint(out: number[], value: bigint): void {
  let v = value;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

/**
 * Appends protobuf fields to a growing list of chunks; `finish()` joins them. Nested messages are
 * written by encoding them with their own writer and passing the bytes to `bytes()`.
 * Negative integers are written as 10-byte two's-complement varints (protobuf int64/int32 rule).
 * @example
 * const w = new ProtoWriter();
 * w.int(1, 7).string(2, "onnx");
 * w.finish(); // Uint8Array [8, 7, 18, 4, 111, 110, 110, 120]
 */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private pending: number[] = [];
  private size = 0;

  // Move the small-value buffer into the chunk list.
  private flushPending(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(Uint8Array.from(this.pending));
    this.size += this.pending.length;
    this.pending = [];
  }

  // Field key: (field number << 3) | wire type.
  private key(field: number, wire: number): void {
    pushVarint(this.pending, BigInt(field) * 8n + BigInt(wire));
  }

  /** Integer field (int32/int64/enum); must be a safe integer. */
  int(field: number, value: number): this {
    if (!Number.isSafeInteger(value))
      throw new Error(`ProtoWriter.int: field ${field} needs a safe integer. Received: ${value}`);
    this.key(field, WIRE.varint);
    pushVarint(this.pending, BigInt.asUintN(64, BigInt(value)));
    return this;
  }

  /** float (fixed32) field. */
  float(field: number, value: number): this {
    this.key(field, WIRE.fixed32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.pending.push(...b);
    return this;
  }

  /** Length-delimited field holding raw bytes (also used for nested messages). */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE.bytes);
    pushVarint(this.pending, BigInt(value.byteLength));
    if (value.byteLength < 64) {
      this.pending.push(...value);
    } else {
      this.flushPending();
      this.chunks.push(value);
      this.size += value.byteLength;
    }
    return this;
  }

  /** UTF-8 string field. */
  string(field: number, value: string): this {
    return this.bytes(field, TEXT_ENCODER.encode(value));
  }

  /** The message's bytes. */
  finish(): Uint8Array {
    this.flushPending();
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
}

// Read a varint at `pos`; returns the value and the next position.
function readVarint(bytes: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  let at = pos;
  for (;;) {
    if (at >= bytes.length)
      throw new Error(`decodeProtoFields: varint runs past the end at byte ${pos}. Received: ${bytes.length} bytes`);
    const b = bytes[at++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, at];
    shift += 7n;
  }
}

/**
 * Split one protobuf message into its top-level fields (no schema needed); decode nested
 * messages by calling it again on a bytes field. Used to check exported ONNX files.
 * @example
 * decodeProtoFields(new ProtoWriter().int(1, 7).finish()); // [{ field: 1, wire: 0, value: 7n }]
 */
export function decodeProtoFields(bytes: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos < bytes.length) {
    const [key, afterKey] = readVarint(bytes, pos);
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    pos = afterKey;
    if (wire === WIRE.varint) {
      const [value, next] = readVarint(bytes, pos);
      fields.push({ field, wire, value });
      pos = next;
    } else if (wire === WIRE.fixed32) {
      fields.push({ field, wire, value: view.getFloat32(pos, true) });
      pos += 4;
    } else if (wire === WIRE.fixed64) {
      fields.push({ field, wire, value: view.getBigUint64(pos, true) });
      pos += 8;
    } else if (wire === WIRE.bytes) {
      const [len, next] = readVarint(bytes, pos);
      const end = next + Number(len);
      if (end > bytes.length)
        throw new Error(
          `decodeProtoFields: field ${field} runs past the end. Received: length ${len} at byte ${next} of ${bytes.length}`,
        );
      fields.push({ field, wire, value: bytes.subarray(next, end) });
      pos = end;
    } else {
      throw new Error(
        `decodeProtoFields: unsupported wire type (groups are not used by ONNX). Received: ${wire} at byte ${pos}`,
      );
    }
  }
  return fields;
}
