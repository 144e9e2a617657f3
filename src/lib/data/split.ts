import { createRng, shuffled } from "./random";
import { LABELS, type ImageRecord, type Label, type Split } from "./types";

/** A record after a re-split: `split` is the new split, `sourceSplit` the folder it came from. */
export type SplitRecord = ImageRecord & { sourceSplit: Split };

/** Fractions of each class that go to each split; they must add up to 1. */
export type SplitFractions = Partial<Record<Split, number>>;

export interface SplitOptions {
  /** Seed of the shuffle; the same seed and records give the same split. Default 42. */
  seed?: number;
  /** Keep all images of one patient in one split (default true). False splits image by image. */
  groupByPatient?: boolean;
}

/** Default seed of every re-split. */
export const DEFAULT_SPLIT_SEED = 42;

/**
 * Split records into the given fractions, stratified by class and (by default) grouped by patient.
 *
 * Per class, integer targets come from the fractions by largest remainder. Patient groups are shuffled
 * with the seed, ordered largest first, and each goes to the split that still lacks the most images,
 * so the many one- and two-image groups at the end fill every split to its target (±1 image in practice).
 * A group whose images carry both labels counts towards its majority label.
 * @example
 * const parts = stratifiedGroupSplit(records, { train: 0.9, val: 0.1 }, { seed: 42 });
 */
export function stratifiedGroupSplit(records: readonly ImageRecord[], fractions: SplitFractions, opts: SplitOptions = {}): SplitRecord[] {
  const splits = checkFractions(fractions);
  const rng = createRng(opts.seed ?? DEFAULT_SPLIT_SEED);
  const grouped = opts.groupByPatient ?? true;
  const groups = new Map<string, ImageRecord[]>();
  for (const r of records) {
    const key = grouped ? r.patientId : r.file;
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  const out: SplitRecord[] = [];
  for (const label of LABELS) {
    const mine = [...groups.values()].filter((g) => majorityLabel(g) === label);
    const total = mine.reduce((n, g) => n + g.filter((r) => r.label === label).length, 0);
    const targets = integerTargets(total, splits.map((s) => fractions[s] as number));
    const assigned = splits.map(() => 0);
    const order = shuffled(mine, rng).sort((a, b) => b.length - a.length);
    for (const group of order) {
      const size = group.filter((r) => r.label === label).length;
      let best = 0;
      for (let k = 1; k < splits.length; k++) {
        if (targets[k] - assigned[k] > targets[best] - assigned[best]) best = k;
      }
      assigned[best] += size;
      for (const r of group) out.push({ ...r, sourceSplit: r.split, split: splits[best] });
    }
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/**
 * Re-split (a): pool Kaggle train + val and split it 9:1 into train/val, stratified; test is left as it is.
 * The reference 4-block-CNN project got 4708/524 on the Kaggle data.
 * @example
 * const records = splitTrainVal(scan.records, { seed: 42 }); // train 4694 / val 522 on the 5,216 shared images
 */
export function splitTrainVal(records: readonly ImageRecord[], opts: SplitOptions & { valFraction?: number } = {}): SplitRecord[] {
  const valFraction = opts.valFraction ?? 0.1;
  const pool = records.filter((r) => r.split !== "test");
  requireBothClasses(pool, "splitTrainVal", "train + val");
  const test: SplitRecord[] = records.filter((r) => r.split === "test").map((r) => ({ ...r, sourceSplit: r.split }));
  return [...stratifiedGroupSplit(pool, { train: 1 - valFraction, val: valFraction }, opts), ...test];
}

/**
 * Re-split (b): pool every split and split it 70/10/20 into train/val/test, stratified.
 * The reference ResNet50 project got 4098/586/1172 on the Kaggle data.
 * @example
 * const records = splitPooled(scan.records, { seed: 42 });
 */
export function splitPooled(records: readonly ImageRecord[], opts: SplitOptions & { fractions?: SplitFractions } = {}): SplitRecord[] {
  requireBothClasses(records, "splitPooled", "all splits");
  return stratifiedGroupSplit(records, opts.fractions ?? { train: 0.7, val: 0.1, test: 0.2 }, opts);
}

/** Images per split and class, e.g. `{train: {NORMAL: 1207, PNEUMONIA: 3487}, …}`. */
export function splitCounts(records: readonly ImageRecord[]): Record<Split, Record<Label, number>> {
  const out = {} as Record<Split, Record<Label, number>>;
  for (const r of records) {
    out[r.split] ??= { NORMAL: 0, PNEUMONIA: 0 };
    out[r.split][r.label]++;
  }
  return out;
}

/**
 * Throw when `records` lack one of the two classes: training and every metric need both.
 * `where` names the split or folder in the message.
 */
export function requireBothClasses(records: readonly ImageRecord[], fn: string, where: string): void {
  const missing = LABELS.filter((l) => !records.some((r) => r.label === l));
  if (missing.length === 0) return;
  const example = records[0]?.path ?? "(no images)";
  throw new Error(
    `${fn}: ${where} has no ${missing.join(" or ")} images (${records.length} image(s), e.g. ${example}). ` +
      `Both classes are needed: check that the ${missing.join("/")} folder(s) hold images, or pick another data root. Received: ${records.length} image(s)`,
  );
}

// Largest-remainder integer split of `total` by `fractions` (ties to the earlier split).
function integerTargets(total: number, fractions: number[]): number[] {
  const raw = fractions.map((f) => f * total);
  const base = raw.map(Math.floor);
  let left = total - base.reduce((a, b) => a + b, 0);
  const byRemainder = raw.map((v, i) => [v - base[i], i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRemainder) {
    if (left-- <= 0) break;
    base[i]++;
  }
  return base;
}

// The label most images of a group carry (NORMAL on a tie).
function majorityLabel(group: readonly ImageRecord[]): Label {
  const pneumonia = group.filter((r) => r.label === "PNEUMONIA").length;
  return pneumonia * 2 > group.length ? "PNEUMONIA" : "NORMAL";
}

// Validate fractions: known splits, each in (0, 1], summing to 1.
function checkFractions(fractions: SplitFractions): Split[] {
  const splits = (Object.keys(fractions) as Split[]).filter((s) => fractions[s] !== undefined);
  const sum = splits.reduce((n, s) => n + (fractions[s] as number), 0);
  const bad = splits.find((s) => !["train", "val", "test"].includes(s) || !((fractions[s] as number) > 0 && (fractions[s] as number) <= 1));
  if (splits.length === 0 || bad !== undefined || Math.abs(sum - 1) > 1e-9) {
    throw new Error(
      `stratifiedGroupSplit: fractions must name train/val/test with values in (0, 1] adding up to 1. Received: ${JSON.stringify(fractions)}`,
    );
  }
  return splits;
}
