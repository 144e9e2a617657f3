import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../src/lib/backend";
import { adamStepHost, variableValues } from "../../../src/lib/train/onnx/adamHost";
import { adamInternals } from "../../../src/lib/tfjsInternals";

// Gradients of three steps for a [3, 2] and a [4] variable, fixed numbers with mixed signs and sizes.
const GRADS = [
  [new Float32Array([0.5, -1, 2e-3, 0, 3, -0.25]), new Float32Array([1, -2, 1e-4, 0.75])],
  [new Float32Array([-0.5, 1, 1e-3, 0.1, -3, 0.25]), new Float32Array([0.5, 2, -1e-4, 0])],
  [new Float32Array([0.2, 0.3, -4e-3, -0.1, 1, 0.5]), new Float32Array([-1, 0.1, 2e-4, -0.75])],
];

function variables(prefix: string): tf.Variable[] {
  return tf.tidy(() => [
    tf.variable(
      tf.tensor2d([
        [1, -2],
        [0.5, 0],
        [3, -1],
      ]),
      true,
      `${prefix}_w`,
    ),
    tf.variable(tf.tensor1d([0.1, 0.2, -0.3, 0]), true, `${prefix}_b`),
  ]);
}

// Three steps of tfjs's Adam and of adamStepHost from the same start; weights and slots must agree.
async function compare(): Promise<void> {
  const ref = variables("ref");
  const host = variables("host");
  const refOpt = tf.train.adam(0.01);
  const hostOpt = tf.train.adam(0.01);
  for (const grads of GRADS) {
    const named = ref.map((v, i) => ({ name: v.name, tensor: tf.tensor(grads[i], v.shape) }));
    refOpt.applyGradients(named);
    tf.dispose(named.map((g) => g.tensor));
    expect(adamStepHost(hostOpt, host, grads)).toBe(true);
  }
  ref.forEach((v, i) => {
    const a = v.dataSync();
    const b = host[i].dataSync();
    a.forEach((x, j) => expect(b[j]).toBeCloseTo(x, 6));
  });
  const refWeights = await refOpt.getWeights();
  const hostWeights = await hostOpt.getWeights();
  expect(hostWeights.map((w) => w.name.replace("host", "ref"))).toEqual(refWeights.map((w) => w.name));
  refWeights.forEach((w, i) => {
    const b = hostWeights[i].tensor.dataSync();
    w.tensor.dataSync().forEach((x, j) => expect(b[j]).toBeCloseTo(x, 6));
  });
  tf.dispose([...ref, ...host, refWeights[0].tensor, hostWeights[0].tensor]); // [0]: the iteration count
  refOpt.dispose();
  hostOpt.dispose();
}

describe("adamStepHost", () => {
  afterAll(async () => {
    await tf.setBackend("cpu");
  });

  it("matches tfjs's Adam over three steps on the cpu backend (weights, m, v, iterations)", async () => {
    await tf.setBackend("cpu");
    await compare();
  });

  it("matches tfjs's Adam on wasm, without leaking tensors", async () => {
    await initBackend({ prefer: "wasm", quiet: true });
    const before = tf.memory().numTensors;
    await compare();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("declines other optimizers (the caller then uses applyGradients) and checks the gradient count", () => {
    const v = tf.variable(tf.tensor1d([1, 2]), true, "sgd_v");
    expect(adamStepHost(tf.train.sgd(0.1), [v], [new Float32Array([1, 1])])).toBe(false);
    expect(v.dataSync()).toEqual(new Float32Array([1, 2]));
    expect(() => adamStepHost(tf.train.adam(0.1), [v], [new Float32Array([1])])).toThrow(
      /gradient of the variable's size/,
    );
    v.dispose();
  });

  it("on wasm: variableValues follows every write (its own and an outside assign), a shared slot is not changed in place", async () => {
    await initBackend({ prefer: "wasm", quiet: true });
    const [w, b] = variables("cache");
    const opt = tf.train.adam(0.01);
    adamStepHost(opt, [w, b], GRADS[0]);
    expect(variableValues(w)).toEqual(w.dataSync());
    // a tensor sharing the m slot's storage (as after setWeights) must keep its values through the next step
    const m = adamInternals(opt)!.accumulatedFirstMoment[0].variable;
    const shared = tf.variable(m, false); // shares m's storage, as the variables setWeights makes do
    const before = shared.dataSync().slice();
    adamStepHost(opt, [w, b], GRADS[1]);
    expect(shared.dataSync()).toEqual(before);
    expect(m.dataSync()).not.toEqual(before);
    expect(variableValues(w)).toEqual(w.dataSync());
    w.assign(
      tf.tensor2d([
        [9, 9],
        [9, 9],
        [9, 9],
      ]),
    );
    expect(Array.from(variableValues(w))).toEqual([9, 9, 9, 9, 9, 9]);
    tf.dispose([w, b, shared]);
    opt.dispose();
  });
});

beforeAll(async () => {
  await tf.setBackend("cpu");
});
