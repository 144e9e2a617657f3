/**
 * Forward and backward ONNX subgraphs of the layer types `buildTrainingGraph` supports (NCHW inside,
 * training mode). Each forward function returns its output and a closure that turns the output's
 * gradient into the input's gradient (and writes the layer's weight gradients as graph outputs).
 */
import { GraphBuilder } from "../../models/onnx/builder";
import { attrFloat, attrInt, attrInts, type OnnxAttribute } from "../../models/onnx/schema";

/** Turns dL/d(output) into dL/d(input); `needInput` false for the first layer (no input gradient). */
export type Backward = (dy: string, needInput: boolean) => string | undefined;

/** A forward subgraph: its output value and its backward closure. */
export interface LayerPass {
  y: string;
  backward: Backward;
}

/** A trainable weight fed to the graph (TF.js layout) and the graph output carrying its gradient. */
export interface WeightPort {
  input: string;
  grad: string;
}

/** A weight as a layer subgraph reads it: a fed trainable weight (with `grad`) or a constant of a frozen layer. */
export interface ParamRef {
  input: string;
  grad?: string;
}

/** Graph-building context shared by the layer subgraphs. */
export class TrainGraphBuilder extends GraphBuilder {
  /** Scalar float constants by value (one initializer each). */
  private readonly scalars = new Map<number, string>();

  /** A float scalar constant. */
  scalar(value: number): string {
    let name = this.scalars.get(value);
    if (!name) this.scalars.set(value, (name = this.constant(`const_${value}`, [], new Float32Array([value]))));
    return name;
  }

  /** A node with several outputs; returns their names. */
  multi(
    opType: string,
    inputs: string[],
    base: string,
    count: number,
    attributes?: Record<string, OnnxAttribute>,
  ): string[] {
    const outputs = Array.from({ length: count }, (_, i) => this.unique(`${base}_${i}`));
    this.nodes.push({ opType, inputs, outputs, name: this.unique(`${base}/${opType}`), attributes });
    return outputs;
  }

  /** ReduceSum over `axes` (opset 13: axes as an input). */
  reduceSum(x: string, axes: number[], keepdims: boolean, base: string, outName?: string): string {
    return this.node(
      "ReduceSum",
      [x, this.constantInt64(`${base}/axes`, axes)],
      base,
      { keepdims: attrInt(keepdims ? 1 : 0) },
      outName,
    );
  }

  /** Slice along `axes` (int64 constants), with optional steps. */
  slice(x: string, starts: number[], ends: number[], axes: number[], base: string, steps?: number[]): string {
    const inputs = [
      x,
      this.constantInt64(`${base}/starts`, starts),
      this.constantInt64(`${base}/ends`, ends),
      this.constantInt64(`${base}/axes`, axes),
    ];
    if (steps) inputs.push(this.constantInt64(`${base}/steps`, steps));
    return this.node("Slice", inputs, base);
  }

  /** ReduceMean over `axes`, dims kept. */
  reduceMean(x: string, axes: number[], base: string): string {
    return this.node("ReduceMean", [x], base, { axes: attrInts(axes), keepdims: attrInt(1) });
  }

  /** Reshape to `shape` (int64 constant; -1 and 0 as in ONNX). */
  reshape(x: string, shape: number[], base: string): string {
    return this.node("Reshape", [x, this.constantInt64(`${base}/shape`, shape)], base);
  }

  /**
   * `value` unchanged (a Reshape to its own shape, no copy), but only once `dep` exists. onnxruntime's execution
   * order puts a node right after its inputs: a backward node reading only forward values (the ReLU mask, x̂, the
   * input of a filter gradient) would run during the forward pass and hold a full-size tensor until the backward
   * pass gets there, and a weight-gradient branch nothing else reads could run at the very end, holding every
   * layer's dz. Reading `after(x, dy)` / `after(dz, dW)` instead fixes the order (the memory saved:
   * docs/performance.md, "Training steps on onnxruntime").
   */
  after(value: string, dep: string, base: string, depShapeFixed = false): string {
    // A zero the optimizer cannot fold away: from dep's shape when that has the batch dimension (unknown until
    // run time); when dep's shape is fixed (a weight gradient) it would fold to a constant, so from dep's values.
    const zero = depShapeFixed
      ? this.valueZero(dep, base)
      : this.node(
          "ReduceMin",
          [
            this.node(
              "Mul",
              [this.node("Shape", [dep], `${base}/dep_shape`), this.constantInt64(`${base}/zero`, [0])],
              `${base}/dep_zero`,
            ),
          ],
          `${base}/dep_min`,
          { keepdims: attrInt(1) },
        );
    const shape = this.node("Add", [this.node("Shape", [value], `${base}/shape`), zero], `${base}/late_shape`);
    return this.node("Reshape", [value, shape], `${base}/late`);
  }

