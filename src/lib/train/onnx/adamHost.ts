/**
 * The update of a TF.js Adam optimizer for gradients that arrive as Float32Arrays (from onnxruntime), computed
 * as one JavaScript loop per variable. On wasm the m and v slots are updated in place on the heap, and the weights
 * in a host copy (`variableValues`) that goes into one fresh tensor; elsewhere into three fresh tensors.
 * `optimizer.applyGradients` runs every variable's update inside one tidy, so all their temporaries live at once on
 * the wasm heap (which never shrinks), a large share of the training process's peak memory (docs/performance.md).
 * Same formula, slots (`<name>/m`, `<name>/v`), β-powers and iteration count as tfjs-core's AdamOptimizer, so
 * checkpoints are unchanged. This module is also the one place that reads and puts back the β-powers for
 * checkpoints (both engines); the optimizer's fields come from `tfjsInternals`.
 */
import * as tf from "@tensorflow/tfjs";
import { adamInternals, ownedWasmStorage, type AdamInternals } from "../../tfjsInternals";

// The optimizer's slot i for `variable` (created as zeros, like tfjs-core, on first use).
function slot(
  slots: AdamInternals["accumulatedFirstMoment"],
  i: number,
  variable: tf.Variable,
  suffix: "m" | "v",
): tf.Variable {
  slots[i] ??= {
    originalName: `${variable.name}/${suffix}`,
    variable: tf.tidy(() => tf.zerosLike(variable).variable(false)),
  };
  return slots[i].variable;
}

// variable ← values (one fresh tensor whose buffer moves to the variable).
function assignValues(variable: tf.Variable, values: Float32Array): void {
  const fresh = tf.tensor(values, variable.shape, "float32");
  variable.assign(fresh);
  fresh.dispose();
}

// Host copies of weights as this module last wrote them, with the tensor data they went into: while a variable
// still holds that data, its values need no copy out of TF.js. Only on wasm, where `tf.tensor` copies onto the heap
// (the cpu backend would keep the array itself as the tensor's storage).
const hostCopies = new WeakMap<tf.Variable, { dataId: object; values: Float32Array }>();

/**
 * A variable's values as a Float32Array: the host copy `adamStepHost` wrote last while the variable still holds it
 * (no copy out of TF.js: the onnxruntime trainer feeds every trainable weight at every step), else `dataSync()`.
 * Read-only for the caller, and valid until the next `adamStepHost`.
 * @example
 * const feed = new ort.Tensor("float32", variableValues(v), v.shape);
 */
export function variableValues(variable: tf.Variable): Float32Array {
  const cached = hostCopies.get(variable);
  if (cached && cached.dataId === variable.dataId) return cached.values;
  return variable.dataSync() as Float32Array;
}

// The weights' host copy to update in place (on wasm `dataSync` copies out of the heap, so either array is ours);
// undefined off wasm.
function ownedHostCopy(variable: tf.Variable): Float32Array | undefined {
  return tf.getBackend() === "wasm" ? variableValues(variable) : undefined;
}

// Adam's update of one variable in one pass: m' = β₁m + (1−β₁)g, v' = β₂v + (1−β₂)g², w' = w − lr·(m'/c₁)/(√(v'/c₂) + ε),
// with the divisions by c₁ and c₂ hoisted out of the loop (one division a weight instead of three), as a top-level
// function V8 optimises once for every variable (docs/performance.md). `outs` may be `ins` (in place).
function adamKernel(
  g: Float32Array,
  [mv, vv, wv]: Float32Array[],
  [mo, vo, wo]: Float32Array[],
  k: { beta1: number; beta2: number; epsilon: number; stepSize: number; invC2: number },
): void {
  const { beta1, beta2, epsilon, stepSize, invC2 } = k;
  const [b1, b2] = [1 - beta1, 1 - beta2];
  const n = wo.length;
  for (let j = 0; j < n; j++) {
    const gj = g[j];
    const mj = Math.fround(mv[j] * beta1 + gj * b1);
    const vj = Math.fround(vv[j] * beta2 + gj * gj * b2);
    mo[j] = mj;
    vo[j] = vj;
    wo[j] = wv[j] - (stepSize * mj) / (Math.sqrt(vj * invC2) + epsilon);
  }
}

