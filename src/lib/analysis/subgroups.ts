/**
 * Metrics per class and per pneumonia subtype: how well does the model catch bacterial versus viral
 * pneumonia? A subtype is scored against ALL normals (its sensitivity, and the AUC of that subtype's
 * positives versus every normal), the usual reading of subgroup performance in the chest X-ray data.
 */
import { LABELS, labelToTarget, type Label, type Subtype } from "../data/types";
import { countAtThreshold, metricsFromCounts, type BinaryMetrics } from "./confusion";
import { rocAucFromInput } from "./ranking";
import { checkSameLength, checkScores, checkThreshold, classCounts, describe, warnUndefined } from "./validate";

/** Anything with a label and a subtype, e.g. an ImageRecord. */
export interface SubgroupRecord {
  label: Label;
  subtype: Subtype;
}

/** Pneumonia subtypes reported separately ("unknown": a PNEUMONIA file whose name names none). */
export type PneumoniaSubtype = Exclude<Subtype, "normal">;

export const PNEUMONIA_SUBTYPES: readonly PneumoniaSubtype[] = ["bacteria", "virus", "unknown"];

/** One pneumonia subtype against all normals. */
export interface SubtypeMetrics {
  /** Images of this subtype. */
  count: number;
  /** Of those, predicted pneumonia (score >= threshold). */
  detected: number;
  /** detected / count. */
  sensitivity: number;
  /** ROC AUC of this subtype's images (positives) against all normals (negatives); NaN without normals. */
  auc: number;
}

/** One class: how many of its images are classified correctly. */
export interface ClassMetrics {
  count: number;
  correct: number;
  /** correct / count: specificity for NORMAL, sensitivity for PNEUMONIA; NaN when count = 0. */
  recall: number;
}

/** Result of {@link subgroupMetrics}. */
export interface SubgroupReport {
  threshold: number;
  /** Every threshold metric on all images, plus the count and the overall ROC AUC. */
  overall: BinaryMetrics & { count: number; auc: number };
  byClass: Record<Label, ClassMetrics>;
  /** Subtypes present in the records only, in the order bacteria, virus, unknown. */
  bySubtype: Partial<Record<PneumoniaSubtype, SubtypeMetrics>>;
}

/** Check records: an array of {label, subtype} whose label and subtype agree; returns the 0/1 targets. */
function checkRecords(fn: string, records: readonly SubgroupRecord[]): Float64Array {
  if (!Array.isArray(records) || records.length === 0) {
    throw new RangeError(
      `${fn}: records must be a non-empty array of { label, subtype } (e.g. ImageRecord[]). Received: ${describe(records)}`,
    );
  }
  return Float64Array.from(records, (r, i) => {
    const ok =
      r !== null &&
      typeof r === "object" &&
      LABELS.includes(r.label) &&
      (r.label === "NORMAL" ? r.subtype === "normal" : PNEUMONIA_SUBTYPES.includes(r.subtype as PneumoniaSubtype));
    if (!ok) {
      throw new RangeError(
        `${fn}: record ${i} needs label NORMAL with subtype "normal", or PNEUMONIA with subtype bacteria, virus or unknown. Received: ${describe(r)}`,
      );
    }
    return labelToTarget(r.label);
  });
}

/** AUC of the samples selected by `keep` (checked input, no warnings). */
function aucOf(yTrue: Float64Array, yScore: Float64Array, keep: (i: number) => boolean): number {
  const idx = Array.from(yTrue.keys()).filter(keep);
  return rocAucFromInput(
    Float64Array.from(idx, (i) => yTrue[i]),
    Float64Array.from(idx, (i) => yScore[i]),
  );
}

/**
 * Metrics per class and per pneumonia subtype at one threshold (predict pneumonia when
 * score >= threshold). `overall` holds every threshold metric and the AUC; `byClass` the recall of
 * each class; `bySubtype` each subtype's sensitivity and its AUC against all normals. Without normals
 * (or without pneumonia) the metrics that need them are NaN, with one warning.
 * @example
 * const report = subgroupMetrics(testRecords, scores, 0.5);
 * report.bySubtype.virus;   // { count: 148, detected: 131, sensitivity: 0.885, auc: 0.93 }
 * report.byClass.NORMAL;    // { count: 234, correct: 180, recall: 0.769 }
 */
export function subgroupMetrics(
  records: readonly SubgroupRecord[],
  yScore: ArrayLike<number>,
  threshold = 0.5,
): SubgroupReport {
  const fn = "subgroupMetrics";
  const yTrue = checkRecords(fn, records);
  const scores = checkScores(fn, yScore);
  checkSameLength(fn, yTrue.length, scores.length, "records and yScore");
  checkThreshold(fn, threshold);

  const counts = countAtThreshold(yTrue, scores, threshold);
  const positives = counts.tp + counts.fn,
    negatives = counts.tn + counts.fp;
  if (positives === 0 || negatives === 0) {
    warnUndefined(
      fn,
      `AUCs and the recall of the missing class need both NORMAL and PNEUMONIA records ${classCounts(positives, negatives)}`,
    );
  }
  const overall = { ...metricsFromCounts(counts, threshold), count: yTrue.length, auc: rocAucFromInput(yTrue, scores) };
  const byClass: Record<Label, ClassMetrics> = {
    NORMAL: { count: negatives, correct: counts.tn, recall: overall.specificity },
    PNEUMONIA: { count: positives, correct: counts.tp, recall: overall.sensitivity },
  };

  const bySubtype: Partial<Record<PneumoniaSubtype, SubtypeMetrics>> = {};
  for (const subtype of PNEUMONIA_SUBTYPES) {
    const members = records.flatMap((r, i) => (r.subtype === subtype ? [i] : []));
    if (members.length === 0) continue;
    const detected = members.filter((i) => scores[i] >= threshold).length;
    const auc = aucOf(yTrue, scores, (i) => yTrue[i] === 0 || records[i].subtype === subtype);
    bySubtype[subtype] = { count: members.length, detected, sensitivity: detected / members.length, auc };
  }
  return { threshold, overall, byClass, bySubtype };
}
