import { describe, expect, it } from "vitest";
import { delongTest, delongVariance } from "../../src/lib/analysis/delong";
import { rocAucScore } from "../../src/lib/analysis/ranking";
import { createRng } from "../../src/lib/data/random";
import { captureWarnings, expectClose } from "./close";
// Reference values: DeLong et al. (1988) from the O(m·n) definition with NumPy, p from
// 2 * scipy.stats.norm.sf(|z|), AUC from sklearn 1.2.1 (scripts/reference/sklearn-metrics.py).
import { LARGE400, PAIR40 } from "./sklearn-reference";

/** Independent O(m·n) DeLong covariance straight from the definition (ψ kernel, sample covariances). */
function bruteForceCovariance(yTrue: number[], scores: number[][]): { auc: number[]; cov: number[][] } {
  const pos = yTrue.flatMap((y, i) => (y === 1 ? [i] : [])),
    neg = yTrue.flatMap((y, i) => (y === 0 ? [i] : []));
  const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
  const v10 = scores.map((s) => pos.map((i) => neg.reduce((acc, j) => acc + psi(s[i], s[j]), 0) / neg.length));
  const v01 = scores.map((s) => neg.map((j) => pos.reduce((acc, i) => acc + psi(s[i], s[j]), 0) / pos.length));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const cov = (a: number[], b: number[]) => {
    const ma = mean(a),
      mb = mean(b);
    return a.reduce((acc, _, t) => acc + (a[t] - ma) * (b[t] - mb), 0) / (a.length - 1);
  };
  return {
    auc: v10.map(mean),
    cov: scores.map((_, i) =>
      scores.map((__, j) => cov(v10[i], v10[j]) / pos.length + cov(v01[i], v01[j]) / neg.length),
    ),
  };
}

describe("delongVariance", () => {
  it("matches the O(m·n) definition in NumPy (tied scores on a 0.05 grid)", () => {
    const { auc, covariance } = delongVariance(PAIR40.yTrue, [PAIR40.scoreA, PAIR40.scoreB]);
    expectClose(auc, [PAIR40.rocAucA, PAIR40.rocAucB]);
    expectClose(covariance, PAIR40.delong.covariance);
  });

  it("matches an independent O(n²) computation in this test on random tied data", () => {
    const rng = createRng(123);
    const yTrue = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const a = yTrue.map((y) => Math.round((rng.next() + 0.3 * y) * 10) / 10);
    const b = yTrue.map((y, i) => Math.round((0.5 * a[i] + 0.5 * rng.next()) * 10) / 10);
    const brute = bruteForceCovariance(yTrue, [a, b]);
    const fast = delongVariance(yTrue, [a, b]);
    expectClose(fast.auc, brute.auc);
    expectClose(fast.covariance, brute.cov);
    expectClose(fast.auc, [rocAucScore(yTrue, a), rocAucScore(yTrue, b)]);
  });

  it("gives the variance of the docstring example", () => {
    const brute = bruteForceCovariance([0, 0, 1, 1, 0, 1], [[0.1, 0.4, 0.35, 0.8, 0.2, 0.6]]);
    const fast = delongVariance([0, 0, 1, 1, 0, 1], [[0.1, 0.4, 0.35, 0.8, 0.2, 0.6]]);
    expectClose(fast.auc, [8 / 9]); // hand: 8 of 9 positive–negative pairs ordered correctly
    expectClose(fast.covariance, brute.cov);
  });
});

describe("delongTest", () => {
  it("matches the reference difference, SE, z and two-sided p", () => {
    const { covariance: _cov, ...expected } = PAIR40.delong;
    expectClose(delongTest(PAIR40.yTrue, PAIR40.scoreA, PAIR40.scoreB), expected);
  });

  it("keeps a tiny p-value accurate (400 createRng draws)", () => {
    const rng = createRng(LARGE400.seed);
    const yTrue = Array.from({ length: 400 }, (_, i) => i % 2);
    const a = yTrue.map((y) => Math.floor((rng.next() + 0.45 * y) * 20) / 20);
    const b = yTrue.map((y) => Math.floor((rng.next() + 0.05 * y) * 20) / 20);
    const { covariance: _cov, p, ...expected } = LARGE400.delong;
    const result = delongTest(yTrue, a, b);
    expectClose(result, expected);
    expect(Math.abs(result.p / p - 1)).toBeLessThan(1e-9); // p ≈ 2.8e-18: relative, not absolute
  });

  it("is antisymmetric in the two models", () => {
    const ab = delongTest(PAIR40.yTrue, PAIR40.scoreA, PAIR40.scoreB);
    const ba = delongTest(PAIR40.yTrue, PAIR40.scoreB, PAIR40.scoreA);
    expectClose([ba.diff, ba.z, ba.se, ba.p], [-ab.diff, -ab.z, ab.se, ab.p]);
  });

  it("gives z = 0 and p = 1 for identical models", () => {
    const r = delongTest(PAIR40.yTrue, PAIR40.scoreA, PAIR40.scoreA);
    expect(r).toMatchObject({ diff: 0, se: 0, z: 0, p: 1 });
  });
});

describe("degenerate input (the one rule)", () => {
  it("returns NaN with one warning with fewer than 2 of a class", () => {
    const { result, warnings } = captureWarnings(() => delongTest([0, 0, 1], [0.1, 0.5, 0.7], [0.2, 0.1, 0.9]));
    expect(result.aucA).toBe(1);
    expect([result.se, result.z, result.p].every(Number.isNaN)).toBe(true);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^delongTest: DeLong needs at least 2 positives and 2 negatives \(1 positives, 2 negatives\)/,
      ),
    ]);
  });

  it("throws on length mismatch and NaN scores", () => {
    expect(() => delongTest([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2])).toThrow(
      /yTrue and scoreB must have the same length.*Received: lengths 4 and 2/,
    );
    expect(() => delongVariance([0, 1], [[0.1, NaN]])).toThrow(/scores\[0\] must be finite.*Received: NaN at index 1/);
    expect(() => delongVariance([0, 1], [])).toThrow(/non-empty list of score vectors/);
  });
});