  // An int64 zero onnxruntime can only compute at run time, from dep's values: (min(dep) < −∞) is false, NaN included.
  private valueZero(dep: string, base: string): string {
    const min = this.node("ReduceMin", [dep], `${base}/dep_min`, { keepdims: attrInt(0) });
    const isFalse = this.node("Less", [min, this.scalar(-Infinity)], `${base}/dep_false`);
    return this.node("Cast", [isFalse], `${base}/dep_zero`, { to: attrInt(7) });
  }

  /** A graph input whose values arrive at run time (set by the graph's builder): `opaqueReshape`'s zero. */
  runtimeInput?: string;
  private runtimeZero?: string;

  /**
   * `value` reshaped to `shape` by a Reshape whose shape input onnxruntime learns only at run time: its graph
   * optimizers cannot see through it, so transposes on either side, which the transpose optimizer would fuse into one
   * slow general permutation, stay separate fast ones.
   */
  opaqueReshape(value: string, shape: number[], base: string): string {
    if (!this.runtimeInput) throw new Error("TrainGraphBuilder.opaqueReshape: set runtimeInput first");
    this.runtimeZero ??= this.valueZero(this.runtimeInput, "runtime_zero");
    const runtimeShape = this.node(
      "Add",
      [this.constantInt64(`${base}/shape`, shape), this.runtimeZero],
      `${base}/shape_rt`,
    );
    return this.node("Reshape", [value, runtimeShape], base);
  }

  /**
   * Values the backward pass may compute again instead of keeping them from the forward pass: value → a function
   * that builds the value anew once `dep` exists (`late`).
   */
  private readonly recomputes = new Map<string, (dep: string, base: string) => string>();

  /** Let `late(value, …)` rebuild `value` with `build` (a cheap pass over values kept anyway) instead of keeping it. */
  recomputable(value: string, build: (dep: string, base: string) => string): void {
    this.recomputes.set(value, build);
  }

  /** `value` once `dep` exists, rebuilt there when it is `recomputable`, else kept from the forward pass (`after`). */
  late(value: string, dep: string, base: string): string {
    const build = this.recomputes.get(value);
    return build ? build(dep, base) : this.after(value, dep, base);
  }

  /** dy where `y` > 0, else 0 (the ReLU gradient from the ReLU's output), computed once dy exists. */
  reluGrad(dy: string, y: string, base: string): string {
    const positive = this.node("Greater", [this.after(y, dy, base), this.scalar(0)], `${base}/positive`);
    return this.node("Mul", [dy, this.node("Cast", [positive], `${base}/mask`, { to: attrInt(1) })], base);
  }
}

/** Dense (Gemm) + bias + optional ReLU on [n, in]. */
export function denseLayer(
  b: TrainGraphBuilder,
  x: string,
  name: string,
  kernel: ParamRef,
  bias: ParamRef | undefined,
  relu: boolean,
): LayerPass {
  const z = b.node("Gemm", bias ? [x, kernel.input, bias.input] : [x, kernel.input], `${name}/gemm`);
  const y = relu ? b.node("Relu", [z], `${name}/relu`) : z;
  return { y, backward: denseBackward(b, x, y, name, kernel, bias, relu) };
}

/** Backward of `denseLayer` (also used by the sigmoid output, with relu false and dy = dL/dz). */
export function denseBackward(
  b: TrainGraphBuilder,
  x: string,
  y: string,
  name: string,
  kernel: ParamRef,
  bias: ParamRef | undefined,
  relu: boolean,
): Backward {
  return (dy, needInput) => {
    let dz = relu ? b.reluGrad(dy, y, `${name}/dz`) : dy;
    let xLate = x;
    if (bias?.grad) {
      const db = b.reduceSum(dz, [0], false, `${name}/db`, bias.grad);
      xLate = b.after(x, db, `${name}/x`, true);
    }
    if (kernel.grad) {
      const dw = b.node("Gemm", [xLate, dz], `${name}/dw`, { transA: attrInt(1) }, kernel.grad);
      dz = b.after(dz, dw, `${name}/dz_dw`, true);
    }
    return needInput ? b.node("Gemm", [dz, kernel.input], `${name}/dx`, { transB: attrInt(1) }) : undefined;
  };
}

