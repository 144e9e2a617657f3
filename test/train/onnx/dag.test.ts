import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadOnnxRuntime } from "../../../src/lib/models/onnx/runtime";
import { setTrainableTop } from "../../../src/lib/models/resnet50";
import { modelDag } from "../../../src/lib/train/onnx/dag";
import { buildTrainingGraph, trainingGraphUnsupported } from "../../../src/lib/train/onnx/graph";
import { trainableVariables, weightedBce } from "../../../src/lib/train/step";
import {
  CLASS_WEIGHT,
  dropoutOff,
  expectAutodiffParity,
  expectBatchStatsParity,
  floats,
  relativeError,
  runGraph,
} from "../fixtures/onnxParity";

const ORT = await loadOnnxRuntime();
if (!ORT) console.warn("[train/onnx/dag.test] onnxruntime tests SKIPPED: onnxruntime-node is not installed");

beforeAll(async () => {
  await tf.setBackend("cpu");
});

type Sym = tf.SymbolicTensor;
const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });

// A stem (3×3/2 conv, BN, ReLU, pad, 3×3/2 max pool) read by three branches — strided 3×3 conv → BN → ReLU → 1×1
// conv → BN; a 1×1/2 shortcut → BN; a 3×3/2 "same" max pool — summed by one Add, then a second Add with an
// overlapping 3×3/1 average pool, GAP, Dense, Dropout, Dense(1, sigmoid).
function branchModel(): tf.LayersModel {
  const conv = (x: Sym, name: string, kernelSize: number, strides: number, padding: "same" | "valid", seed: number) =>
    tf.layers
      .conv2d({ name, filters: 8, kernelSize, strides, padding, kernelInitializer: seeded(seed) })
      .apply(x) as Sym;
  const bn = (x: Sym, name: string) => tf.layers.batchNormalization({ name, axis: 3 }).apply(x) as Sym;
  const input = tf.input({ shape: [16, 16, 2] });
  let x = tf.layers
    .activation({ name: "stem_relu", activation: "relu" })
    .apply(bn(conv(input, "stem", 3, 2, "same", 1), "stem_bn")) as Sym;
  x = tf.layers.zeroPadding2d({ name: "pool_pad", padding: 1 }).apply(x) as Sym;
  const pooled = tf.layers.maxPooling2d({ name: "pool", poolSize: 3, strides: 2 }).apply(x) as Sym;
  let a = tf.layers.reLU({ name: "a_relu" }).apply(bn(conv(pooled, "a_conv1", 3, 2, "same", 2), "a_bn1")) as Sym;
  a = bn(conv(a, "a_conv2", 1, 1, "valid", 3), "a_bn2");
  const s = bn(conv(pooled, "shortcut", 1, 2, "valid", 4), "shortcut_bn");
  const m = tf.layers.maxPooling2d({ name: "m_pool", poolSize: 3, strides: 2, padding: "same" }).apply(pooled) as Sym;
  const sum = tf.layers
    .activation({ name: "sum_relu", activation: "relu" })
    .apply(tf.layers.add({ name: "add3" }).apply([a, s, m])) as Sym;
  const v = tf.layers.averagePooling2d({ name: "v_pool", poolSize: 3, strides: 1 }).apply(pooled) as Sym;
  let y = tf.layers
    .globalAveragePooling2d({ name: "gap" })
    .apply(tf.layers.add({ name: "add2" }).apply([sum, v])) as Sym;
  y = tf.layers.dense({ name: "fc", units: 4, activation: "relu", kernelInitializer: seeded(5) }).apply(y) as Sym;
  y = tf.layers.dropout({ name: "drop", rate: 0.3 }).apply(y) as Sym;
  const out = tf.layers
    .dense({ name: "out", units: 1, activation: "sigmoid", kernelInitializer: seeded(6) })
    .apply(y) as Sym;
  return tf.model({ inputs: input, outputs: out });
}

