/**
 * MobileNetV2 bench line: inference and fine-tuning img/s at 224² (batch 8, head b, top 5 backbone layers trainable:
 * Conv_1, Conv_1_bn, block_16_project(_BN), the most TF.js wasm can train, as it has no DepthwiseConv2D input
 * gradient; random weights, which cost the same as ImageNet ones) on onnxruntime (what predict and `train` use: the
 * exported model and the training graph, 2 threads) and on the TF.js fallback, vs PyTorch
 * `torchvision.models.mobilenet_v2` on CPU with 2 threads (scripts/bench/mobilenet_torch.py), same protocol:
 * 1 warm-up batch, then `batches` timed.
 *   npx tsx scripts/bench/mobilenet.ts [--batches 3] [--size 224]        (npm run bench -- --mobilenet)
 */
import * as tf from "@tensorflow/tfjs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "../../src/lib/backend";
import { buildMobileNetV2Transfer } from "../../src/lib/models/mobilenetv2";
import { createOnnxPredictor, onnxRuntimeAvailable } from "../../src/lib/models/onnx";
import { createOnnxTrainer } from "../../src/lib/train/onnx/trainer";
import { trainableVariables } from "../../src/lib/train/step";
import { timedCalls } from "./tasks";

/** One measured MobileNetV2 line. */
export interface MobileNetBench {
  engine: string;
  size: number;
  inferenceImgPerSec: number;
  finetuneImgPerSec: number;
  /** The same on onnxruntime, or why it did not run. */
  onnx: { inferenceImgPerSec: number; finetuneImgPerSec: number } | { skipped: string };
  peer?:
    | { torch: string; torchvision: string; threads: number; inference_img_s: number; finetune_img_s: number }
    | { skipped: string };
}

const BATCH = 8;
const UNFREEZE_TOP = 5;
// The same trainable tensors in torchvision: features[17] project conv + BN, features[18] conv + BN (weight, bias).
const TORCH_TRAINABLE_PARAMS = 6;

// The PyTorch peer, or why it was skipped.
function torchPeer(size: number, batches: number): MobileNetBench["peer"] {
  try {
    const script = join(import.meta.dirname, "mobilenet_torch.py");
    const args = [
      script,
      "--size",
      String(size),
      "--batch",
      String(BATCH),
      "--batches",
      String(batches),
      "--threads",
      "2",
      "--trainable-params",
      String(TORCH_TRAINABLE_PARAMS),
    ];
    return JSON.parse(
      execFileSync("/usr/bin/python3", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
        .trim()
        .split("\n")
        .pop()!,
    );
  } catch (error) {
    return {
      skipped: `PyTorch peer failed: ${String((error as Error).message)
        .split("\n")
        .slice(-2)
        .join(" ")}`,
    };
  }
}

/**
 * Measure the MobileNetV2 line on the current best backend (see `initBackend`) and the PyTorch peer.
 * @example
 * const line = await benchMobileNet({ batches: 3 }); line.finetuneImgPerSec;
 */
export async function benchMobileNet(opts: { batches?: number; size?: number } = {}): Promise<MobileNetBench> {
  const batches = opts.batches ?? 3;
  const size = opts.size ?? 224;
  const backend = await initBackend({ quiet: true });
  const model = buildMobileNetV2Transfer({ inputSize: size, channels: 3, unfreezeTop: UNFREEZE_TOP, seed: 0 });
  model.compile({ optimizer: tf.train.adam(1e-4), loss: "binaryCrossentropy" });
  const x = tf.randomUniform([BATCH, size, size, 3], 0, 255, "float32", 1);
  const y = tf.tensor2d(
    Array.from({ length: BATCH }, (_, i) => i % 2),
    [BATCH, 1],
  );
  const inference = await timedCalls(
    async () => void (await tf.tidy(() => model.predict(x) as tf.Tensor).data()),
    batches,
  );
  const finetune = await timedCalls(async () => void (await model.trainOnBatch(x, y)), batches);
  const n = BATCH * batches;
  const onnx = await onnxLine(model, x, y, batches);
  tf.dispose([x, y]);
  model.dispose();
  return {
    engine: backend.choice,
    size,
    inferenceImgPerSec: n / inference,
    finetuneImgPerSec: n / finetune,
    onnx,
    peer: torchPeer(size, batches),
  };
}

// Inference through the exported model and fine-tuning steps through the training graph, both on onnxruntime.
async function onnxLine(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  batches: number,
): Promise<MobileNetBench["onnx"]> {
  if (!(await onnxRuntimeAvailable())) return { skipped: "onnxruntime-node is not installed" };
  const predictor = await createOnnxPredictor(model, { engine: "onnxruntime", threads: 2 });
  const xs = x.dataSync() as Float32Array;
  const inference = await timedCalls(async () => void (await predictor.predict(xs, x.shape)), batches);
  await predictor.dispose();
  const optimizer = tf.train.adam(1e-4);
  const trainer = await createOnnxTrainer(model, optimizer, trainableVariables(model), { threads: 2 });
  const labels = y.reshape([-1]);
  let step = 0;
  const finetune = await timedCalls(async () => void (await trainer.step(x, labels, step++)), batches);
  await trainer.dispose();
  tf.dispose([labels]);
  optimizer.dispose();
  return { inferenceImgPerSec: (BATCH * batches) / inference, finetuneImgPerSec: (BATCH * batches) / finetune };
}

/** The bench line as text. */
export function formatMobileNetLine(b: MobileNetBench): string {
  const peer =
    b.peer && "torch" in b.peer
      ? `PyTorch ${b.peer.torch} (torchvision ${b.peer.torchvision}, ${b.peer.threads} threads): inference ${b.peer.inference_img_s.toFixed(2)}, fine-tune ${b.peer.finetune_img_s.toFixed(2)} img/s`
      : ((b.peer as { skipped: string } | undefined)?.skipped ?? "no peer");
  const onnx =
    "skipped" in b.onnx
      ? `onnxruntime: ${b.onnx.skipped}`
      : `onnxruntime (2 threads): inference ${b.onnx.inferenceImgPerSec.toFixed(2)}, fine-tune ${b.onnx.finetuneImgPerSec.toFixed(2)} img/s`;
  return (
    `MobileNetV2 ${b.size}² batch ${BATCH}, top ${UNFREEZE_TOP} layers trainable — ${onnx} · TF.js ${b.engine}: inference ` +
    `${b.inferenceImgPerSec.toFixed(2)}, fine-tune ${b.finetuneImgPerSec.toFixed(2)} img/s · ${peer}`
  );
}

if (process.argv[1]?.endsWith("mobilenet.ts")) {
  const { values } = parseArgs({
    options: { batches: { type: "string", default: "3" }, size: { type: "string", default: "224" } },
  });
  console.log(
    formatMobileNetLine(await benchMobileNet({ batches: Number(values.batches), size: Number(values.size) })),
  );
}