/** A BatchNormalization layer in training mode: its fed γ and β, geometry, and its batch statistics' graph outputs. */
export interface BatchNormSpec {
  name: string;
  gamma: WeightPort;
  beta: WeightPort;
  epsilon: number;
  /** 4 for NCHW, 2 for [n, c]. */
  rank: number;
  channels: number;
  stats: { mean: string; variance: string };
}

/**
 * Batch normalisation with batch statistics over every axis but 1 (NCHW or [n, c]); mean and variance become graph
 * outputs. Every full-size pass is one onnxruntime node: the forward is Sub, ReduceSumSquare and a
 * BatchNormalization node fed the batch statistics; the backward reduces Σdy and Σdy·x, then
 * dx = γσ⁻¹·(dy − mean(dy) − x̂·mean(dy·x̂)), rewritten per channel as dy·a + x·b + c (a BatchNormalization node
 * fed mean 0, variance 1, ε 0 does one of the products), so only two full-size temporaries exist at a time
 * (passes and memory before and after: docs/performance.md).
 */
export function batchNormLayer(b: TrainGraphBuilder, x: string, spec: BatchNormSpec): LayerPass {
  const { name, gamma, beta, epsilon, rank, channels, stats } = spec;
  const axes = rank === 4 ? [0, 2, 3] : [0];
  const bcast = rank === 4 ? [1, -1, 1, 1] : [1, -1];
  const keep = { axes: attrInts(axes), keepdims: attrInt(1) };
  const flat = (v: string, base: string, out?: string) =>
    b.node("Reshape", [v, b.constantInt64(`${base}/shape`, [-1])], base, undefined, out);
  // examples per channel (n·h·w) as a float, from x's shape at run time
  const count = b.node(
    "Cast",
    [
      b.node(
        "ReduceProd",
        [
          b.node(
            "Gather",
            [b.node("Shape", [x], `${name}/x_shape`), b.constantInt64(`${name}/axes_idx`, axes)],
            `${name}/dims`,
          ),
        ],
        `${name}/count_int`,
        { keepdims: attrInt(0) },
      ),
    ],
    `${name}/count`,
    { to: attrInt(1) },
  );
  const mean = b.reduceMean(x, axes, `${name}/mean`);
  const centered = b.node("Sub", [x, mean], `${name}/centered`);
  const variance = b.node("Div", [b.node("ReduceSumSquare", [centered], `${name}/sum_sq`, keep), count], `${name}/var`);
  const [meanFlat, varFlat] = [
    flat(mean, `${name}/mean_out`, stats.mean),
    flat(variance, `${name}/var_out`, stats.variance),
  ];
  const normalize = (input: string, base: string) =>
    b.node("BatchNormalization", [input, gamma.input, beta.input, meanFlat, varFlat], base, {
      epsilon: attrFloat(epsilon),
    });
  const y = normalize(x, `${name}/y`);
  // a conv's filter gradient reads its input late: rebuilt from x (kept for this layer's backward anyway), one pass,
  // instead of keeping a second full-size tensor per batch norm through the whole step
  b.recomputable(y, (dep, base) => normalize(b.after(x, dep, `${base}/bn_x`), `${base}/bn_again`));
  const invStd = b.node(
    "Reciprocal",
    [b.node("Sqrt", [b.node("Add", [variance, b.scalar(epsilon)], `${name}/var_eps`)], `${name}/std`)],
    `${name}/inv_std`,
  );
  const backward: Backward = (dy, needInput) => {
    const sumDy = b.reduceSum(dy, axes, true, `${name}/sum_dy`);
    const sumDyX = b.reduceSum(b.node("Mul", [dy, x], `${name}/dy_x`), axes, true, `${name}/sum_dyx`);
    flat(sumDy, `${name}/dbeta`, beta.grad);
    // Σdy·x̂ = σ⁻¹·(Σdy·x − mean·Σdy)
    const sumDyXhat = b.node(
      "Mul",
      [b.node("Sub", [sumDyX, b.node("Mul", [mean, sumDy], `${name}/mean_sum_dy`)], `${name}/sum_dy_centered`), invStd],
      `${name}/sum_dyxhat`,
    );
    flat(sumDyXhat, `${name}/dgamma`, gamma.grad);
    if (!needInput) return undefined;
    // a = γσ⁻¹, xb = −a·σ⁻¹·mean(dy·x̂), c = −a·mean(dy) − xb·mean: dx = dy·a + x·xb + c
    const a = b.node("Mul", [b.reshape(gamma.input, bcast, `${name}/gamma`), invStd], `${name}/a`);
    const xb = b.node(
      "Neg",
      [
        b.node(
          "Mul",
          [b.node("Mul", [a, invStd], `${name}/a_inv_std`), b.node("Div", [sumDyXhat, count], `${name}/mean_dyxhat`)],
          `${name}/xb_pos`,
        ),
      ],
      `${name}/xb`,
    );
    const c = b.node(
      "Sub",
      [
        b.node(
          "Neg",
          [b.node("Mul", [a, b.node("Div", [sumDy, count], `${name}/mean_dy`)], `${name}/a_mean_dy`)],
          `${name}/neg_a_mean_dy`,
        ),
        b.node("Mul", [xb, mean], `${name}/xb_mean`),
      ],
      `${name}/c`,
    );
    const zeros = b.constant(`${name}/zeros`, [channels], new Float32Array(channels));
    const ones = b.constant(`${name}/ones`, [channels], new Float32Array(channels).fill(1));
    const affine = (v: string, scale: string, shift: string, base: string) =>
      b.node("BatchNormalization", [v, flat(scale, `${base}/scale`), flat(shift, `${base}/shift`), zeros, ones], base, {
        epsilon: attrFloat(0),
      });
    const dyPart = affine(dy, a, c, `${name}/dy_a_c`);
    return b.node("Add", [dyPart, b.node("Mul", [x, xb], `${name}/x_xb`)], `${name}/dx`);
  };
  return { y, backward };
}

