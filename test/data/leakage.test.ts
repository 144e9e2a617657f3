import { describe, expect, it } from "vitest";
import { leakageLines, leakageReport, summarizeLeakage } from "../../src/lib/data/leakage";
import type { ImageRecord } from "../../src/lib/data/types";

const base = { path: "/p", label: "PNEUMONIA", subtype: "virus" } as const;

// `n` patients, each with one image in train and one in test; every pair is also byte-identical.
function leakyRecords(n: number): ImageRecord[] {
  return Array.from({ length: n }, (_, i) => [
    { ...base, file: `train/PNEUMONIA/p${i}-a.jpeg`, split: "train", patientId: `p${i}`, sha256: `h${i}` } as const,
    { ...base, file: `test/PNEUMONIA/p${i}-b.jpeg`, split: "test", patientId: `p${i}`, sha256: `h${i}` } as const,
  ]).flat();
}

describe("leakageLines and summarizeLeakage", () => {
  it("name the patients and identical files, and how many more there are", () => {
    const report = leakageReport(leakyRecords(7));
    const lines = leakageLines(report, 5);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe("leakage: 7 patient(s) in several splits, 7 duplicate file group(s) across splits, 14 image(s) affected");
    expect(lines[1]).toBe("leakage: patients in several splits: p0 (train, test); p1 (train, test); p2 (train, test); p3 (train, test); p4 (train, test); … and 2 more");
    expect(lines[2]).toContain("identical files in several splits: train/PNEUMONIA/p0-a.jpeg = test/PNEUMONIA/p0-b.jpeg; ");
    expect(lines[2]).toMatch(/; … and 2 more$/);
    const summary = summarizeLeakage(report, 3);
    expect(summary).toMatchObject({ patientsInSeveralSplits: 7, duplicateGroupsAcrossSplits: 7, imagesAffected: 14 });
    expect(summary.patients).toEqual(["p0 (train, test)", "p1 (train, test)", "p2 (train, test)"]);
    expect(summary.duplicates).toHaveLength(3);
  });

  it("say duplicates were not checked when there are no hashes", () => {
    const records = leakyRecords(1).map(({ sha256: _, ...r }) => r);
    const report = leakageReport(records);
    expect(summarizeLeakage(report).duplicateGroupsAcrossSplits).toBeNull();
    expect(leakageLines(report)[0]).toContain("duplicates not checked (no hashes)");
  });
});