// Parity of the graph with TF.js autodiff on a batch of 3; returns the graph.
async function checkParity(model: tf.LayersModel, seed: number) {
  const graph = buildTrainingGraph(model);
  const n = 3;
  const size = model.inputs[0].shape.slice(1).reduce((p, d) => p! * d!, 1)!;
  const xs = Float32Array.from(floats(n * size, seed), (u) => 2 * u - 1);
  const ys = new Float32Array([1, 0, 1]);
  const read = await runGraph(ORT!, model, graph, xs, ys);
  expectAutodiffParity(model, graph, read, xs, ys);
  expectBatchStatsParity(model, graph, read, xs, n);
  return graph;
}

describe("modelDag", () => {
  it("orders layers by their inbound nodes and marks which outputs need a gradient", () => {
    const model = branchModel();
    setTrainableTop(model, 0);
    for (const name of ["a_conv1", "out"]) model.getLayer(name).trainable = true;
    const dag = modelDag(model);
    if (typeof dag === "string") throw new Error(dag);
    const order = dag.nodes.map((n) => n.layer.name);
    for (const n of dag.nodes)
      for (const k of n.inputs.slice(1))
        expect(order.indexOf(k.split(":")[0])).toBeLessThan(order.indexOf(n.layer.name));
    const grad = new Set(dag.nodes.filter((n) => n.needsGrad).map((n) => n.layer.name));
    expect(grad.has("a_bn1") && grad.has("add3") && grad.has("out")).toBe(true);
    expect(grad.has("pool") || grad.has("shortcut_bn") || grad.has("m_pool") || grad.has("v_pool")).toBe(false);
    expect(trainingGraphUnsupported(model)).toBeUndefined();
  });
});

// Conv → average pool (3×3/2 "same": partial windows at the end) → Flatten → Dense(1, sigmoid).
function averagePoolModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [6, 6, 2],
        filters: 3,
        kernelSize: 3,
        padding: "same",
        kernelInitializer: seeded(1),
      }),
      tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: "same" }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1, activation: "sigmoid", kernelInitializer: seeded(2) }),
    ],
  });
}

// The same loss with the average pool written as a sum (depthwise conv with ones) over the real pixels' count, whose
// TF.js autodiff is exact; TF.js's own AvgPoolGrad divides by the full window size even where "same" padding cut it.
function exactAveragePoolGrads(model: tf.LayersModel, xs: tf.Tensor4D, ys: Float32Array): tf.NamedTensorMap {
  const [conv, , flatten, dense] = model.layers;
  const ones = tf.ones([3, 3, 3, 1]) as tf.Tensor4D;
  const counts = tf.depthwiseConv2d(
    tf.onesLike(xs.slice([0, 0, 0, 0], [1, -1, -1, 1])).tile([1, 1, 1, 3]) as tf.Tensor4D,
    ones,
    2,
    "same",
  );
  return tf.variableGrads(() => {
    const h = conv.apply(xs) as tf.Tensor4D;
    const pooled = tf.div(tf.depthwiseConv2d(h, ones, 2, "same"), counts);
    return weightedBce(tf.tensor2d(ys, [ys.length, 1]), dense.apply(flatten.apply(pooled)) as tf.Tensor, CLASS_WEIGHT);
  }, trainableVariables(model)).grads;
}

