import { describe, expect, it } from "vitest";
import {
  checkBinaryInput,
  checkLabels,
  checkScores,
  checkThreshold,
  describe as describeValue,
  warnUndefined,
} from "../../src/lib/analysis/validate";
import { captureWarnings } from "./close";

describe("input checks", () => {
  it("copy valid input to Float64Array", () => {
    const { yTrue, yScore } = checkBinaryInput("fn", Uint8Array.from([0, 1]), [0.3, -2]);
    expect(yTrue).toEqual(Float64Array.from([0, 1]));
    expect(yScore).toEqual(Float64Array.from([0.3, -2]));
  });

  it("name the function, the fix and end with 'Received: …'", () => {
    expect(() => checkLabels("myMetric", [0, 1, -1])).toThrow(
      /^myMetric: yTrue must hold only 0 and 1 .*labelToTarget.*Received: -1 at index 2$/,
    );
    expect(() => checkLabels("myMetric", null as unknown as number[])).toThrow(
      /^myMetric: yTrue must be an array or typed array of numbers\. Received: null$/,
    );
    expect(() => checkScores("myMetric", [0.5, -Infinity])).toThrow(/Received: -Infinity at index 1$/);
    expect(() => checkScores("myMetric", ["0.5"] as unknown as number[])).toThrow(/Received: "0.5" at index 0$/);
    expect(() => checkScores("myMetric", [1.5], { probabilities: true, scoreName: "yProb" })).toThrow(
      /^myMetric: yProb must be probabilities in \[0, 1\].*Received: 1.5 at index 0$/,
    );
    expect(() => checkBinaryInput("myMetric", [0, 1], [0.1, 0.2, 0.3])).toThrow(
      /^myMetric: yTrue and yScore must have the same length.*Received: lengths 2 and 3$/,
    );
    expect(() => checkThreshold("myMetric", Infinity)).toThrow(/Received: Infinity$/);
  });

  it("render received values readably", () => {
    expect(describeValue(-0)).toBe("0");
    expect(describeValue("a")).toBe('"a"');
    expect(describeValue([1, 2])).toBe("[1,2]");
    expect(describeValue(undefined)).toBe("undefined");
  });

  it("warn in one documented format", () => {
    const { warnings } = captureWarnings(() => warnUndefined("rocAucScore", "only one class"));
    expect(warnings).toEqual(["rocAucScore: only one class; the metric is undefined and NaN is returned."]);
  });
});
