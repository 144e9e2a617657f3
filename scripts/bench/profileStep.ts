/**
 * `npx tsx scripts/bench/profileStep.ts [--model cnn128|cnn224|ft15|ft100] [--batch 16] [--runs 4] [--op Conv …]
 *   [--save profile.json]`
 *
 * Where a training step's time goes on onnxruntime: builds the model's training graph (`buildTrainingGraph`), runs it
 * `--runs` times with onnxruntime's profiler on (2 threads, as `train` does) and prints the step time, kernel time by
 * op type and by node, the filter-gradient time per conv layer, and the host Adam step (`adamStepHost`) on the
 * model's variables. The numbers behind the training-graph comments in docs/performance.md came from it.
 */
import * as tf from "@tensorflow/tfjs";
import { copyFileSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "../../src/lib/backend";
import { buildCnn4 } from "../../src/lib/models/cnn4";
import { loadOnnxRuntime, ortSessionOptions } from "../../src/lib/models/onnx/runtime";
import { buildResNet50Transfer } from "../../src/lib/models/resnet50";
import { adamStepHost } from "../../src/lib/train/onnx/adamHost";
import { trainableVariables } from "../../src/lib/train/step";
import { graphFeeds } from "./graphFeeds";

type Event = { cat: string; name: string; dur: number; args?: { op_name?: string } };

// The model a `--model` name stands for: cnn<size> or ft<top> (ResNet50 head a at 224², top N trainable).
async function buildModel(name: string): Promise<{ model: tf.LayersModel; size: number }> {
  const cnn = /^cnn(\d+)$/.exec(name);
  if (cnn) return { model: buildCnn4({ inputSize: Number(cnn[1]), channels: 1, seed: 42 }), size: Number(cnn[1]) };
  const ft = /^ft(\d+)$/.exec(name);
  if (!ft) throw new Error(`profileStep: --model takes cnn<size> or ft<top>, e.g. cnn128 or ft15. Received: ${name}`);
  const model = await buildResNet50Transfer({ inputSize: 224, channels: 1, head: "a", unfreezeTop: Number(ft[1]) });
  return { model, size: 224 };
}

// Kernel time per key over the profile's node events, ms per run, largest first.
function totals(events: Event[], keyOf: (e: Event) => string | undefined, runs: number): [string, number][] {
  const sums = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== "Node" || !e.name.endsWith("_kernel_time")) continue;
    const key = keyOf(e);
    if (key) sums.set(key, (sums.get(key) ?? 0) + e.dur / 1000 / runs);
  }
  return [...sums].sort((a, b) => b[1] - a[1]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: "string", default: "cnn128" },
      batch: { type: "string", default: "16" },
      runs: { type: "string", default: "4" },
      op: { type: "string", multiple: true, default: [] },
      save: { type: "string" },
    },
  });
  const [batch, runs] = [Number(values.batch), Number(values.runs)];
  await initBackend({ prefer: "wasm", quiet: true });
  const ort = await loadOnnxRuntime();
  if (!ort) throw new Error("profileStep: onnxruntime-node is not installed; run npm install");
  const { model, size } = await buildModel(values.model!);
  const { graph, feeds, bytes } = graphFeeds(ort, model, size, batch);
  const prefix = join(tmpdir(), `pneumo-profile-${process.pid}`);
  const options = {
    ...ortSessionOptions({ threads: 2, memPattern: false }),
    enableProfiling: true,
    profileFilePrefix: prefix,
  };
  const session = await ort.InferenceSession.create(bytes, options as never);
  const vars = trainableVariables(model);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await session.run(feeds);
    times.push(performance.now() - start);
  }
  (session as unknown as { endProfiling(): void }).endProfiling();
  const file = readdirSync(tmpdir()).find((n) => join(tmpdir(), n).startsWith(prefix))!;
  const events = JSON.parse(readFileSync(join(tmpdir(), file), "utf8")) as Event[];
  if (values.save) copyFileSync(join(tmpdir(), file), values.save);
  unlinkSync(join(tmpdir(), file));
  console.log(`${values.model} batch ${batch}: session.run ms ${times.map((t) => t.toFixed(0)).join(" ")}`);
  const byOp = totals(events, (e) => e.args?.op_name, runs);
  console.log(`kernel time a run ${byOp.reduce((a, [, t]) => a + t, 0).toFixed(0)} ms; by op type:`);
  for (const [op, t] of byOp.slice(0, 12)) console.log(`  ${op.padEnd(18)} ${t.toFixed(1)} ms`);
  const node = (e: Event) => e.name.replace(/_kernel_time$/, "");
  console.log("by node:");
  for (const [n, t] of totals(events, node, runs).slice(0, 12))
    console.log(`  ${n.slice(0, 70).padEnd(70)} ${t.toFixed(1)} ms`);
  for (const op of values.op!) {
    console.log(`${op} nodes:`);
    const ofOp = (e: Event) => (e.args?.op_name === op ? node(e) : undefined);
    for (const [n, t] of totals(events, ofOp, runs).slice(0, 15))
      console.log(`  ${n.slice(0, 70).padEnd(70)} ${t.toFixed(1)} ms`);
  }
  const taps = totals(events, (e) => (/tap_mm|tap_sum/.test(e.name) ? e.name.split("/")[0] : undefined), runs);
  console.log(`filter gradients by layer (ms): ${taps.map(([l, t]) => `${l} ${t.toFixed(0)}`).join(", ")}`);
  const optimizer = tf.train.adam(1e-4);
  const grads = vars.map((v) => new Float32Array(v.size).fill(1e-4));
  adamStepHost(optimizer, vars, grads);
  const start = performance.now();
  for (let i = 0; i < 3; i++) adamStepHost(optimizer, vars, grads);
  const params = vars.reduce((a, v) => a + v.size, 0);
  console.log(`host Adam step: ${((performance.now() - start) / 3).toFixed(0)} ms for ${params} parameters`);
  await session.release();
  model.dispose();
  optimizer.dispose();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
