import { describe, expect, it } from "vitest";
import { decodeProtoFields, ProtoWriter, WIRE } from "../../../src/lib/models/onnx/proto";
import { encodeTensor, irVersionForOpset } from "../../../src/lib/models/onnx/schema";

const bytesOf = (w: ProtoWriter): number[] => Array.from(w.finish());

describe("ProtoWriter", () => {
  it("writes varint and string fields", () => {
    // Protobuf encoding guide: field 1 = 150 → 08 96 01. String: key (2<<3)|2 = 18, length 4, "onnx" = 111 110 110 120.
    expect(bytesOf(new ProtoWriter().int(1, 150))).toEqual([0x08, 0x96, 0x01]);
    expect(bytesOf(new ProtoWriter().int(1, 7).string(2, "onnx"))).toEqual([8, 7, 18, 4, 111, 110, 110, 120]);
  });

  it("writes negative ints as 10-byte two's complement and floats as fixed32", () => {
    // −1 as uint64 = 64 one-bits: nine 0xff groups of 7 bits, then 0x01. Key (3<<3)|0 = 24.
    expect(bytesOf(new ProtoWriter().int(3, -1))).toEqual([24, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1]);
    // 1.5f = 0x3FC00000 little-endian; key (2<<3)|5 = 21.
    expect(bytesOf(new ProtoWriter().float(2, 1.5))).toEqual([21, 0, 0, 0xc0, 0x3f]);
  });

  it("rejects non-integers", () => {
    expect(() => new ProtoWriter().int(1, 1.5)).toThrow(/Received: 1.5/);
  });

  it("round-trips mixed fields, large byte blocks and nested messages through decodeProtoFields", () => {
    const big = Uint8Array.from({ length: 100 }, (_, i) => i);
    const inner = new ProtoWriter().int(1, 42).finish();
    const bytes = new ProtoWriter().int(1, -5).bytes(2, big).float(3, 0.25).bytes(4, inner).string(5, "é").finish();
    const fields = decodeProtoFields(bytes);
    expect(fields.map((f) => [f.field, f.wire])).toEqual([
      [1, WIRE.varint],
      [2, WIRE.bytes],
      [3, WIRE.fixed32],
      [4, WIRE.bytes],
      [5, WIRE.bytes],
    ]);
    expect(BigInt.asIntN(64, fields[0].value as bigint)).toBe(-5n);
    expect(Array.from(fields[1].value as Uint8Array)).toEqual(Array.from(big));
    expect(fields[2].value).toBe(0.25);
    expect(decodeProtoFields(fields[3].value as Uint8Array)).toEqual([{ field: 1, wire: WIRE.varint, value: 42n }]);
    expect(new TextDecoder().decode(fields[4].value as Uint8Array)).toBe("é");
  });

  it("reports truncated input", () => {
    expect(() => decodeProtoFields(Uint8Array.from([18, 5, 1]))).toThrow(/runs past the end/);
  });
});

describe("encodeTensor", () => {
  it("writes dims, data type, name and raw little-endian data", () => {
    const fields = decodeProtoFields(encodeTensor({ name: "w", dims: [2, 1], data: new Float32Array([1, -2]) }));
    expect(fields.filter((f) => f.field === 1).map((f) => f.value)).toEqual([2n, 1n]);
    expect(fields.find((f) => f.field === 2)?.value).toBe(1n); // TensorProto.FLOAT = 1
    expect(new TextDecoder().decode(fields.find((f) => f.field === 8)?.value as Uint8Array)).toBe("w");
    const raw = fields.find((f) => f.field === 9)?.value as Uint8Array;
    expect(Array.from(new Float32Array(raw.slice().buffer))).toEqual([1, -2]);
  });

  it("writes int64 tensors with data type 7 and checks the element count", () => {
    const fields = decodeProtoFields(encodeTensor({ name: "p", dims: [2], data: BigInt64Array.from([3n, -1n]) }));
    expect(fields.find((f) => f.field === 2)?.value).toBe(7n); // TensorProto.INT64 = 7
    expect(
      Array.from(new BigInt64Array((fields.find((f) => f.field === 9)?.value as Uint8Array).slice().buffer)),
    ).toEqual([3n, -1n]);
    expect(() => encodeTensor({ name: "bad", dims: [3], data: new Float32Array(2) })).toThrow(/Received: 2/);
  });
});

describe("irVersionForOpset", () => {
  it("pairs opsets with the IR version of their ONNX release", () => {
    // ONNX docs/Versioning.md release table: 1.8 → IR 7 / opset 13, 1.12 → IR 8 / opset 17, 1.16 → IR 10 / opset 21.
    expect([13, 17, 21].map(irVersionForOpset)).toEqual([7, 8, 10]);
  });
});
