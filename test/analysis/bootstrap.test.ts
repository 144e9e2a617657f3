import { describe, expect, it } from "vitest";
import { bootstrapCi, quantileSorted } from "../../src/lib/analysis/bootstrap";
import { createRng } from "../../src/lib/data/random";
import { captureWarnings, expectClose } from "./close";
// Reference values: a Python port of createRng draws the same indices; sklearn 1.2.1 scores each
// replicate and np.quantile (linear) gives the interval (scripts/reference/sklearn-metrics.py).
import { BOOT30, MULBERRY32_SEED42, TIES30 } from "./sklearn-reference";

describe("bootstrapCi", () => {
  it("uses the same random stream as the Python reference", () => {
    const rng = createRng(42);
    expect([rng.next(), rng.next(), rng.next()]).toEqual(MULBERRY32_SEED42);
  });

  it("matches the stratified reference (seed 42, 200 replicates, 95%)", () => {
    const ci = bootstrapCi(TIES30.yTrue, TIES30.yScore, { nBoot: 200, seed: 42, alpha: 0.05, threshold: 0.5 });
    expectClose(ci, BOOT30.stratified);
    expect(Object.keys(ci).sort()).toEqual(["accuracy", "auc", "sensitivity", "specificity"]);
  });

  it("matches the unstratified reference (seed 3, 90%)", () => {
    const ci = bootstrapCi(TIES30.yTrue, TIES30.yScore, { nBoot: 200, seed: 3, alpha: 0.1, stratified: false });
    expectClose(ci, BOOT30.plain);
  });

  it("is deterministic for a seed and changes with the seed", () => {
    const a = bootstrapCi(TIES30.yTrue, TIES30.yScore, { nBoot: 100, seed: 9, metrics: ["auc", "f1"] });
    const b = bootstrapCi(TIES30.yTrue, TIES30.yScore, { nBoot: 100, seed: 9, metrics: ["auc", "f1"] });
    const c = bootstrapCi(TIES30.yTrue, TIES30.yScore, { nBoot: 100, seed: 10, metrics: ["auc", "f1"] });
    expect(a).toEqual(b);
    expect(c.auc).not.toEqual(a.auc);
  });

  it("brackets the point estimate on a reasonable vector", () => {
    const ci = bootstrapCi(TIES30.yTrue, TIES30.yScore, {
      nBoot: 300,
      metrics: ["auc", "accuracy", "sensitivity", "specificity", "averagePrecision"],
    });
    for (const m of Object.values(ci)) {
      expect(m.lower).toBeLessThanOrEqual(m.estimate);
      expect(m.upper).toBeGreaterThanOrEqual(m.estimate);
      expect(m.upper).toBeGreaterThan(m.lower);
    }
  });

  it("keeps the class counts of every replicate when stratified", () => {
    // Everything predicted positive: a replicate's accuracy is exactly its share of positives.
    // Stratified resampling keeps 3 of 10, so every replicate has accuracy 0.3; plain resampling does not.
    const yTrue = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    const yScore = [0.9, 0.8, 0.7, 0.9, 0.6, 0.8, 0.95, 0.7, 0.6, 0.85];
    const strat = bootstrapCi(yTrue, yScore, { metrics: ["accuracy", "sensitivity"], nBoot: 200 });
    expect(strat.accuracy).toEqual({ estimate: 0.3, lower: 0.3, upper: 0.3, nBoot: 200 });
    const plain = bootstrapCi(yTrue, yScore, { metrics: ["accuracy"], nBoot: 200, stratified: false });
    expect(plain.accuracy.upper - plain.accuracy.lower).toBeGreaterThan(0.2);
  });

  it("drops undefined replicates of plain resampling with one warning", () => {
    // One positive among 10: about a third of plain replicates have no positive.
    const yTrue = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const yScore = [0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.2, 0.3];
    const { result, warnings } = captureWarnings(() =>
      bootstrapCi(yTrue, yScore, { metrics: ["auc"], nBoot: 100, stratified: false }),
    );
    expect(result.auc.nBoot).toBeLessThan(100);
    expect(result.auc.nBoot).toBeGreaterThan(40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/auc undefined in \d+ of 100 replicates/);
    const strat = captureWarnings(() => bootstrapCi(yTrue, yScore, { metrics: ["auc"], nBoot: 100 }));
    expect(strat.result.auc).toEqual({ estimate: 1, lower: 1, upper: 1, nBoot: 100 });
    expect(strat.warnings).toEqual([]);
  });

  it("returns NaN estimates with one warning for one-class input", () => {
    const { result, warnings } = captureWarnings(() => bootstrapCi([1, 1, 1], [0.2, 0.6, 0.9], { nBoot: 20 }));
    expect(result.auc.estimate).toBeNaN();
    expect(result.auc.lower).toBeNaN();
    expect(result.specificity.nBoot).toBe(0);
    expect(result.sensitivity.estimate).toBe(2 / 3);
    expect(warnings).toHaveLength(1);
  });

  it("throws on bad options with 'Received: …'", () => {
    expect(() => bootstrapCi([0, 1], [0.1, 0.9], { nBoot: 0 })).toThrow(
      /nBoot must be a positive integer.*Received: 0/,
    );
    expect(() => bootstrapCi([0, 1], [0.1, 0.9], { alpha: 1.5 })).toThrow(/alpha must be in \(0, 1\).*Received: 1.5/);
    expect(() => bootstrapCi([0, 1], [0.1, 0.9], { metrics: ["roc" as "auc"] })).toThrow(
      /metrics must be a non-empty list.*Received: \["roc"\]/,
    );
    expect(() => bootstrapCi([0, 1], [0.1], {})).toThrow(/Received: lengths 2 and 1/);
  });
});

describe("quantileSorted", () => {
  it("interpolates like np.quantile (linear)", () => {
    // np.quantile([1, 2, 3, 4], [0, 0.5, 0.025, 0.975, 1]) = [1, 2.5, 1.075, 3.925, 4]
    expectClose(
      [0, 0.5, 0.025, 0.975, 1].map((q) => quantileSorted([1, 2, 3, 4], q)),
      [1, 2.5, 1.075, 3.925, 4],
    );
  });
});
