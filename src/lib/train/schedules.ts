/** Learning-rate schedules as pure functions of the batch counter. */

/** Options of the triangular cyclical learning rate (Smith 2017, "Cyclical Learning Rates for Training Neural Networks"). */
export interface TriangularOptions {
  /** Lowest learning rate. Default 1e-5. */
  baseLr?: number;
  /** Highest learning rate, reached `stepSize` batches into each cycle. Default 1e-4. */
  maxLr?: number;
  /** Batches of half a cycle. Default 500. */
  stepSize?: number;
}

export const CLR_DEFAULTS: Required<TriangularOptions> = { baseLr: 1e-5, maxLr: 1e-4, stepSize: 500 };

/**
 * Triangular cyclical learning rate at batch `iteration` (0-based, counted over all epochs):
 * cycle = ⌊1 + it / (2·step)⌋, x = |it / step − 2·cycle + 1|, lr = base + (max − base) · max(0, 1 − x).
 * It climbs linearly from `baseLr` to `maxLr` in `stepSize` batches and falls back in as many.
 * @example
 * triangularLr(0);    // 1e-5
 * triangularLr(250);  // 5.5e-5
 * triangularLr(500);  // 1e-4
 * triangularLr(1000); // 1e-5
 */
export function triangularLr(iteration: number, opts: TriangularOptions = {}): number {
  const { baseLr, maxLr, stepSize } = { ...CLR_DEFAULTS, ...opts };
  if (!(Number.isInteger(iteration) && iteration >= 0)) {
    throw new Error(
      `triangularLr: iteration must be a non-negative integer (batches trained so far). Received: ${iteration}`,
    );
  }
  checkTriangular(baseLr, maxLr, stepSize);
  const cycle = Math.floor(1 + iteration / (2 * stepSize));
  const x = Math.abs(iteration / stepSize - 2 * cycle + 1);
  return baseLr + (maxLr - baseLr) * Math.max(0, 1 - x);
}

// Throws unless 0 < baseLr <= maxLr and stepSize is a positive integer.
function checkTriangular(baseLr: number, maxLr: number, stepSize: number): void {
  if (!(baseLr > 0 && maxLr >= baseLr)) {
    throw new Error(
      `triangularLr: need 0 < baseLr <= maxLr, e.g. 1e-5 and 1e-4. Received: baseLr ${baseLr}, maxLr ${maxLr}`,
    );
  }
  if (!(Number.isInteger(stepSize) && stepSize > 0)) {
    throw new Error(
      `triangularLr: stepSize must be a positive integer number of batches, e.g. 500. Received: ${stepSize}`,
    );
  }
}
