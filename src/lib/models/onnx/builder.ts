import type * as tf from "@tensorflow/tfjs";
import type { OnnxAttribute, OnnxNode, OnnxTensor } from "./schema";

/**
 * A tensor of the ONNX graph being built: 4-D values are kept NCHW ("nchw", ONNX's conv layout),
 * everything else as in TF.js ("flat"). `shape` is the TF.js (NHWC) shape with null batch.
 */
export interface GraphValue {
  name: string;
  layout: "nchw" | "flat";
  shape: (number | null)[];
}

/**
 * Collects nodes and initializers with unique value names while a model is converted.
 * @example
 * const b = new GraphBuilder();
 * const y = b.node("Relu", [x.name], "block1_relu");
 */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly used = new Set<string>();

  /** Mark names (graph inputs/outputs) so internal values never take them. */
  reserve(names: string[]): void {
    names.forEach((n) => this.used.add(n));
  }

  /** A fresh value name starting with `base`. */
  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, "_");
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}__${i}`;
    this.used.add(name);
    return name;
  }

  /** Add a float32 initializer; returns its name. */
  constant(base: string, dims: number[], data: Float32Array): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims, data });
    return name;
  }

  /** Add an int64 initializer (shapes, pads, axes); returns its name. */
  constantInt64(base: string, values: number[]): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims: [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))) });
    return name;
  }

  /** Add a node with one output named after `base` (or exactly `outName` when given); returns the output name. */
  node(
    opType: string,
    inputs: string[],
    base: string,
    attributes?: Record<string, OnnxAttribute>,
    outName?: string,
  ): string {
    const output = outName ?? this.unique(base);
    this.nodes.push({ opType, inputs, outputs: [output], name: this.unique(`${base}/${opType}`), attributes });
    return output;
  }
}

/** One weight of a layer as a float32 array plus its TF.js shape, found by name suffix (`kernel`, `gamma` …). */
export function readWeight(
  layer: tf.layers.Layer,
  suffix: string,
): { data: Float32Array; shape: number[] } | undefined {
  const variable = layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`) || w.name.endsWith(`/${suffix}`));
  if (!variable) return undefined;
  const tensor = variable.read();
  return { data: Float32Array.from(tensor.dataSync() as Float32Array), shape: [...tensor.shape] };
}

/** Like `readWeight` but throws when the weight is missing. */
export function requireWeight(layer: tf.layers.Layer, suffix: string): { data: Float32Array; shape: number[] } {
  const weight = readWeight(layer, suffix);
  if (!weight) {
    const names = layer.weights.map((w) => w.originalName).join(", ");
    throw new Error(
      `exportOnnx: layer ${layer.name} has no "${suffix}" weight; build the model (call it once) before exporting. Received: weights [${names}]`,
    );
  }
  return weight;
}

/**
 * TF.js conv kernel [kh, kw, in, out] → ONNX [out, in, kh, kw].
 * @example
 * hwioToOihw(new Float32Array([1, 2]), [1, 1, 1, 2]); // Float32Array [1, 2] (shape [2, 1, 1, 1])
 */
export function hwioToOihw(kernel: Float32Array, shape: number[]): Float32Array {
  const [kh, kw, cin, cout] = shape;
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        const src = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = kernel[src + o];
      }
    }
  }
  return out;
}

/**
 * ONNX pads [top, left, bottom, right] reproducing TF "same"/"valid" padding (TF puts the odd
 * pixel at the end); null when a spatial size is unknown (then auto_pad SAME_UPPER is used).
 * @example
 * tfPads("same", [224, 224], [7, 7], [2, 2], [1, 1]); // [2, 2, 3, 3]
 */
export function tfPads(
  padding: string,
  size: (number | null)[],
  kernel: number[],
  strides: number[],
  dilation: number[],
): number[] | null {
  if (padding === "valid") return [0, 0, 0, 0];
  if (padding !== "same") throw new Error(`exportOnnx: padding must be "same" or "valid". Received: ${padding}`);
  if (size.some((s) => s === null)) return null;
  const total = size.map((s, i) => {
    const n = s as number;
    const effective = (kernel[i] - 1) * dilation[i] + 1;
    return Math.max((Math.ceil(n / strides[i]) - 1) * strides[i] + effective - n, 0);
  });
  const begin = total.map((t) => Math.floor(t / 2));
  return [...begin, ...total.map((t, i) => t - begin[i])];
}
