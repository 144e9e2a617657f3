import { createRng } from "../data/random";

/** Hands out one integer seed per layer (kernel initializers, dropout); `undefined` everywhere when unseeded. */
export type SeedSource = () => number | undefined;

/**
 * A deterministic stream of layer seeds from one model seed, so the same seed builds the same weights.
 * @example
 * const nextSeed = createSeedSource(42);
 * tf.layers.dense({ units: 8, kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }) });
 */
export function createSeedSource(seed?: number): SeedSource {
  if (seed === undefined) return () => undefined;
  const rng = createRng(seed);
  return () => rng.int(2 ** 31 - 1);
}
