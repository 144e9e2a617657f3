/**
 * The acquisition-series breakdown of a scored set: normals of the `IM-…` and `NORMAL2-IM-…` series apart, and
 * pneumonia by subtype (bacteria, virus). A model that separates one normal series much better than the other
 * leans on how the images were taken rather than on the disease.
 */
import type { Subtype } from "../data/types";
import { rocAucScore } from "./ranking";
import { checkThreshold } from "./validate";

/** Normal series (`IM`, `NORMAL2-IM`, `other`) or pneumonia subtype of an image. */
export type ImageSeries = "IM" | "NORMAL2-IM" | "other-normal" | "bacteria" | "virus" | "unknown";

/** One series at one threshold. */
export interface SeriesMetrics {
  series: ImageSeries;
  /** 0 for the normal series, 1 for the pneumonia subtypes. */
  label: 0 | 1;
  count: number;
  /** Classified correctly at the threshold (normals below it, pneumonia at or above). */
  correct: number;
  /** correct / count: specificity of a normal series, sensitivity of a subtype. */
  rate: number;
  /** AUC of this series against every image of the other class (NaN when that class is absent). */
  auc: number;
}

/**
 * The series of one image from its file name and label: `NORMAL2-IM-1427-0001.jpeg` → "NORMAL2-IM",
 * `IM-0115-0001.jpeg` → "IM"; pneumonia images by their subtype.
 * @example
 * imageSeries("test/NORMAL/NORMAL2-IM-0246-0001.jpeg", 0, "normal"); // "NORMAL2-IM"
 */
export function imageSeries(file: string, label: number, subtype: Subtype): ImageSeries {
  if (label === 1) return subtype === "normal" ? "unknown" : subtype;
  const base = file.split("/").pop() ?? file;
  if (base.startsWith("NORMAL2-IM-")) return "NORMAL2-IM";
  if (base.startsWith("IM-")) return "IM";
  return "other-normal";
}

const ORDER: readonly ImageSeries[] = ["IM", "NORMAL2-IM", "other-normal", "bacteria", "virus", "unknown"];

/**
 * Count, correct rate and AUC (against the other class) per series present in the set, at `threshold`.
 * @example
 * seriesBreakdown({ files, yTrue, yScore, subtypes }, 0.42);
 * // [{ series: "IM", label: 0, count: 80, correct: 61, rate: 0.7625, auc: 0.95 }, …]
 */
export function seriesBreakdown(
  set: { files: readonly string[]; yTrue: readonly number[]; yScore: readonly number[]; subtypes: readonly Subtype[] },
  threshold: number,
): SeriesMetrics[] {
  checkThreshold("seriesBreakdown", threshold);
  const series = set.files.map((f, i) => imageSeries(f, set.yTrue[i]!, set.subtypes[i]!));
  const out: SeriesMetrics[] = [];
  for (const name of ORDER) {
    const members = series.flatMap((s, i) => (s === name ? [i] : []));
    if (members.length === 0) continue;
    const label = set.yTrue[members[0]!] === 1 ? 1 : 0;
    const correct = members.filter((i) => (set.yScore[i]! >= threshold ? 1 : 0) === label).length;
    const others = set.yTrue.flatMap((y, i) => (y !== label ? [i] : []));
    const idx = [...members, ...others];
    const auc =
      others.length === 0
        ? NaN
        : rocAucScore(
            idx.map((i) => set.yTrue[i]!),
            idx.map((i) => set.yScore[i]!),
          );
    out.push({ series: name, label, count: members.length, correct, rate: correct / members.length, auc });
  }
  return out;
}
