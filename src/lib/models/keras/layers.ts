import * as tf from "@tensorflow/tfjs";
import type { LayerWeights, StoredWeight } from "./h5";

/** A missing, extra or misshaped weight when loading a Keras file into a model; `code` says which. */
export class KerasWeightError extends Error {
  constructor(
    readonly code: "missing-layer" | "unused-layer" | "weight-count" | "shape" | "batch-norm-epsilon",
    message: string,
  ) {
    super(message);
    this.name = "KerasWeightError";
  }
}

/** Options of `assignKerasWeights`. */
export interface AssignOptions {
  /** The file, named in errors. */
  what: string;
  /** File layer name → model layer name, for layers named differently on the two sides. */
  rename?: Record<string, string>;
  /** Model layers that may stay as they are when the file lacks them (e.g. a new head on ImageNet weights). */
  allowMissing?: (layer: string) => boolean;
  /** Ignore file layers the model does not have (e.g. the ImageNet classifier of a `_224.h5` top file). */
  allowUnused?: boolean;
  /**
   * Pair file and model layers that match by no name, in order, when their counts and every shape agree (a Keras
   * head called dense/dense_1 → our head_dense1/head_output). Default true.
   */
  pairUnmatched?: boolean;
}

/** What `assignKerasWeights` did. */
export interface AssignReport {
  /** Model layers whose weights were set. */
  loaded: string[];
  /** Pairs made by order (file layer → model layer). */
  paired: [string, string][];
  /** Model layers left as they were (allowed missing). */
  kept: string[];
  /** File layers not used (allowed unused). */
  unused: string[];
}

/**
 * Keras's `naming.to_snake_case` of a class name, which names Keras 3 saving paths:
 * Conv2D → conv2d, BatchNormalization → batch_normalization, ReLU → re_lu.
 */