/** Dropout as a product with a mask fed per step (0 or 1/(1 − rate)). */
export function dropoutLayer(b: TrainGraphBuilder, x: string, name: string, mask: string): LayerPass {
  const y = b.node("Mul", [x, mask], `${name}/drop`);
  return { y, backward: (dy) => b.node("Mul", [dy, mask], `${name}/dx`) };
}

/** Flatten in TF.js order (NHWC) from an NCHW value. */
export function flattenLayer(b: TrainGraphBuilder, x: string, name: string): LayerPass {
  const nhwc = b.node("Transpose", [x], `${name}/nhwc`, { perm: attrInts([0, 2, 3, 1]) });
  const y = b.node("Flatten", [nhwc], `${name}/flat`, { axis: attrInt(1) });
  const backward: Backward = (dy) => {
    const back = b.node("Reshape", [dy, b.node("Shape", [nhwc], `${name}/shape`)], `${name}/unflat`);
    return b.node("Transpose", [back], `${name}/dx`, { perm: attrInts([0, 3, 1, 2]) });
  };
  return { y, backward };
}

/**
 * Sigmoid of the logit `z`, the weighted binary cross-entropy of `weightedBce` (scores clipped to [ε, 1 − ε],
 * per-example factors `sampleWeights` = classWeight / n), and its gradient with respect to `z`.
 */
export function sigmoidBceLoss(
  b: TrainGraphBuilder,
  z: string,
  labels: string,
  sampleWeights: string,
  epsilon: number,
): { loss: string; scores: string; dz: string } {
  const p = b.reshape(b.node("Sigmoid", [z], "output/sigmoid"), [-1], "output/p");
  const pc = b.node("Clip", [p, b.scalar(epsilon), b.scalar(1 - epsilon)], "loss/clip");
  const one = b.scalar(1);
  const notY = b.node("Sub", [one, labels], "loss/not_y");
  const pos = b.node("Mul", [labels, b.node("Log", [pc], "loss/log_p")], "loss/pos");
  const neg = b.node(
    "Mul",
    [notY, b.node("Log", [b.node("Sub", [one, pc], "loss/one_minus_p")], "loss/log_q")],
    "loss/neg",
  );
  const perSample = b.node("Neg", [b.node("Add", [pos, neg], "loss/sum")], "loss/per_sample");
  const loss = b.reduceSum(b.node("Mul", [perSample, sampleWeights], "loss/weighted"), [0], false, "loss/total");
  // dL/dz = w·(p − y) where ε ≤ p ≤ 1 − ε (clip passes the gradient), else 0
  const inside = b.node(
    "And",
    [
      b.node("GreaterOrEqual", [p, b.scalar(epsilon)], "loss/above"),
      b.node("LessOrEqual", [p, b.scalar(1 - epsilon)], "loss/below"),
    ],
    "loss/inside",
  );
  const raw = b.node("Mul", [b.node("Sub", [p, labels], "loss/residual"), sampleWeights], "loss/dp");
  const dz = b.reshape(b.node("Where", [inside, raw, b.scalar(0)], "loss/dz_flat"), [-1, 1], "loss/dz");
  return { loss, scores: p, dz };
}