/**
 * One Adam step with gradients `grads[i]` for `varList[i]`, as tfjs-core's `AdamOptimizer.applyGradients` would
 * do it; returns false (nothing changed) when `optimizer` is not tfjs's Adam — then call `applyGradients`.
 * @example
 * if (!adamStepHost(optimizer, varList, grads)) optimizer.applyGradients(varList.map((v, i) => ({ name: v.name, tensor: tf.tensor(grads[i], v.shape) })));
 */
export function adamStepHost(optimizer: tf.Optimizer, varList: tf.Variable[], grads: Float32Array[]): boolean {
  const adam = adamInternals(optimizer);
  if (!adam) return false;
  if (grads.length !== varList.length || grads.some((g, i) => g.length !== varList[i].size)) {
    throw new Error(
      `adamStepHost: one gradient of the variable's size per variable is needed. Received: ${grads.length} gradients for ${varList.length} variables`,
    );
  }
  const { beta1, beta2, epsilon, learningRate } = adam;
  const c1 = 1 - adam.accBeta1.dataSync()[0];
  const c2 = 1 - adam.accBeta2.dataSync()[0];
  varList.forEach((variable, i) => {
    const g = grads[i];
    const m = slot(adam.accumulatedFirstMoment, i, variable, "m");
    const v = slot(adam.accumulatedSecondMoment, i, variable, "v");
    // in place where allowed: the slots on the wasm heap (no TF.js allocation happens before the loop ends)
    const wHost = ownedHostCopy(variable);
    const [mIn, vIn] = [ownedWasmStorage(m), ownedWasmStorage(v)];
    const [mv, vv, wv] = [mIn ?? m.dataSync(), vIn ?? v.dataSync(), wHost ?? variable.dataSync()] as Float32Array[];
    const [mo, vo, wo] = [
      mIn ?? new Float32Array(mv.length),
      vIn ?? new Float32Array(vv.length),
      wHost ?? new Float32Array(wv.length),
    ];
    adamKernel(g, [mv, vv, wv], [mo, vo, wo], { beta1, beta2, epsilon, stepSize: learningRate / c1, invC2: 1 / c2 });
    if (!mIn) assignValues(m, mo);
    if (!vIn) assignValues(v, vo);
    // the weights always get a fresh tensor: XNNPACK keeps packed copies of conv and matmul weights by tensor
    assignValues(variable, wo);
    if (wHost) hostCopies.set(variable, { dataId: variable.dataId, values: wo });
  });
  tf.tidy(() => {
    adam.accBeta1.assign(tf.mul(adam.accBeta1, beta1));
    adam.accBeta2.assign(tf.mul(adam.accBeta2, beta2));
  });
  adam.incrementIterations();
  return true;
}

/**
 * Adam's accumulated β-powers `[β₁ᵗ⁺¹, β₂ᵗ⁺¹]` after t steps, as tfjs-core keeps them (float32, one
 * multiplication per step); undefined for another optimizer. A checkpoint stores them because `setWeights`
 * rebuilds them with `pow`, off in the last bits after a few steps (β₂ after 18: 0.98117024 by products,
 * 0.98117030 by pow).
 * @example
 * const powers = readAdamBetaPowers(optimizer); // [0.9, 0.999] before the first step
 */
export function readAdamBetaPowers(optimizer: tf.Optimizer): [number, number] | undefined {
  const adam = adamInternals(optimizer);
  return adam && [adam.accBeta1.dataSync()[0], adam.accBeta2.dataSync()[0]];
}

/**
 * Put back β-powers saved by `readAdamBetaPowers`; call it after `optimizer.setWeights`, which overwrites them.
 * @example
 * await optimizer.setWeights(slots);
 * restoreAdamBetaPowers(optimizer, state.adamBetaPowers);
 */
export function restoreAdamBetaPowers(optimizer: tf.Optimizer, powers: [number, number]): void {
  const adam = adamInternals(optimizer);
  const valid = Array.isArray(powers) && powers.length === 2 && powers.every((p) => p > 0 && p <= 1);
  if (!adam || !valid) {
    throw new Error(
      `restoreAdamBetaPowers: needs a TF.js Adam optimizer and two powers in (0, 1]. ` +
        `Received: ${optimizer.getClassName()}, ${JSON.stringify(powers)}`,
    );
  }
  tf.tidy(() => {
    adam.accBeta1.assign(tf.scalar(powers[0]));
    adam.accBeta2.assign(tf.scalar(powers[1]));
  });
}
