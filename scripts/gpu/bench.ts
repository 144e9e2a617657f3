/**
 * Backend bench: which backend runs, whether our conv gradients are right on it, and how fast the 4-block CNN trains.
 *   npx tsx scripts/gpu/bench.ts [--backend auto|webgpu|node-gpu|node|wasm|cpu] [--size 128] [--batch 16]
 *                                [--steps 10] [--warmup 2] [--kernels] [--out result.json]
 * --kernels also times our Conv2DBackprop* kernels against the backend's own (when it has them), per call
 * and per training step. On a GPU machine without node, run the bundle made by scripts/gpu-bundle.sh
 * (docs/gpu.md). Exit code 1 when the correctness check fails.
 */
import * as tf from "@tensorflow/tfjs";
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  BACKEND_PREFERENCES,
  describeBackend,
  initBackend,
  type BackendInfo,
  type BackendPreference,
} from "../../src/lib/backend";
import { createRng } from "../../src/lib/data/random";
import {
  registerConvGradKernels,
  replacedConvGradKernels,
  restoreNativeConvGradKernels,
} from "../../src/lib/kernels/register";
import { buildCnn4, CNN4_FILTERS } from "../../src/lib/models/cnn4";

/** Largest relative error the correctness check accepts (float32 sums of a few hundred terms). */
const CHECK_TOLERANCE = 1e-3;

interface BenchOptions {
  backend: BackendPreference;
  size: number;
  batch: number;
  steps: number;
  warmup: number;
  kernels: boolean;
  out?: string;
}

// Command-line options, checked.
function readOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: "string", default: "auto" },
      size: { type: "string", default: "128" },
      batch: { type: "string", default: "16" },
      steps: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      kernels: { type: "boolean", default: false },
      out: { type: "string" },
    },
  });
  const int = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`bench: --${name} must be a non-negative integer. Received: ${v}`);
    return n;
  };
  if (!(BACKEND_PREFERENCES as readonly string[]).includes(values.backend)) {
    throw new Error(`bench: --backend must be one of ${BACKEND_PREFERENCES.join(", ")}. Received: ${values.backend}`);
  }
  return {
    backend: values.backend as BackendPreference,
    size: int("size", values.size),
    batch: int("batch", values.batch),
    steps: int("steps", values.steps),
    warmup: int("warmup", values.warmup),
    kernels: values.kernels,
    out: values.out,
  };
}

// Uniform values in [-1, 1).
function randomValues(n: number, rng: ReturnType<typeof createRng>): Float32Array {
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

// Gradients of sum(conv2d(x, W)²) on backend `name`, as arrays.
async function convGrads(
  name: string,
  shape: { x: number[]; w: number[]; stride: number; pad: "same" | "valid" },
  xs: Float32Array,
  ws: Float32Array,
): Promise<Float32Array[]> {
  await tf.setBackend(name);
  const f = tf.grads((x: tf.Tensor, w: tf.Tensor) =>
    tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, shape.stride, shape.pad))),
  );
  const inputs = [tf.tensor(xs, shape.x), tf.tensor(ws, shape.w)];
  const grads = f(inputs);
  const out = (await Promise.all(grads.map((g) => g.data()))) as Float32Array[];
  tf.dispose([...inputs, ...grads]);
  return out;
}

// Largest |a - b| over the largest |a|.
function relativeError(a: Float32Array, b: Float32Array): number {
  let scale = 1e-6;
  let worst = 0;
  a.forEach((v, i) => {
    scale = Math.max(scale, Math.abs(v));
    worst = Math.max(worst, Math.abs(v - b[i]));
  });
  return worst / scale;
}

// Our conv gradients on the chosen backend against the cpu backend's own, on random shapes.
async function checkConvGrads(backend: string): Promise<number> {
  const rng = createRng(5);
  let worst = 0;
  for (let i = 0; i < 8; i++) {
    const ci = 1 + rng.int(8);
    const k = 1 + rng.int(3);
    const shape = {
      x: [1 + rng.int(4), 6 + rng.int(20), 6 + rng.int(20), ci],
      w: [k, k, ci, 1 + rng.int(8)],
      stride: 1 + (i % 2),
      pad: (i % 4 < 2 ? "same" : "valid") as "same" | "valid",
    };
    const xs = randomValues(
      shape.x.reduce((a, b) => a * b),
      rng,
    );
    const ws = randomValues(
      shape.w.reduce((a, b) => a * b),
      rng,
    );
    const want = await convGrads("cpu", shape, xs, ws);
    const got = await convGrads(backend, shape, xs, ws);
    worst = Math.max(worst, relativeError(want[0], got[0]), relativeError(want[1], got[1]));
  }
  await tf.setBackend(backend);
  return worst;
}

