import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { leakageReport } from "../../src/lib/data/leakage";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { scanDataset } from "../../src/lib/data/scan";
import { splitCounts, splitPooled, splitTrainVal, stratifiedGroupSplit, type SplitRecord } from "../../src/lib/data/split";
import type { ImageRecord, Label, Split } from "../../src/lib/data/types";

// Largest-remainder targets per class: what "stratified within ±1 image" is measured against.
function expectStratified(records: SplitRecord[], fractions: Partial<Record<Split, number>>): void {
  const counts = splitCounts(records);
  for (const label of ["NORMAL", "PNEUMONIA"] as Label[]) {
    const total = records.filter((r) => r.label === label).length;
    for (const [split, f] of Object.entries(fractions) as [Split, number][]) {
      expect(Math.abs((counts[split]?.[label] ?? 0) - f * total), `${split}/${label}`).toBeLessThanOrEqual(1);
    }
  }
}

// Patients whose images sit in more than one split.
function overlappingPatients(records: SplitRecord[]): number {
  return leakageReport(records).patientsInSeveralSplits.length;
}

function checkSplitters(load: () => ImageRecord[]): void {
  it("(a) train → 9:1 train/val: deterministic, stratified ±1, no patient overlap, test untouched", () => {
    const records = load();
    const a = splitTrainVal(records, { seed: 3 });
    expect(a.map((r) => `${r.file}:${r.split}`)).toEqual(splitTrainVal(records, { seed: 3 }).map((r) => `${r.file}:${r.split}`));
    expect(a.map((r) => r.split)).not.toEqual(splitTrainVal(records, { seed: 4 }).map((r) => r.split));
    const pool = a.filter((r) => r.sourceSplit !== "test");
    expectStratified(pool, { train: 0.9, val: 0.1 });
    expect(overlappingPatients(pool)).toBe(0);
    expect(a.filter((r) => r.sourceSplit === "test").every((r) => r.split === "test")).toBe(true);
    expect(a).toHaveLength(records.length);
  });

  it("(b) pooled → 70/10/20: deterministic, stratified ±1, no patient overlap", () => {
    const records = load();
    const b = splitPooled(records, { seed: 11 });
    expect(b).toEqual(splitPooled(records, { seed: 11 }));
    expectStratified(b, { train: 0.7, val: 0.1, test: 0.2 });
    expect(overlappingPatients(b)).toBe(0);
  });
}

describe("splitters on the bundled sample", () => {
  let records: ImageRecord[] = [];
  beforeAll(async () => {
    records = (await scanDataset(sampleDataRoot())).records;
  });
  checkSplitters(() => records);
});

const SHARED = join(process.cwd(), "..", "shared", "data", "chest_xray");
describe.skipIf(!existsSync(SHARED))("splitters on ../shared/data (5,216 real images)", () => {
  let records: ImageRecord[] = [];
  beforeAll(async () => {
    records = (await scanDataset(SHARED)).records;
  });
  checkSplitters(() => records);

  it("gives the exact class targets on the real data; image-level splitting leaks patients", () => {
    const grouped = splitCounts(splitTrainVal(records, { seed: 42 }));
    // 1341 × 0.1 = 134.1 → 134; 3875 × 0.1 = 387.5 → 387 (the .5 remainder goes to train, listed first).
    expect(grouped.val).toEqual({ NORMAL: 134, PNEUMONIA: 387 });
    expect(grouped.train).toEqual({ NORMAL: 1207, PNEUMONIA: 3488 });
    expect(overlappingPatients(splitTrainVal(records, { seed: 42, groupByPatient: false }))).toBeGreaterThan(100);
  });
});

describe("stratifiedGroupSplit on hand-made records", () => {
  const rec = (file: string, label: Label, patientId: string): ImageRecord => ({
    path: `/x/${file}`, file, split: "train", label, patientId, subtype: label === "NORMAL" ? "normal" : "bacteria",
  });
  const records = [
    ...Array.from({ length: 10 }, (_, i) => rec(`n${i}`, "NORMAL", `N${i}`)),
    ...Array.from({ length: 10 }, (_, i) => rec(`p${i}`, "PNEUMONIA", `P${Math.floor(i / 2)}`)),
  ];

  it("keeps pairs of one patient together and hits 8/2 per class", () => {
    const out = stratifiedGroupSplit(records, { train: 0.8, val: 0.2 }, { seed: 1 });
    expect(splitCounts(out)).toEqual({ train: { NORMAL: 8, PNEUMONIA: 8 }, val: { NORMAL: 2, PNEUMONIA: 2 } });
    for (let p = 0; p < 5; p++) expect(new Set(out.filter((r) => r.patientId === `P${p}`).map((r) => r.split)).size).toBe(1);
  });

  it("rejects fractions that do not add up to 1, and a pool with one class", () => {
    expect(() => stratifiedGroupSplit(records, { train: 0.8, val: 0.3 })).toThrow(/adding up to 1. Received: \{"train":0.8,"val":0.3\}/);
    expect(() => splitTrainVal(records.slice(0, 10))).toThrow(/splitTrainVal: train \+ val has no PNEUMONIA images.*\/x\/n0/);
  });
});
