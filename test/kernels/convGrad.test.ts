import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import { createRng } from "../../src/lib/data/random";
import { conv2dBackpropFilterViaConv, conv2dBackpropInputViaConv, type ConvPad } from "../../src/lib/kernels/convGrad";
import { relativeError } from "./relativeError";

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: ConvPad;
}

// Random conv shapes: batch 1–3, sizes 5–9, channels 1–4, kernel 1–3, stride 1–2, each padding kind.
function randomCases(count: number, seed: number): Case[] {
  const rng = createRng(seed);
  const pads: ConvPad[] = [
    "same",
    "valid",
    1,
    [
      [0, 0],
      [2, 0],
      [0, 1],
      [0, 0],
    ],
  ];
  return Array.from({ length: count }, (_, i) => {
    const ci = 1 + rng.int(4);
    const k = 1 + rng.int(3);
    const pad = pads[Math.floor(i / 2) % pads.length];
    // Non-square kernels only with 'valid'/explicit pads: the *forward* wasm Conv2D of tfjs 4.22 disagrees
    // with cpu for numeric pads (output width sized from kh) and for 'same', stride 2, 1×k / k×1 kernels.
    const kw = pad === "same" || typeof pad === "number" ? k : 1 + rng.int(3);
    return {
      x: [1 + rng.int(3), 5 + rng.int(5), 5 + rng.int(5), ci],
      filter: [k, kw, ci, 1 + rng.int(4)],
      stride: 1 + (i % 2),
      pad,
    };
  });
}

// Gradients of sum(conv2d(x, W)²) w.r.t. x and W on the active backend, as plain arrays.
function convGrads(c: Case, xs: Float32Array, ws: Float32Array): { dx: Float32Array; dW: Float32Array } {
  const grads = tf.grads((x: tf.Tensor, w: tf.Tensor) =>
    tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad as "same"))),
  );
  const x = tf.tensor4d(xs, c.x);
  const w = tf.tensor4d(ws, c.filter);
  const [dx, dW] = grads([x, w]);
  const out = { dx: dx.dataSync() as Float32Array, dW: dW.dataSync() as Float32Array };
  tf.dispose([x, w, dx, dW]);
  return out;
}

// Same random numbers for both backends.
function randomValues(n: number, rng: ReturnType<typeof createRng>): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

