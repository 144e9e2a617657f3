import { describe, expect, it } from "vitest";
import { erfc, twoSidedNormalP } from "../../src/lib/analysis/special";
// Reference values: scipy.special.erfc (SciPy 1.10.1) via scripts/reference/sklearn-metrics.py.
import { ERFC } from "./sklearn-reference";

describe("erfc", () => {
  it("matches scipy.special.erfc to 1e-14 relative, tiny tails included", () => {
    ERFC.x.forEach((x, i) => {
      const expected = ERFC.erfc[i];
      const got = erfc(x);
      if (expected === 0) expect(got).toBe(0);
      else expect(Math.abs(got - expected) / expected, `erfc(${x})`).toBeLessThan(1e-14);
    });
  });

  it("passes NaN through", () => {
    expect(erfc(NaN)).toBeNaN();
  });
});

describe("twoSidedNormalP", () => {
  it("gives 0.05 at the 97.5% normal quantile and is symmetric in z", () => {
    // scipy.stats.norm.ppf(0.975) = 1.959963984540054
    expect(twoSidedNormalP(1.959963984540054)).toBeCloseTo(0.05, 14);
    expect(twoSidedNormalP(-1.959963984540054)).toBe(twoSidedNormalP(1.959963984540054));
    expect(twoSidedNormalP(0)).toBe(1);
    // 2 * scipy.stats.norm.sf(10) = 1.523970604832094e-23
    expect(Math.abs(twoSidedNormalP(10) / 1.523970604832094e-23 - 1)).toBeLessThan(1e-13);
  });
});