describe.skipIf(!ORT)("training graphs of branching models on onnxruntime", () => {
  it("matches TF.js autodiff on a branch/merge model with strides, pads, overlapping pools and a 3-way Add", async () => {
    const model = branchModel();
    dropoutOff(model);
    const graph = await checkParity(model, 3);
    expect(graph.frozenPrefix).toEqual([]);
    expect(graph.batchNorms).toHaveLength(4);
    expect(graph.model.nodes.filter((n) => n.opType === "ScatterElements")).toHaveLength(2);
    model.dispose();
  }, 120_000);

  it("treats frozen layers as constants: a folded frozen prefix, a frozen BN in inference mode and a frozen conv behind trainable layers", async () => {
    const model = branchModel();
    dropoutOff(model);
    // setTrainableTop makes frozen BNs run in inference mode in TF.js too (the semantics the graph implements)
    setTrainableTop(model, 0);
    for (const name of ["a_conv1", "a_bn2", "shortcut_bn", "fc", "out"]) model.getLayer(name).trainable = true;
    const graph = await checkParity(model, 4);
    expect(graph.frozenPrefix).toEqual(
      expect.arrayContaining(["stem", "stem_relu", "pool_pad", "pool", "shortcut", "m_pool", "v_pool"]),
    );
    expect(graph.frozenPrefix).not.toContain("a_bn1");
    // stem_bn folded into the stem conv; only the two trainable BNs report batch statistics
    expect(graph.frozenPrefix).not.toContain("stem_bn");
    expect(graph.batchNorms.map((s) => s.layer.name)).toEqual(["a_bn2", "shortcut_bn"]);
    // the frozen prefix has no gradient ops: nothing reads the frozen pools' indices
    expect(graph.model.nodes.filter((n) => n.opType === "ScatterElements")).toHaveLength(0);
    expect(graph.weights).toHaveLength(model.trainableWeights.length);
    model.dispose();
  }, 120_000);

  it('gives average pooling with "same" padding the exact gradient of its forward pass (TF.js\'s differs at the border)', async () => {
    const model = averagePoolModel();
    const graph = buildTrainingGraph(model);
    const xs = Float32Array.from(floats(2 * 72, 8), (u) => 2 * u - 1);
    const ys = new Float32Array([1, 0]);
    const read = await runGraph(ORT!, model, graph, xs, ys);
    const exact = exactAveragePoolGrads(model, tf.tensor4d(xs, [2, 6, 6, 2]), ys);
    const kernel = read(graph.weights[0].grad);
    expect(relativeError(exact[model.trainableWeights[0].name].dataSync(), kernel)).toBeLessThan(1e-5);
    // TF.js autodiff of tf.layers.averagePooling2d disagrees here, so matching it would be matching a bug
    const { grads } = tf.variableGrads(
      () =>
        weightedBce(
          tf.tensor2d(ys, [2, 1]),
          model.apply(tf.tensor4d(xs, [2, 6, 6, 2]), { training: true }) as tf.Tensor,
          CLASS_WEIGHT,
        ),
      trainableVariables(model),
    );
    expect(relativeError(grads[model.trainableWeights[0].name].dataSync(), kernel)).toBeGreaterThan(1e-2);
    model.dispose();
  });

  it("sums max-pool gradients where 3×3/2 windows overlap, with ties going to the first maximum as in TF.js", async () => {
    // two 0/1 channels summed by a ones 1×1 conv: many windows hold a tied maximum from different (x₁, x₂)
    const input = tf.input({ shape: [9, 9, 2] });
    const pre = tf.layers
      .conv2d({ filters: 1, kernelSize: 1, useBias: false, kernelInitializer: "ones" })
      .apply(input) as Sym;
    const pooled = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same" }).apply(pre) as Sym;
    const flat = tf.layers.flatten().apply(pooled) as Sym;
    const out = tf.layers.dense({ units: 1, activation: "sigmoid", kernelInitializer: seeded(7) }).apply(flat) as Sym;
    const model = tf.model({ inputs: input, outputs: out });
    const n = 2;
    const xs = Float32Array.from(floats(n * 81 * 2, 9), (u) => (u < 0.5 ? 0 : 1));
    // the test is only meaningful if some window's maximum is tied between pixels of different (x₁, x₂)
    let ambiguous = 0;
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < 5; oy++)
        for (let ox = 0; ox < 5; ox++) {
          const cells: number[][] = [];
          for (let y = 2 * oy - 1; y <= 2 * oy + 1; y++)
            for (let x = 2 * ox - 1; x <= 2 * ox + 1; x++) {
              if (y >= 0 && y < 9 && x >= 0 && x < 9)
                cells.push([xs[((b * 9 + y) * 9 + x) * 2], xs[((b * 9 + y) * 9 + x) * 2 + 1]]);
            }
          const max = Math.max(...cells.map(([p, q]) => p + q));
          if (new Set(cells.filter(([p, q]) => p + q === max).map((c) => c.join())).size > 1) ambiguous++;
        }
    }
    expect(ambiguous).toBeGreaterThan(3);
    const graph = buildTrainingGraph(model);
    const ys = new Float32Array([1, 0]);
    const read = await runGraph(ORT!, model, graph, xs, ys);
    expectAutodiffParity(model, graph, read, xs, ys, 1e-5);
    model.dispose();
  }, 60_000);
});