describe("conv2d gradients from forward ops (wasm)", () => {
  beforeAll(async () => {
    await initBackend({ prefer: "wasm", quiet: true });
  });

  it("filter gradient: 3×3 image 1..9, 2×2 kernel, dy = 1 (hand computed)", () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const dy = tf.ones([1, 2, 2, 1]) as tf.Tensor4D;
    const dW = conv2dBackpropFilterViaConv(x, dy, [2, 2, 1, 1], { strides: 1, pad: "valid" });
    // dW[kh,kw] = sum of the 2×2 window at offset (kh,kw): 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9
    expect(Array.from(dW.dataSync())).toEqual([12, 16, 24, 28]);
    tf.dispose([x, dy, dW]);
  });

  it("filter gradient with stride 2: 1×1 kernel sees x at (0,0),(0,2),(2,0),(2,2)", () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const dy = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const dW = conv2dBackpropFilterViaConv(x, dy, [1, 1, 1, 1], { strides: 2, pad: "valid" });
    // hand: 1·1 + 3·2 + 7·3 + 9·4 = 64
    expect(Array.from(dW.dataSync())).toEqual([64]);
    tf.dispose([x, dy, dW]);
  });

  it("input gradient: 2×2 kernel [[1,2],[3,4]], dy = 1 (hand computed)", () => {
    const w = tf.tensor4d([1, 2, 3, 4], [2, 2, 1, 1]);
    const dy = tf.ones([1, 2, 2, 1]) as tf.Tensor4D;
    const dx = conv2dBackpropInputViaConv([1, 3, 3, 1], dy, w, { strides: 1, pad: "valid" });
    // hand: each pixel sums the kernel taps of the windows covering it, e.g. centre 1+2+3+4
    expect(Array.from(dx.dataSync())).toEqual([1, 3, 2, 4, 10, 6, 3, 7, 4]);
    tf.dispose([w, dy, dx]);
  });

  it("input gradient with stride 2 matches the cpu kernel (dy dilated with zeros)", async () => {
    const rng = createRng(7);
    const xs = randomValues(2 * 7 * 6 * 3, rng);
    const ws = randomValues(3 * 3 * 3 * 2, rng);
    const c: Case = { x: [2, 7, 6, 3], filter: [3, 3, 3, 2], stride: 2, pad: "same" };
    await tf.setBackend("cpu");
    const reference = convGrads(c, xs, ws).dx; // tfjs cpu backend's Conv2DBackpropInput
    await tf.setBackend("wasm");
    const w = tf.tensor4d(ws, c.filter);
    const x = tf.tensor4d(xs, c.x);
    const dy = tf.mul(2, tf.conv2d(x, w, 2, "same")) as tf.Tensor4D; // d(sum y²)/dy
    const dx = conv2dBackpropInputViaConv(c.x, dy, w, { strides: 2, pad: "same" });
    expect(relativeError(reference, dx.dataSync())).toBeLessThan(1e-4);
    tf.dispose([w, x, dy, dx]);
  });

  it("rejects NCHW with a message naming the fix", () => {
    const x = tf.zeros([1, 1, 4, 4]) as tf.Tensor4D;
    const dy = tf.zeros([1, 1, 4, 4]) as tf.Tensor4D;
    expect(() =>
      conv2dBackpropFilterViaConv(x, dy, [1, 1, 1, 1], { strides: 1, pad: "same", dataFormat: "NCHW" }),
    ).toThrow(/only dataFormat 'NHWC'.*Received: NCHW/);
    tf.dispose([x, dy]);
  });

  it("tf.grads on wasm matches the cpu backend for 24 random shapes (rel. error < 1e-4)", async () => {
    const rng = createRng(2024);
    const before = tf.memory().numTensors;
    for (const c of randomCases(24, 11)) {
      const xs = randomValues(
        c.x.reduce((a, b) => a * b),
        rng,
      );
      const ws = randomValues(
        c.filter.reduce((a, b) => a * b),
        rng,
      );
      await tf.setBackend("cpu");
      const reference = convGrads(c, xs, ws); // tfjs cpu backend's own gradient kernels
      await tf.setBackend("wasm");
      const got = convGrads(c, xs, ws); // our two kernels, registered by initBackend
      const label = JSON.stringify(c);
      expect(relativeError(reference.dW, got.dW), `dW ${label}`).toBeLessThan(1e-4);
      expect(relativeError(reference.dx, got.dx), `dx ${label}`).toBeLessThan(1e-4);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("our input-gradient formulation matches the cpu kernel on the same random shapes", async () => {
    const rng = createRng(99);
    for (const c of randomCases(24, 12)) {
      const xs = randomValues(
        c.x.reduce((a, b) => a * b),
        rng,
      );
      const ws = randomValues(
        c.filter.reduce((a, b) => a * b),
        rng,
      );
      await tf.setBackend("cpu");
      const reference = convGrads(c, xs, ws).dx;
      await tf.setBackend("wasm");
      const got = tf.tidy(() => {
        const x = tf.tensor4d(xs, c.x);
        const w = tf.tensor4d(ws, c.filter);
        const dy = tf.mul(2, tf.conv2d(x, w, c.stride, c.pad as "same")) as tf.Tensor4D;
        return conv2dBackpropInputViaConv(c.x, dy, w, { strides: c.stride, pad: c.pad }).dataSync();
      });
      expect(relativeError(reference, got), JSON.stringify(c)).toBeLessThan(1e-4);
    }
  });
});