// Median milliseconds of `fn` (each run awaited), after one untimed warm-up run.
async function medianMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

// Per-call time of both gradient kernels at each CNN4 block's shape (3×3 same, stride 1), whatever is registered now.
async function timeKernels(opts: BenchOptions): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let block = 0; block < CNN4_FILTERS.length; block++) {
    const side = opts.size >> block;
    const ci = block === 0 ? 1 : CNN4_FILTERS[block - 1];
    const co = CNN4_FILTERS[block];
    const x = tf.randomNormal([opts.batch, side, side, ci]);
    const dy = tf.randomNormal([opts.batch, side, side, co]);
    const w = tf.randomNormal([3, 3, ci, co]);
    const attrs = { strides: 1, pad: "same", dataFormat: "NHWC", dimRoundingMode: null };
    const run = (kernel: string, inputs: tf.NamedTensorMap, extra: object) => () =>
      tf
        .tidy(() =>
          tf.sum(
            tf.engine().runKernel(kernel, inputs, { ...attrs, ...extra } as unknown as tf.NamedAttrMap) as tf.Tensor,
          ),
        )
        .data();
    out[`block${block + 1} dW ${side}²×${ci}→${co}`] = await medianMs(
      5,
      run("Conv2DBackpropFilter", { x, dy }, { filterShape: w.shape }),
    );
    out[`block${block + 1} dx ${side}²×${ci}→${co}`] = await medianMs(
      5,
      run("Conv2DBackpropInput", { dy, filter: w }, { inputShape: x.shape }),
    );
    tf.dispose([x, dy, w]);
  }
  return out;
}

// Training throughput of buildCnn4 on random data: median step time over `steps` after `warmup`.
async function timeTraining(opts: BenchOptions): Promise<{ msPerStep: number; imagesPerSecond: number; loss: number }> {
  const model = buildCnn4({ inputSize: opts.size, channels: 1, seed: 1 });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "binaryCrossentropy" });
  const x = tf.randomUniform([opts.batch, opts.size, opts.size, 1]);
  const y = tf.tensor2d(
    Array.from({ length: opts.batch }, (_, i) => i % 2),
    [opts.batch, 1],
  );
  for (let i = 0; i < opts.warmup; i++) await model.trainOnBatch(x, y);
  const times: number[] = [];
  let loss = NaN;
  for (let i = 0; i < opts.steps; i++) {
    const t0 = performance.now();
    loss = (await model.trainOnBatch(x, y)) as number; // returns after the loss is read back: the step is done
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const msPerStep = times[Math.floor(times.length / 2)] ?? NaN;
  tf.dispose([x, y]);
  model.optimizer.dispose();
  model.dispose();
  return { msPerStep, imagesPerSecond: (opts.batch * 1000) / msPerStep, loss };
}

// Run everything, print a summary and return the JSON result with its exit code.
async function bench(opts: BenchOptions): Promise<{ result: Record<string, unknown>; ok: boolean }> {
  const info: BackendInfo = await initBackend({ prefer: opts.backend });
  const backend = info.tfBackend;
  const convGradMaxRelError = await checkConvGrads(backend);
  const ok = convGradMaxRelError < CHECK_TOLERANCE;
  console.log(
    `conv gradient check vs cpu: max relative error ${convGradMaxRelError.toExponential(2)} ${ok ? "ok" : "FAILED"}`,
  );
  const ours = replacedConvGradKernels(backend);
  const result: Record<string, unknown> = { info, options: opts, convGradMaxRelError, oursRegistered: ours };
  if (opts.kernels) result.kernelsOurs = await timeKernels(opts);
  result.train = await timeTraining(opts);
  console.log(
    `train cnn4 ${opts.size}² batch ${opts.batch} (our kernels: ${ours.join(", ") || "none"}): ${JSON.stringify(result.train)}`,
  );
  const restored = opts.kernels ? restoreNativeConvGradKernels(backend) : [];
  if (restored.length > 0) {
    result.kernelsNative = await timeKernels(opts);
    result.trainNative = await timeTraining(opts);
    console.log(`train with ${backend}'s own ${restored.join(", ")}: ${JSON.stringify(result.trainNative)}`);
    registerConvGradKernels(backend, { replace: restored });
  }
  if (opts.kernels)
    console.log(JSON.stringify({ kernelsOurs: result.kernelsOurs, kernelsNative: result.kernelsNative }, null, 1));
  result.summary = describeBackend(info);
  return { result, ok };
}

const options = readOptions(process.argv.slice(2));
const { result, ok } = await bench(options);
if (options.out) writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
process.exit(ok ? 0 : 1); // Dawn keeps the event loop alive; exit explicitly
