/**
 * Conv2D + bias + ReLU as one differentiable op that keeps only what its gradient needs.
 *
 * While gradients are recorded, tfjs-core runs a Keras `Conv2D(activation: "relu")` as three taped ops:
 * Conv2D, Add (which saves both of its inputs, the conv output among them, to know their shapes) and Relu
 * — two activation-sized tensors per layer that only the backward pass keeps alive. Here the forward
 * pass saves x, W and the output y; the gradient is
 *   dz = dy·step(y),  db = Σ dz,  dW = Conv2DBackpropFilter(x, dz),  dx = Conv2DBackpropInput(dz, W),
 * run through the backend's registered kernels (ours on wasm). Fewer saved tensors is what lets 224² train on
 * the 4 GB wasm heap (measured: docs/performance.md, "Measurements behind code comments").
 */
import * as tf from "@tensorflow/tfjs";
import { reluGradBiasHost } from "./convReluHost";

/** Geometry of `conv2dBiasRelu` (NHWC, dilation 1). */
export interface ConvReluGeometry {
  strides: [number, number];
  pad: "same" | "valid";
}

/**
 * relu(conv2d(x, W) + b) with a gradient that needs only x, W and the output.
 * @example
 * const y = conv2dBiasRelu(x, kernel, bias, { strides: [1, 1], pad: "same" });
 */
export function conv2dBiasRelu(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, geometry: ConvReluGeometry): tf.Tensor4D {
  const { strides, pad } = geometry;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, w, b] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    // conv, add and relu in a tidy: the two intermediates go at once. (wasm's FusedConv2D was no faster and
    // raised peak memory: docs/performance.md.)
    const value = tf.tidy(() => tf.relu(tf.add(tf.conv2d(xi, w, strides, pad), b))) as tf.Tensor4D;
    save([xi, w, value]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] =>
      tf.tidy(() => {
        const [xs, ws, y] = saved as tf.Tensor4D[];
        const [dz, db] = (reluGradBiasHost(dy, y) ?? tf.tidy(() => {
          const g = tf.mul(dy, tf.step(y)); // step(y) freed at once
          return [g, tf.sum(g, [0, 1, 2])];
        })) as [tf.Tensor4D, tf.Tensor1D];
        const attrs = { strides, pad, dataFormat: "NHWC", dimRoundingMode: undefined as unknown as string };
        const engine = tf.engine();
        const dW = engine.runKernel("Conv2DBackpropFilter", { x: xs, dy: dz }, { ...attrs, filterShape: ws.shape }) as tf.Tensor;
        const dx = engine.runKernel("Conv2DBackpropInput", { dy: dz, filter: ws }, { ...attrs, inputShape: xs.shape }) as tf.Tensor;
        return [dx, dW, db];
      });
    return { value, gradFunc };
  });
  return op(x, filter, bias) as tf.Tensor4D;
}

// The layers API keeps the Conv2D class private; its constructor is reachable from an instance.
type LayerClass = new (args: object) => tf.layers.Layer;
const BaseConv2D = tf.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as LayerClass;

// Fields of tfjs-layers' Conv2D that the fast path reads.
interface Conv2DFields {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[];
  activation: { getClassName(): string } | null;
}

/**
 * Keras Conv2D whose training-mode pass with `activation: "relu"`, a bias, channels-last data and
 * dilation 1 uses `conv2dBiasRelu`; every other case (and inference) runs the stock layer. Serialises
 * as "Conv2D", and loading a model builds this class.
 */
export class FastConv2D extends BaseConv2D {
  static className = "Conv2D";

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as Conv2DFields;
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const fast =
      kwargs["training"] === true &&
      input.rank === 4 &&
      self.bias !== null &&
      self.activation?.getClassName() === "relu" &&
      self.dataFormat === "channelsLast" &&
      self.dilationRate.every((d) => d === 1) &&
      (self.padding === "same" || self.padding === "valid");
    if (!fast) return super.call(inputs, kwargs);
    return tf.tidy(() =>
      conv2dBiasRelu(input as tf.Tensor4D, self.kernel.read() as tf.Tensor4D, self.bias!.read() as tf.Tensor1D, {
        strides: [self.strides[0], self.strides[1]],
        pad: self.padding as "same" | "valid",
      }),
    );
  }
}
tf.serialization.SerializationMap.register(FastConv2D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** Options of `fastConv2d` (those of `tf.layers.conv2d`). */
export type FastConv2DOptions = Parameters<typeof tf.layers.conv2d>[0];

/**
 * A `FastConv2D` layer (drop-in for `tf.layers.conv2d`).
 * @example
 * fastConv2d({ name: "block1_conv1", filters: 32, kernelSize: 3, padding: "same", activation: "relu" });
 */
export function fastConv2d(opts: FastConv2DOptions): tf.layers.Layer {
  return new FastConv2D(opts);
}
