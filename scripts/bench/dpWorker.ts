/**
 * Worker of the data-parallel prototype (second-core option b): holds a replica of the 4-block CNN on wasm,
 * computes gradients on its share of the batch, and applies the averaged gradients with its own Adam.
 * Replicas start from the same seed and apply identical updates, so their weights stay equal.
 */
import * as tf from "@tensorflow/tfjs";
import { parentPort } from "node:worker_threads";
import { initBackend } from "../../src/lib/backend";
import { buildCnn4 } from "../../src/lib/models/cnn4";
import { trainableVariables, weightedBce } from "../../src/lib/train/step";
import type { DpRequest } from "./dataParallel";

let model: tf.LayersModel | undefined;
let optimizer: tf.Optimizer | undefined;
let varList: tf.Variable[] = [];

// Gradients of the weighted BCE on one shard, flattened in varList order.
function shardGradients(xs: Float32Array, ys: Float32Array, size: number): Float32Array {
  const n = ys.length;
  const { value, grads } = tf.tidy(() => {
    const x = tf.tensor4d(xs, [n, size, size, 1]);
    const y = tf.tensor2d(ys, [n, 1]);
    return optimizer!.computeGradients(() => weightedBce(y, model!.apply(x, { training: true }) as tf.Tensor), varList);
  });
  const total = varList.reduce((s, v) => s + v.size, 0);
  const flat = new Float32Array(total + 1);
  let at = 0;
  for (const v of varList) {
    flat.set(grads[v.name].dataSync(), at);
    at += v.size;
  }
  flat[total] = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return flat;
}

// Applies flattened (already averaged) gradients with Adam.
function applyFlat(flat: Float32Array): void {
  let at = 0;
  const named = varList.map((v) => {
    const tensor = tf.tensor(flat.subarray(at, at + v.size), v.shape);
    at += v.size;
    return { name: v.name, tensor };
  });
  optimizer!.applyGradients(named);
  tf.dispose(named.map((g) => g.tensor));
}

parentPort!.on("message", async (msg: DpRequest) => {
  if (msg.kind === "init") {
    await initBackend({ prefer: "wasm", quiet: true }); // single-threaded wasm: one core a worker
    model = buildCnn4({ inputSize: msg.size, channels: 1, seed: msg.seed });
    optimizer = tf.train.adam(1e-3);
    varList = trainableVariables(model);
    parentPort!.postMessage({ kind: "ready", params: varList.reduce((s, v) => s + v.size, 0) });
  } else if (msg.kind === "grads") {
    const flat = shardGradients(msg.xs, msg.ys, msg.size);
    parentPort!.postMessage({ kind: "grads", flat }, [flat.buffer as ArrayBuffer]);
  } else if (msg.kind === "apply") {
    applyFlat(msg.flat);
    parentPort!.postMessage({
      kind: "applied",
      checksum: tf.tidy(() => varList[0].sum().dataSync()[0]),
      tensors: tf.memory().numTensors,
    });
  }
});
