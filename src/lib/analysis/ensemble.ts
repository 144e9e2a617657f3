/**
 * A two-or-more model ensemble by the mean of calibrated probabilities: each member's probabilities are first put
 * on a common scale by its own temperature (fitted on validation, `fitTemperature`), so a model whose scores are
 * squeezed towards 0 or 1 does not outvote the other, then averaged per image.
 */
import { applyTemperature } from "./calibration";
import { meanOfViews } from "./tta";
import { describe } from "./validate";

/** One ensemble member: probabilities in image order and the temperature that calibrates them (1 = as is). */
export interface EnsembleMember {
  scores: ArrayLike<number>;
  temperature?: number;
}

/**
 * Mean of the members' temperature-scaled probabilities, sigmoid(logit(p) / T), per image.
 * @example
 * ensembleProbabilities([{ scores: [0.9, 0.2], temperature: 2 }, { scores: [0.6, 0.4] }]); // [0.675, 0.3667]
 */
export function ensembleProbabilities(members: readonly EnsembleMember[]): number[] {
  if (!Array.isArray(members) || members.length === 0) {
    throw new RangeError(
      `ensembleProbabilities: give at least one member { scores, temperature }. Received: ${describe(members)}`,
    );
  }
  const calibrated = members.map((m) =>
    m.temperature === undefined || m.temperature === 1
      ? Array.from(m.scores as ArrayLike<number>)
      : applyTemperature(m.scores, m.temperature),
  );
  return meanOfViews(calibrated);
}
