/** The Keras half of `npm run export`: write `.keras` or Keras 2 `.h5`, read it back, compare outputs with TF.js. */
import * as tf from "@tensorflow/tfjs";
import { statSync } from "node:fs";
import { loadKerasWeights, saveKerasModel, saveKerasWeightsH5 } from "../src/lib/models/keras";

/** Keras formats of `npm run export`. */
export const KERAS_FORMATS = ["keras", "h5"] as const;

export type KerasFormat = (typeof KERAS_FORMATS)[number];

// A same-architecture copy of the model with its weights zeroed, to read the file back into.
async function blankCopy(model: tf.LayersModel): Promise<tf.LayersModel> {
  const copy = await tf.models.modelFromJSON({
    modelTopology: model.toJSON(null, false) as tf.io.ModelJSON["modelTopology"],
  });
  for (const layer of copy.layers) layer.setWeights(layer.getWeights().map((w) => tf.zerosLike(w)));
  return copy;
}

/**
 * Write `model` as `format` to `out`; with `check` > 0, load the file back into a zeroed copy and compare outputs
 * on `check` random 0–255 images (exit 2 on a difference above 1e-6).
 * @example
 * await exportKeras(model, "keras", "outputs/runs/x/model.keras", 4);
 */
export async function exportKeras(
  model: tf.LayersModel,
  format: KerasFormat,
  out: string,
  check: number,
): Promise<number> {
  const started = Date.now();
  if (format === "keras") await saveKerasModel(model, out);
  else await saveKerasWeightsH5(model, out);
  console.log(
    `${out}  (${(statSync(out).size / 2 ** 20).toFixed(1)} MiB, ${format === "keras" ? "Keras 3 .keras" : "Keras 2 weights .h5"}, ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  if (check === 0) return 0;
  const copy = await blankCopy(model);
  const report = await loadKerasWeights(copy, out);
  const shape = [check, ...(model.inputs[0]!.shape.slice(1) as number[])];
  const diff = tf.tidy(() => {
    const x = tf.randomUniform(shape, 0, 255, "float32", 0);
    return tf.max(tf.abs(tf.sub(model.predict(x) as tf.Tensor, copy.predict(x) as tf.Tensor))).dataSync()[0]!;
  });
  const ok = diff <= 1e-6;
  console.log(
    `read back ${report.loaded.length} layers: max |diff| vs tfjs on ${JSON.stringify(shape)} random inputs ${diff.toExponential(2)} ${ok ? "OK" : "MISMATCH"}`,
  );
  return ok ? 0 : 2;
}
