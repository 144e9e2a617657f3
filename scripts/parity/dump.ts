/**
 * Dumps what test/train/onnx/resnet.test.ts compares, for a float64 third opinion (scripts/parity/ref64.py): the
 * generated ResNet50 (layers, inbound layers, weights), the batch, and every trainable gradient from TF.js autodiff
 * (wasm, training mode) and from the ONNX training graph (onnxruntime-node).
 *
 * Usage: SIZE=64 N=2 TOP=100 npx tsx scripts/parity/dump.ts   (writes .cache/parity/s64n2t100.{json,bin}, ~15 s)
 *        /usr/bin/python3 scripts/parity/ref64.py .cache/parity/s64n2t100
 */
import { mkdirSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { writeFileSync } from "node:fs";
import { initBackend } from "../../src/lib/backend";
import { loadOnnxRuntime } from "../../src/lib/models/onnx/runtime";
import { buildTrainingGraph, TRAIN_GRAPH_IO } from "../../src/lib/train/onnx/graph";
import { trainableVariables, weightedBce } from "../../src/lib/train/step";
// the same seeds, batch and class weights as the test
import { CLASS_WEIGHT, dropoutOff, floats, runGraph } from "../../test/train/fixtures/onnxParity";
import { randomResNet50Transfer } from "../../test/train/fixtures/resnet50Random";

const size = Number(process.env.SIZE ?? 64),
  n = Number(process.env.N ?? 2),
  top = Number(process.env.TOP ?? 100);
const out = process.env.OUT ?? `.cache/parity/s${size}n${n}t${top}`;
mkdirSync(".cache/parity", { recursive: true });
await initBackend({ prefer: "wasm", quiet: true });
const ORT = (await loadOnnxRuntime())!;
const model = randomResNet50Transfer({ inputSize: size, unfreezeTop: top, seed: top });
dropoutOff(model);
const chunks: Float32Array[] = [];
let offset = 0;
// every array goes into one float32 .bin; the .json holds its offset, length and shape
function put(a: Float32Array, shape: number[]) {
  chunks.push(Float32Array.from(a));
  const ref = { offset, length: a.length, shape };
  offset += a.length;
  return ref;
}
const CONFIG_KEYS = ["filters", "kernelSize", "strides", "padding", "epsilon", "activation", "poolSize", "units"];
const layers = model.layers.map((l) => {
  const c = l.getConfig() as Record<string, unknown>;
  const suffix = (name: string) => name.slice(name.lastIndexOf("/") + 1);
  const data = (w: tf.LayerVariable) => put(w.read().dataSync() as Float32Array, w.shape as number[]);
  const weights = Object.fromEntries(l.weights.map((w) => [suffix(w.originalName), data(w)]));
  const inbound = l.inboundNodes[0].inboundLayers.map((x) => x.name);
  const config = Object.fromEntries(CONFIG_KEYS.map((k) => [k, c[k]]));
  return { name: l.name, cls: l.getClassName(), trainable: l.trainable, inbound, weights, config };
});
const xs = Float32Array.from(floats(n * size * size, top), (u) => 255 * u);
const ys = Float32Array.from({ length: n }, (_, i) => (i + 1) % 2);
let t0 = Date.now();
const graph = buildTrainingGraph(model);
const read = await runGraph(ORT, model, graph, xs, ys);
const onnxSec = (Date.now() - t0) / 1000;
t0 = Date.now();
const varList = trainableVariables(model);
const { value, grads } = tf.variableGrads(() => {
  const preds = model.apply(tf.tensor(xs, [n, size, size, 1]), { training: true }) as tf.Tensor;
  return weightedBce(tf.tensor2d(ys, [n, 1]), preds, CLASS_WEIGHT);
}, varList);
const tfSec = (Date.now() - t0) / 1000;
const trainable = model.trainableWeights.map((w, i) => ({
  layer: w.name.slice(0, w.name.lastIndexOf("/")),
  originalName: w.originalName,
  tfjs: put(grads[varList[i].name].dataSync() as Float32Array, w.shape as number[]),
  onnx: put(read(graph.weights[i].grad), w.shape as number[]),
}));
const loss = { tfjs: value.dataSync()[0], onnx: read(TRAIN_GRAPH_IO.loss)[0] };
const batch = { xs: put(xs, [n, size, size, 1]), ys: Array.from(ys), classWeight: CLASS_WEIGHT };
const meta = { size, n, top, layers, trainable, ...batch, loss, onnxSec, tfSec };
const all = new Float32Array(offset);
let o = 0;
for (const c of chunks) {
  all.set(c, o);
  o += c.length;
}
writeFileSync(`${out}.bin`, Buffer.from(all.buffer));
writeFileSync(`${out}.json`, JSON.stringify(meta));
console.log(`dumped ${out}: onnx ${onnxSec}s tfjs ${tfSec}s loss`, meta.loss);
