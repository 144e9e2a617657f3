/** Test helper shared by the kernel parity tests. */

/**
 * Largest |a − b| divided by the largest |a| (1e-6 floor); Infinity when the lengths differ.
 * @example
 * relativeError([1, 2], [1, 2.0001]); // 5e-5
 */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let scale = 1e-6;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst / scale;
}
