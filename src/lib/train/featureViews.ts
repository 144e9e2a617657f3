/**
 * Several cached views of the training images for a head trained on frozen-backbone features: the plain features
 * plus `k` augmented passes (each its own cache file, drawn with its own seed), stacked as one training set, so the
 * head sees augmentation as the fine-tuned layers do, at the cost of k more backbone passes once.
 */
import type { CachedFeatures } from "./featureCache";

/** The rows of several feature sets of the same width, one after another (features, labels and files). */
export function stackFeatures(
  sets: readonly CachedFeatures[],
): Pick<CachedFeatures, "features" | "shape" | "labels" | "files"> {
  if (sets.length === 0) throw new Error("stackFeatures: give at least one feature set. Received: 0 sets");
  const width = sets[0]!.shape.slice(1);
  const bad = sets.find((s) => s.shape.slice(1).join("x") !== width.join("x"));
  if (bad)
    throw new Error(
      `stackFeatures: every set must have rows of shape [${width}]. Received: [${bad.shape.slice(1)}] in ${bad.path}`,
    );
  const rows = sets.reduce((n, s) => n + s.shape[0]!, 0);
  const features = new Float32Array(rows * width.reduce((a, b) => a * b, 1));
  const labels = new Float32Array(rows);
  let offset = 0,
    row = 0;
  for (const s of sets) {
    features.set(s.features, offset);
    labels.set(s.labels, row);
    offset += s.features.length;
    row += s.shape[0]!;
  }
  return { features, shape: [rows, ...width], labels, files: sets.flatMap((s) => s.files) };
}

/** The cache name of an augmented view: the plain preprocessing, the augmentation and the view number. */
export function viewPreprocessing(plain: string, augment: object, view: number): string {
  return view === 0 ? plain : `${plain}+augment${JSON.stringify(augment)}+view${view}`;
}
