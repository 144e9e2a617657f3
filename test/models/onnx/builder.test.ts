import { describe, expect, it } from "vitest";
import { GraphBuilder, hwioToOihw, tfPads } from "../../../src/lib/models/onnx/builder";

describe("tfPads", () => {
  it("reproduces TF same padding with the odd pixel at the end", () => {
    // 224, k7, s2: out = ceil(224/2) = 112; total = (112−1)·2 + 7 − 224 = 5 → 2 before, 3 after.
    expect(tfPads("same", [224, 224], [7, 7], [2, 2], [1, 1])).toEqual([2, 2, 3, 3]);
    // 5, k3, s2: out 3; total = 2·2 + 3 − 5 = 2 → 1/1. Width 4, k2, s2: total = 1·2 + 2 − 4 = 0.
    expect(tfPads("same", [5, 4], [3, 2], [2, 2], [1, 1])).toEqual([1, 0, 1, 0]);
    // Dilation 2 on k3 is an effective k5: 8, s1 → total 4 → 2/2.
    expect(tfPads("same", [8, 8], [3, 3], [1, 1], [2, 2])).toEqual([2, 2, 2, 2]);
  });

  it("gives zeros for valid, null for unknown sizes, and rejects other modes", () => {
    expect(tfPads("valid", [7, 7], [3, 3], [2, 2], [1, 1])).toEqual([0, 0, 0, 0]);
    expect(tfPads("same", [null, 7], [3, 3], [1, 1], [1, 1])).toBeNull();
    expect(() => tfPads("causal", [7, 7], [3, 3], [1, 1], [1, 1])).toThrow(/Received: causal/);
  });
});

describe("hwioToOihw", () => {
  it("moves output channels first", () => {
    // HWIO [1,2,1,2] = [(x0,o0)=1, (x0,o1)=2, (x1,o0)=3, (x1,o1)=4] → OIHW rows o0: [1,3], o1: [2,4].
    expect(Array.from(hwioToOihw(new Float32Array([1, 2, 3, 4]), [1, 2, 1, 2]))).toEqual([1, 3, 2, 4]);
  });
});

describe("GraphBuilder", () => {
  it("keeps value names unique and away from reserved graph names", () => {
    const b = new GraphBuilder();
    b.reserve(["output"]);
    const first = b.node("Relu", ["x"], "output");
    const second = b.node("Relu", [first], "output");
    expect([first, second]).toEqual(["output__1", "output__2"]);
    expect(b.node("Identity", [second], "out", undefined, "output")).toBe("output");
    expect(b.nodes.map((n) => n.opType)).toEqual(["Relu", "Relu", "Identity"]);
  });

  it("stores float and int64 initializers", () => {
    const b = new GraphBuilder();
    const w = b.constant("w", [2], new Float32Array([1, 2]));
    const p = b.constantInt64("pads", [0, -1]);
    expect(b.initializers.map((t) => [t.name, t.dims, Array.from(t.data as ArrayLike<unknown>)])).toEqual([
      [w, [2], [1, 2]],
      [p, [2], [0n, -1n]],
    ]);
  });
});
