/** The verdict line: how the label follows from the probability and the threshold. */
import type { Label } from "../data/types";

// Per cent with `digits` decimals.
const percent = (x: number, digits: number) => `${(100 * x).toFixed(digits)} %`;

/**
 * State how the verdict follows from the threshold, with both values in per cent and as many decimals (1 to 6) as
 * it takes for unequal values to read unequal, so 0.82496 against 0.825 does not read "82.5 % < 82.5 %".
 * @example
 * verdictText(0.818, 0.825); // "81.8 % < threshold 82.5 % → NORMAL"
 */
export function verdictText(probability: number, threshold: number): string {
  let digits = 1;
  const readEqual = () => percent(probability, digits) === percent(threshold, digits);
  while (digits < 6 && probability !== threshold && readEqual()) digits++;
  // the predictors' rule: PNEUMONIA at or above the threshold
  const label: Label = probability >= threshold ? "PNEUMONIA" : "NORMAL";
  const sign = label === "PNEUMONIA" ? "≥" : "<";
  return `${percent(probability, digits)} ${sign} threshold ${percent(threshold, digits)} → ${label}`;
}
