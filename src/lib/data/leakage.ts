import type { ImageRecord, Split } from "./types";

export interface PatientLeak {
  patientId: string;
  splits: Split[];
  files: string[];
}

export interface DuplicateLeak {
  sha256: string;
  files: { file: string; split: Split }[];
}

export interface LeakageReport {
  /** Patients whose images sit in more than one split. */
  patientsInSeveralSplits: PatientLeak[];
  /** Identical files (same SHA-256) found in more than one split; null when hashes were not computed. */
  duplicatesAcrossSplits: DuplicateLeak[] | null;
  /** Images that belong to a leaking patient or duplicate group. */
  imagesAffected: number;
}

/**
 * List what leaks between splits: patients with images in several splits, and identical files in several splits.
 * Duplicates need `sha256` on every record (`scanDataset(root, {hash: true})`).
 * @example
 * const report = leakageReport(splitTrainVal(records, { groupByPatient: false }));
 * report.patientsInSeveralSplits.length; // > 0: image-level splitting leaks patients
 */
export function leakageReport(records: readonly ImageRecord[]): LeakageReport {
  const byPatient = groupBy(records, (r) => r.patientId);
  const patientsInSeveralSplits: PatientLeak[] = [];
  const affected = new Set<string>();
  for (const [patientId, group] of byPatient) {
    const splits = distinctSplits(group);
    if (splits.length < 2) continue;
    patientsInSeveralSplits.push({ patientId, splits, files: group.map((r) => r.file) });
    for (const r of group) affected.add(r.file);
  }
  let duplicatesAcrossSplits: DuplicateLeak[] | null = null;
  if (records.every((r) => r.sha256 !== undefined)) {
    duplicatesAcrossSplits = [];
    for (const [sha256, group] of groupBy(records, (r) => r.sha256 as string)) {
      if (distinctSplits(group).length < 2) continue;
      duplicatesAcrossSplits.push({ sha256, files: group.map((r) => ({ file: r.file, split: r.split })) });
      for (const r of group) affected.add(r.file);
    }
  }
  return { patientsInSeveralSplits, duplicatesAcrossSplits, imagesAffected: affected.size };
}

/** One line for a log or a notebook: `leakage: 289 patients in several splits, 3 duplicate files across splits, 1203 images affected`. */
export function formatLeakage(report: LeakageReport): string {
  const dup = report.duplicatesAcrossSplits === null ? "duplicates not checked (no hashes)" : `${report.duplicatesAcrossSplits.length} duplicate file group(s) across splits`;
  return `leakage: ${report.patientsInSeveralSplits.length} patient(s) in several splits, ${dup}, ${report.imagesAffected} image(s) affected`;
}

/** What a run manifest keeps of a leakage report: the counts, and the first few patients and identical files. */
export interface LeakageSummary {
  patientsInSeveralSplits: number;
  /** Groups of identical files across splits; null when hashes were not computed. */
  duplicateGroupsAcrossSplits: number | null;
  imagesAffected: number;
  /** The first `max` leaking patients, e.g. `person12 (train, test)`. */
  patients: string[];
  /** The first `max` duplicate groups, e.g. `train/NORMAL/a.jpeg = test/NORMAL/b.jpeg`. */
  duplicates: string[];
}

/**
 * Counts plus the first `max` (default 20) leaking patients and duplicate groups, small enough for a manifest.
 * @example
 * runData.leakage = summarizeLeakage(leakageReport(records));
 * // {patientsInSeveralSplits: 0, duplicateGroupsAcrossSplits: 1, duplicates: ["train/… = test/…"], …}
 */
export function summarizeLeakage(report: LeakageReport, max = 20): LeakageSummary {
  const dups = report.duplicatesAcrossSplits;
  return {
    patientsInSeveralSplits: report.patientsInSeveralSplits.length,
    duplicateGroupsAcrossSplits: dups === null ? null : dups.length,
    imagesAffected: report.imagesAffected,
    patients: report.patientsInSeveralSplits.slice(0, max).map((p) => `${p.patientId} (${p.splits.join(", ")})`),
    duplicates: (dups ?? []).slice(0, max).map((d) => d.files.map((f) => f.file).join(" = ")),
  };
}

/**
 * The lines a training run logs: `formatLeakage`'s line, then, only when something leaks, one line naming the
 * first `max` (default 5) patients and one naming the first identical files, each with how many more there are.
 * @example
 * for (const line of leakageLines(report)) log(line);
 * // leakage: 0 patient(s) in several splits, 1 duplicate file group(s) across splits, 2 image(s) affected
 * // leakage: identical files in several splits: train/NORMAL/a.jpeg = test/NORMAL/b.jpeg
 */
export function leakageLines(report: LeakageReport, max = 5): string[] {
  const summary = summarizeLeakage(report, max);
  const lines = [formatLeakage(report)];
  const more = (total: number): string => (total > max ? `; … and ${total - max} more` : "");
  if (summary.patients.length > 0) {
    const names = summary.patients.join("; ");
    lines.push(`leakage: patients in several splits: ${names}${more(summary.patientsInSeveralSplits)}`);
  }
  if (summary.duplicates.length > 0) {
    const total = summary.duplicateGroupsAcrossSplits ?? 0;
    lines.push(`leakage: identical files in several splits: ${summary.duplicates.join("; ")}${more(total)}`);
  }
  return lines;
}

// Group records by a key, keeping first-seen order.
function groupBy(records: readonly ImageRecord[], key: (r: ImageRecord) => string): Map<string, ImageRecord[]> {
  const map = new Map<string, ImageRecord[]>();
  for (const r of records) {
    const k = key(r);
    const list = map.get(k);
    if (list) list.push(r);
    else map.set(k, [r]);
  }
  return map;
}

// The splits a group touches, in train/val/test order.
function distinctSplits(group: readonly ImageRecord[]): Split[] {
  const seen = new Set(group.map((r) => r.split));
  return (["train", "val", "test"] as Split[]).filter((s) => seen.has(s));
}
