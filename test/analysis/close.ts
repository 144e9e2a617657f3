/** Test helpers of test/analysis: deep numeric comparison and console.warn capture. */
import { expect, vi } from "vitest";

/** Absolute tolerance used against the scikit-learn reference values. */
export const TOL = 1e-12;

/** Recursively compare numbers (NaN equals NaN, ±Infinity exactly, else within `tol`), arrays and plain objects. */
export function expectClose(actual: unknown, expected: unknown, tol = TOL, path = "value"): void {
  if (typeof expected === "number") {
    expect(typeof actual, `${path} type`).toBe("number");
    const a = actual as number;
    if (Number.isNaN(expected) || !Number.isFinite(expected)) expect(a, path).toBe(expected);
    else expect(Math.abs(a - expected), `${path}: ${a} vs ${expected}`).toBeLessThanOrEqual(tol);
    return;
  }
  if (Array.isArray(expected)) {
    const a = Array.from(actual as ArrayLike<unknown>);
    expect(a.length, `${path} length`).toBe(expected.length);
    expected.forEach((e, i) => expectClose(a[i], e, tol, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === "object") {
    for (const [k, e] of Object.entries(expected))
      expectClose((actual as Record<string, unknown>)[k], e, tol, `${path}.${k}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}

/** Run `fn` with console.warn captured; returns its result and the warning lines. */
export function captureWarnings<T>(fn: () => T): { result: T; warnings: string[] } {
  const spy = vi.spyOn(console, "warn").mockImplementation(() => {});
  try {
    const result = fn();
    return { result, warnings: spy.mock.calls.map((args) => args.map(String).join(" ")) };
  } finally {
    spy.mockRestore();
  }
}
