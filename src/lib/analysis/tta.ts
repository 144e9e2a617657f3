/**
 * Test-time augmentation: score each image as it is and mirrored left–right, and average the two probabilities.
 * Chest X-rays are not left–right symmetric (the heart sits left), so the flip is a mild view change: it averages
 * out a model's reliance on one side's acquisition marks without inventing anatomy.
 */
import type { FloatImage } from "../data/types";
import { checkScores, describe } from "./validate";

/**
 * The image mirrored left–right (column c takes column width − 1 − c), every channel, a new buffer.
 * @example
 * flipHorizontal({ width: 2, height: 1, channels: 1, data: Float32Array.of(1, 2) }).data; // [2, 1]
 */
export function flipHorizontal(image: FloatImage): FloatImage {
  const { width, height, channels, data } = image;
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width; x++) {
      const from = row + (width - 1 - x) * channels,
        to = row + x * channels;
      for (let c = 0; c < channels; c++) out[to + c] = data[from + c]!;
    }
  }
  return { width, height, channels, data: out };
}

/**
 * The mean of several views' probabilities per image (views in the same image order).
 * @example
 * meanOfViews([[0.2, 0.9], [0.4, 0.7]]); // [0.3, 0.8]
 */
export function meanOfViews(views: readonly ArrayLike<number>[]): number[] {
  const fn = "meanOfViews";
  if (!Array.isArray(views) || views.length === 0) {
    throw new RangeError(`${fn}: give one score array per view (at least one). Received: ${describe(views)}`);
  }
  const checked = views.map((v) => checkScores(fn, v, { probabilities: true, scoreName: "view scores" }));
  const n = checked[0]!.length;
  const bad = checked.findIndex((v) => v.length !== n);
  if (bad >= 0) {
    throw new RangeError(
      `${fn}: every view must score the same images; view 0 has ${n}, view ${bad} ${checked[bad]!.length}. Received: lengths ${checked.map((v) => v.length).join(", ")}`,
    );
  }
  return Array.from({ length: n }, (_, i) => checked.reduce((sum, v) => sum + v[i]!, 0) / checked.length);
}
