import * as tf from "@tensorflow/tfjs";
import { exportOnnx } from "./export";
import { createOnnxPredictor } from "./runtime";

/** Options of `checkOnnxParity`. */
export interface OnnxParityOptions {
  /** Random inputs per check. Default 2. */
  batch?: number;
  /** Seed of the uniform random inputs. Default 0. */
  seed?: number;
  /** [min, max] of the inputs: [0, 1] (default) for scaled images, [0, 255] for caffe-preprocessed ResNet inputs. */
  inputRange?: [number, number];
  /** onnxruntime threads. Default 2. */
  threads?: number;
  /** Already exported ONNX bytes of `model` (otherwise exported here). */
  onnx?: Uint8Array;
}

/** How far onnxruntime's outputs are from TF.js's on the same inputs. */
export interface OnnxParity {
  /** Largest |tfjs − onnxruntime| over all outputs. */
  maxAbsDiff: number;
  /** Largest |tfjs output|, for scale. */
  maxAbsRef: number;
  /** Input batch shape used (NHWC). */
  inputShape: number[];
}

/**
 * Run `model` on TF.js (current backend, inference mode) and its ONNX export on onnxruntime with the same
 * seeded random inputs; returns the largest absolute difference. Throws when onnxruntime-node is absent.
 * @example
 * const { maxAbsDiff } = await checkOnnxParity(buildCnn4({ inputSize: 32 }));
 * maxAbsDiff < 1e-4; // true
 */
export async function checkOnnxParity(model: tf.LayersModel, opts: OnnxParityOptions = {}): Promise<OnnxParity> {
  const batch = opts.batch ?? 2;
  const [min, max] = opts.inputRange ?? [0, 1];
  const inputShape = [batch, ...(model.inputs[0].shape.slice(1) as number[])];
  if (inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(
      `checkOnnxParity: the model input needs a static shape and batch a positive integer. Received: ${JSON.stringify(inputShape)}`,
    );
  }
  const predictor = await createOnnxPredictor(opts.onnx ?? exportOnnx(model), {
    engine: "onnxruntime",
    threads: opts.threads ?? 2,
  });
  const x = tf.randomUniform(inputShape, min, max, "float32", opts.seed ?? 0);
  try {
    const reference = tf.tidy(() => {
      const y = model.predict(x);
      return Array.isArray(y) ? y[0] : y;
    });
    const expected = (await reference.data()) as Float32Array;
    reference.dispose();
    const actual = await predictor.predict((await x.data()) as Float32Array, inputShape);
    let maxAbsDiff = expected.length === actual.length ? 0 : Infinity;
    let maxAbsRef = 0;
    for (let i = 0; i < expected.length; i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(expected[i] - actual[i]));
      maxAbsRef = Math.max(maxAbsRef, Math.abs(expected[i]));
    }
    return { maxAbsDiff, maxAbsRef, inputShape };
  } finally {
    x.dispose();
    await predictor.dispose();
  }
}
