import * as tf from "@tensorflow/tfjs";

/** Padding accepted by the conv gradient kernels: TF.js's `pad` attribute of Conv2D. */
export type ConvPad =
  "same" | "valid" | number | [[number, number], [number, number], [number, number], [number, number]];

/** Geometry shared by both gradients, as TF.js's `computeConv2DInfo` works it out. */
export interface ConvGradOptions {
  /** Strides `[sh, sw]` or one number for both. */
  strides: number | [number, number];
  /** `'same'`, `'valid'`, a number (same on every side) or explicit NHWC pairs. */
  pad: ConvPad;
  /** Only `'NHWC'` is supported. */
  dataFormat?: "NHWC" | "NCHW";
  /** Rounding for numeric `pad`, as in `tf.conv2d`. */
  dimRoundingMode?: "floor" | "round" | "ceil";
}

// Along H and W of an NHWC tensor: pad (positive) or crop (negative) each side.
function padOrCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const padded = tf.pad(t, [
    [0, 0],
    [Math.max(top, 0), Math.max(bottom, 0)],
    [Math.max(left, 0), Math.max(right, 0)],
    [0, 0],
  ]);
  const [b, h, w, c] = padded.shape;
  const cropTop = Math.max(-top, 0);
  const cropLeft = Math.max(-left, 0);
  const height = h - cropTop - Math.max(-bottom, 0);
  const width = w - cropLeft - Math.max(-right, 0);
  if (cropTop === 0 && cropLeft === 0 && height === h && width === w) return padded;
  return tf.slice(padded, [0, cropTop, cropLeft, 0], [b, height, width, c]);
}

// Insert (s - 1) zeros between neighbouring rows and columns: [B,H,W,C] → [B,(H-1)sh+1,(W-1)sw+1,C].
// Only rank-4 pads: tfjs-backend-webgpu 4.22 generates invalid WGSL for rank-6 Pad ("cannot index type 'vec6'").
function dilateSpatial(t: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return t;
  const [b, h, w, c] = t.shape;
  const cols = tf.pad(tf.reshape(t, [b * h, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]); // [B·H, W, sw, C]
  const rows = tf.pad(tf.reshape(cols, [b, h, 1, w * sw * c]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
  ]); // [B, H, sh, W·sw·C]
  const flat = tf.reshape(rows, [b, h * sh, w * sw, c]);
  return tf.slice(flat, [0, 0, 0, 0], [b, (h - 1) * sh + 1, (w - 1) * sw + 1, c]) as tf.Tensor4D;
}

// Conv geometry (pads, output size) from TF.js itself, after checking what we support.
function convInfo(
  fn: string,
  xShape: number[],
  filterShape: number[],
  opts: ConvGradOptions,
): tf.backend_util.Conv2DInfo {
  if (opts.dataFormat === "NCHW") {
    throw new Error(
      `${fn}: only dataFormat 'NHWC' is supported; transpose to channels-last first. Received: ${opts.dataFormat}`,
    );
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    opts.strides,
    1,
    opts.pad,
    opts.dimRoundingMode,
  );
}

/**
 * Gradient of `conv2d(x, W)` w.r.t. the filter, built from forward ops only (Conv2D, Transpose, Pad, Slice).
 *
 * dW[kh,kw,ci,co] = Σ_{b,i,j} x[b, i·sh+kh−top, j·sw+kw−left, ci] · dy[b,i,j,co] is itself a
 * convolution: input x as [ci, H, W, b] (batch becomes channels), filter dy as [oh, ow, b, co],
 * dilation = stride, stride 1; the [ci, kh, kw, co] result is transposed to [kh, kw, ci, co].
 * Cost: the same multiply-adds as the direct sum, done by the backend's (XNNPACK on wasm) conv.
 * @example
 * const dW = conv2dBackpropFilterViaConv(x, dy, [3, 3, 1, 8], { strides: 2, pad: "same" });
 */
export function conv2dBackpropFilterViaConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  opts: ConvGradOptions,
): tf.Tensor4D {
  const info = convInfo("conv2dBackpropFilterViaConv", x.shape, filterShape, opts);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  return tf.tidy(() => {
    const input = tf.transpose(x, [3, 1, 2, 0]); // [ci, H, W, b]
    const filter = tf.transpose(dy, [1, 2, 0, 3]); // [oh, ow, b, co]
    // Rows needed: top padding, then kh outputs of a filter spanning (oh-1)·sh+1 rows.
    const bottom = kh + (oh - 1) * sh - x.shape[1] - top;
    const right = kw + (ow - 1) * sw - x.shape[2] - left;
    const framed = padOrCrop(input, top, bottom, left, right);
    if (framed !== input) input.dispose(); // activation-sized: free before the conv packs its filter
    const out = tf.conv2d(framed, filter, 1, "valid", "NHWC", [sh, sw]); // [ci, kh, kw, co]
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}

/**
 * Gradient of `conv2d(x, W)` w.r.t. the input, built from forward ops only.
 *
 * dy is dilated by the stride (zeros between entries), framed so that every input position sees
 * the kernel footprint, and convolved (stride 1) with W rotated 180° and its in/out channels swapped.
 * @example
 * const dx = conv2dBackpropInputViaConv([2, 9, 9, 3], dy, filter, { strides: 1, pad: "valid" });
 */
export function conv2dBackpropInputViaConv(
  xShape: [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  opts: ConvGradOptions,
): tf.Tensor4D {
  const info = convInfo("conv2dBackpropInputViaConv", xShape, filter.shape, opts);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  return tf.tidy(() => {
    const spread = dilateSpatial(dy, sh, sw);
    // dx[y] = Σ_k spread[y + top − k]·W[k]: frame spread with (kh−1−top) rows before, enough after for H outputs.
    const before = kh - 1 - top;
    const after = xShape[1] + kh - 1 - spread.shape[1] - before;
    const beforeW = kw - 1 - left;
    const afterW = xShape[2] + kw - 1 - spread.shape[2] - beforeW;
    const framed = padOrCrop(spread, before, after, beforeW, afterW);
    const rotated = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [kh, kw, co, ci]
    return tf.conv2d(framed, rotated, 1, "valid");
  });
}
