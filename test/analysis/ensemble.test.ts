import { describe, expect, it } from "vitest";
import { fitTemperature } from "../../src/lib/analysis/calibration";
import { ensembleProbabilities } from "../../src/lib/analysis/ensemble";
import { flipHorizontal, meanOfViews } from "../../src/lib/analysis/tta";
import { expectClose } from "./close";

// Reference: /usr/bin/python3 with NumPy 1.x (no SciPy on this machine):
//   logit(p) = log(p/(1-p)) with p clipped to [1e-7, 1-1e-7]; T by 100 Newton steps on beta = 1/T of
//   sum((sigmoid(beta z) - y) z) = 0 from beta = 1; ensemble = (sigmoid(logit(p)/Tp) + sigmoid(logit(q)/Tq)) / 2.
const Y = [0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1];
const P = [0.12, 0.4, 0.03, 0.85, 0.62, 0.99, 0.35, 0.55, 0.91, 0.77, 0.2, 0.48];
const Q = [0.3, 0.22, 0.1, 0.7, 0.9, 0.8, 0.42, 0.58, 0.65, 0.95, 0.05, 0.52];
const NUMPY = {
  tp: 0.5366462620925092,
  tq: 0.4018719331446015,
  fitted: [
    0.06605699274971423, 0.18036311200492441, 0.0028697495735708367, 0.9268733010212682, 0.8546267194373647,
    0.9845139544050097, 0.27459558164067, 0.6415312981758818, 0.9051413094539245, 0.9520654891758806,
    0.035440557896630476, 0.5062051434746883,
  ],
  // temperatures 2 and 0.5 given
  fixed: [
    0.21242932280802435, 0.2615901819884222, 0.08087799772684369, 0.7745056349412036, 0.7743473473984238,
    0.924925610951943, 0.383612881055983, 0.5905345273582552, 0.7679916542496412, 0.8219220176322235,
    0.1680478821362799, 0.5149660495166091,
  ],
};

describe("temperature scaling and the calibrated ensemble against NumPy", () => {
  it("fits each member's temperature as NumPy's Newton solve does", () => {
    expectClose(fitTemperature(Y, P).temperature, NUMPY.tp, 1e-9);
    expectClose(fitTemperature(Y, Q).temperature, NUMPY.tq, 1e-9);
  });

  it("averages the temperature-scaled probabilities", () => {
    expectClose(
      ensembleProbabilities([
        { scores: P, temperature: 2 },
        { scores: Q, temperature: 0.5 },
      ]),
      NUMPY.fixed,
      1e-12,
    );
    const members = [P, Q].map((scores) => ({ scores, temperature: fitTemperature(Y, scores).temperature }));
    expectClose(ensembleProbabilities(members), NUMPY.fitted, 1e-9);
  });

  it("is the plain mean without temperatures, and refuses members of different lengths", () => {
    expect(ensembleProbabilities([{ scores: [0.2, 0.9] }, { scores: [0.4, 0.7] }])).toEqual([0.30000000000000004, 0.8]);
    expect(() => ensembleProbabilities([{ scores: [0.2] }, { scores: [0.4, 0.7] }])).toThrow(
      /view 1 has 2|view 0 has 1/,
    );
    expect(() => ensembleProbabilities([])).toThrow(/at least one member/);
  });
});

describe("test-time augmentation", () => {
  it("mirrors every row and keeps channels together", () => {
    // 3 wide, 2 high, 2 channels: pixel (x, y) = [10y + x, -(10y + x)]
    const data = Float32Array.from([0, -0, 1, -1, 2, -2, 10, -10, 11, -11, 12, -12]);
    const flipped = flipHorizontal({ width: 3, height: 2, channels: 2, data });
    expect(Array.from(flipped.data)).toEqual([2, -2, 1, -1, 0, -0, 12, -12, 11, -11, 10, -10]);
    expect(Array.from(flipHorizontal(flipped).data)).toEqual(Array.from(data));
    expect(data[0]).toBe(0); // the input is untouched
  });

  it("averages views per image and refuses views of other lengths or non-probabilities", () => {
    expectClose(
      meanOfViews([
        [0.2, 0.9],
        [0.4, 0.7],
        [0.6, 0.2],
      ]),
      [0.4, 0.6],
      1e-15,
    );
    expect(() => meanOfViews([[0.2, 0.9], [0.4]])).toThrow(/view 0 has 2, view 1 1/);
    expect(() => meanOfViews([[1.5]])).toThrow(/meanOfViews/);
  });
});