export function kerasSnakeCase(name: string): string {
  const clean = name.replace(/\W+/g, "");
  return clean
    .replace(/(.)([A-Z][a-z]+)/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

/** A layer as a Keras 3 config lists it: its name, class, and (for a nested model) its own layers. */
export interface ConfigLayer {
  name: string;
  className: string;
  layers?: ConfigLayer[];
}

/**
 * Keras 3 saving paths of layers in config order (`layers/conv2d`, `layers/conv2d_1`, …; a nested model's layers
 * under `layers/functional/layers/…`), as `saving_lib._save_container_state` names them.
 */
export function keras3LayerPaths(layers: ConfigLayer[], prefix = "layers"): { layer: string; path: string }[] {
  const used = new Map<string, number>();
  const out: { layer: string; path: string }[] = [];
  for (const layer of layers) {
    const base = kerasSnakeCase(layer.className);
    const n = used.has(base) ? used.get(base)! + 1 : 0;
    used.set(base, n);
    const path = `${prefix}/${n === 0 ? base : `${base}_${n}`}`;
    out.push({ layer: layer.name, path });
    if (layer.layers) out.push(...keras3LayerPaths(layer.layers, `${path}/layers`));
  }
  return out;
}

/** The model's layers in model order, as `ConfigLayer`s (names the paths of a Keras 3 file we write). */
export function modelConfigLayers(model: tf.LayersModel): ConfigLayer[] {
  return model.layers.map((l) => ({ name: l.name, className: l.getClassName() }));
}

/** Every layer's weights with Keras short names (`Conv1/kernel` → `kernel`), in the layer's weight order. */
export function modelLayerWeights(model: tf.LayersModel): LayerWeights[] {
  return model.layers.map((layer) => {
    const values = layer.getWeights();
    return {
      layer: layer.name,
      weights: layer.weights.map((w, i) => ({
        name: w.originalName.split("/").pop()!,
        shape: [...values[i]!.shape],
        data: values[i]!.dataSync() as Float32Array,
      })),
    };
  });
}

const shapeText = (s: readonly number[]) => `[${s.join(", ")}]`;

// The stored weights of one layer in the model's weight order: by short name when all match, else by position.
function orderFor(layer: tf.layers.Layer, stored: LayerWeights, what: string): StoredWeight[] {
  const want = layer.weights.map((w) => w.originalName.split("/").pop()!);
  if (stored.weights.length !== want.length) {
    throw new KerasWeightError(
      "weight-count",
      `loadKerasWeights: layer ${stored.layer} in ${what} has ${stored.weights.length} weights ` +
        `(${stored.weights.map((w) => w.name).join(", ")}); model layer ${layer.name} has ${want.length} (${want.join(", ")}). ` +
        `Fix: build the model with the same architecture (--arch) as the file. Received: ${what}`,
    );
  }
  const byName = new Map(stored.weights.map((w) => [w.name, w]));
  const named = want.map((n) => byName.get(n));
  const ordered = named.every((w) => w !== undefined) ? (named as StoredWeight[]) : stored.weights;
  ordered.forEach((w, i) => {
    const expected = layer.weights[i]!.shape;
    if (shapeText(w.shape) !== shapeText(expected as number[])) {
      throw new KerasWeightError(
        "shape",
        `loadKerasWeights: weight ${want[i]} of layer ${layer.name} has shape ${shapeText(w.shape)} in ${what}; the model ` +
          `expects ${shapeText(expected as number[])}. Fix: match --size/--channels/--head to the file's model. Received: ${what}`,
      );
    }
  });
  return ordered;
}

// Pair leftover file layers with leftover model layers in order when counts and every shape agree; else say why not.
function pairByOrder(
  files: LayerWeights[],
  layers: tf.layers.Layer[],
): { pairs?: [LayerWeights, tf.layers.Layer][]; why: string } {
  if (files.length === 0) return { why: "" };
  if (files.length !== layers.length)
    return { why: `; pairing by order impossible: ${files.length} file layers left vs ${layers.length} model layers` };
  for (const [i, f] of files.entries()) {
    const layer = layers[i]!;
    const theirs = f.weights.map((w) => shapeText(w.shape)).join(" ");
    const ours = layer.weights.map((w) => shapeText(w.shape as number[])).join(" ");
    if (theirs !== ours)
      return {
        why: `; pairing by order stopped at file layer ${f.layer} (shape ${theirs}) vs model layer ${layer.name} (expects ${ours})`,
      };
  }
  return { pairs: files.map((f, i) => [f, layers[i]!]), why: "" };
}

/**
 * Set a model's weights from a Keras file's layers, matched by layer name (then `rename`, then order for leftovers
 * when `pairUnmatched`), every shape checked. Throws `KerasWeightError` naming the layer, the file and the fix for a
 * missing layer, an unused file layer, a wrong weight count or a wrong shape; nothing is set unless all match.
 * @example
 * const report = assignKerasWeights(model, layers, { what: "model.keras" });
 * report.loaded.length; // layers set
 */
export function assignKerasWeights(model: tf.LayersModel, stored: LayerWeights[], opts: AssignOptions): AssignReport {
  const rename = opts.rename ?? {};
  const withWeights = model.layers.filter((l) => l.weights.length > 0);
  const byName = new Map(withWeights.map((l) => [l.name, l]));
  const plan: [LayerWeights, tf.layers.Layer][] = [];
  const leftoverFile: LayerWeights[] = [];
  for (const s of stored) {
    const target = byName.get(rename[s.layer] ?? s.layer);
    if (target) plan.push([s, target]);
    else leftoverFile.push(s);
  }
  const matched = new Set(plan.map(([, l]) => l));
  let leftoverModel = withWeights.filter((l) => !matched.has(l));
  let pairing = (opts.pairUnmatched ?? true) ? pairByOrder(leftoverFile, leftoverModel) : { why: "" };
  // Layers allowed missing (our fixed preprocessing) are never in a foreign file: pair without them if need be.
  const required = leftoverModel.filter((l) => !opts.allowMissing?.(l.name));
  if (!pairing.pairs && (opts.pairUnmatched ?? true) && required.length < leftoverModel.length) {
    const retry = pairByOrder(leftoverFile, required);
    if (retry.pairs) pairing = retry;
  }
  const paired = pairing.pairs;
  if (paired) {
    plan.push(...paired);
    const used = new Set(paired.map(([, l]) => l));
    leftoverModel = leftoverModel.filter((l) => !used.has(l));
  }
  const unused = paired ? [] : leftoverFile.map((s) => s.layer);
  const missing = leftoverModel.filter((l) => !opts.allowMissing?.(l.name)).map((l) => l.name);
  if (missing.length > 0) {
    throw new KerasWeightError(
      "missing-layer",
      `loadKerasWeights: ${what(opts)} has no weights for model layer(s) ${missing.slice(0, 5).join(", ")}` +
        `${missing.length > 5 ? ` (+${missing.length - 5} more)` : ""}; file layers not matched: ${unused.slice(0, 5).join(", ") || "none"}` +
        `${pairing.why}. ` +
        `Fix: pick the --arch the file was saved from, or map names with rename. Received: ${opts.what}`,
    );
  }
  if (unused.length > 0 && !opts.allowUnused) {
    throw new KerasWeightError(
      "unused-layer",
      `loadKerasWeights: ${what(opts)} holds layer(s) ${unused.slice(0, 5).join(", ")} the model does not have. ` +
        `Fix: pick the matching --arch/--head, or pass allowUnused${pairing.why}. Received: ${opts.what}`,
    );
  }
  const values = plan.map(([s, layer]) => [layer, orderFor(layer, s, opts.what)] as const);
  for (const [layer, ws] of values) {
    const tensors = ws.map((w) => tf.tensor(w.data, w.shape));
    layer.setWeights(tensors);
    tensors.forEach((t) => t.dispose());
  }
  return {
    loaded: plan.map(([, l]) => l.name),
    paired: (paired ?? []).map(([s, l]) => [s.layer, l.name]),
    kept: leftoverModel.map((l) => l.name),
    unused,
  };
}

const what = (opts: AssignOptions) => opts.what;
