import { describe, expect, it } from "vitest";
import { binaryMetrics } from "../../src/lib/analysis/confusion";
import { subgroupMetrics, type SubgroupRecord } from "../../src/lib/analysis/subgroups";
import type { Subtype } from "../../src/lib/data/types";
import { captureWarnings, expectClose } from "./close";
// Reference values: sklearn 1.2.1 roc_auc_score / recall_score per subgroup; a subtype's AUC is that
// subtype against all normals (scripts/reference/sklearn-metrics.py).
import { SUBGROUPS36 } from "./sklearn-reference";

/** Records of the reference subtypes (label follows the subtype). */
const toRecords = (subtypes: readonly string[]): SubgroupRecord[] =>
  subtypes.map((s) => ({ label: s === "normal" ? "NORMAL" : "PNEUMONIA", subtype: s as Subtype }));

describe("subgroupMetrics", () => {
  const records = toRecords(SUBGROUPS36.subtype);
  const ref = SUBGROUPS36.metrics;

  it("matches sklearn per subtype (sensitivity, AUC against all normals)", () => {
    const report = subgroupMetrics(records, SUBGROUPS36.yScore, SUBGROUPS36.threshold);
    expect(Object.keys(report.bySubtype)).toEqual(["bacteria", "virus"]);
    for (const sub of ["bacteria", "virus"] as const) {
      expectClose(report.bySubtype[sub], {
        count: ref[sub].count,
        sensitivity: ref[sub].sensitivity,
        auc: ref[sub].auc,
      });
      expect(report.bySubtype[sub]!.detected).toBe(Math.round(ref[sub].sensitivity * ref[sub].count));
    }
  });

  it("matches sklearn per class and overall", () => {
    const report = subgroupMetrics(records, SUBGROUPS36.yScore, SUBGROUPS36.threshold);
    expectClose(report.byClass.NORMAL, { count: ref.NORMAL.count, recall: ref.NORMAL.specificity });
    expectClose(report.byClass.PNEUMONIA, { count: ref.PNEUMONIA.count, recall: ref.PNEUMONIA.sensitivity });
    expectClose(report.overall, {
      count: ref.all.count,
      auc: ref.all.auc,
      sensitivity: ref.all.sensitivity,
      specificity: ref.all.specificity,
    });
    const yTrue = records.map((r) => (r.label === "PNEUMONIA" ? 1 : 0));
    expect(report.overall).toMatchObject(binaryMetrics(yTrue, SUBGROUPS36.yScore, SUBGROUPS36.threshold));
  });

  it("reports subtype 'unknown' separately and weights subtypes into the class sensitivity", () => {
    const recs = toRecords(["normal", "normal", "bacteria", "virus", "unknown", "unknown"]);
    const scores = [0.2, 0.6, 0.9, 0.4, 0.7, 0.1];
    const report = subgroupMetrics(recs, scores, 0.5);
    // Hand: unknown scores 0.7 (detected) and 0.1 → sensitivity 1/2; AUC vs normals {0.2, 0.6}: pairs 0.7>0.2, 0.7>0.6, 0.1<both → 2/4.
    expect(report.bySubtype.unknown).toEqual({ count: 2, detected: 1, sensitivity: 0.5, auc: 0.5 });
    // Hand: virus 0.4 beats 0.2 only → AUC 1/2, not detected.
    expect(report.bySubtype.virus).toEqual({ count: 1, detected: 0, sensitivity: 0, auc: 0.5 });
    expect(report.byClass.PNEUMONIA).toEqual({ count: 4, correct: 2, recall: 0.5 });
    expect(report.byClass.NORMAL).toEqual({ count: 2, correct: 1, recall: 0.5 });
  });
});

describe("degenerate input (the one rule)", () => {
  it("returns NaN AUCs and recall with one warning without normals", () => {
    const { result, warnings } = captureWarnings(() => subgroupMetrics(toRecords(["bacteria", "virus"]), [0.8, 0.3]));
    expect(result.bySubtype.bacteria!.auc).toBeNaN();
    expect(result.bySubtype.bacteria!.sensitivity).toBe(1);
    expect(result.overall.auc).toBeNaN();
    expect(result.byClass.NORMAL.recall).toBeNaN();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^subgroupMetrics: .*\(2 positives, 0 negatives\)/);
  });

  it("throws on inconsistent records, length mismatch and NaN scores", () => {
    const bad = [{ label: "NORMAL", subtype: "virus" }] as SubgroupRecord[];
    expect(() => subgroupMetrics(bad, [0.5])).toThrow(
      /record 0 needs label NORMAL with subtype "normal".*Received: \{"label":"NORMAL","subtype":"virus"\}/,
    );
    expect(() => subgroupMetrics(toRecords(["normal", "virus"]), [0.5])).toThrow(
      /records and yScore must have the same length.*Received: lengths 2 and 1/,
    );
    expect(() => subgroupMetrics(toRecords(["normal"]), [NaN])).toThrow(/Received: NaN at index 0/);
    expect(() => subgroupMetrics([], [])).toThrow(/records must be a non-empty array.*Received: \[\]/);
  });
});
