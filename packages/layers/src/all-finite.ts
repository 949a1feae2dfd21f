import type { TypedArray } from "@unetkit/tensor";

/**
 * Whether every element of `d` is finite (no NaN, no infinity). `v * 0` is +-0 for a finite `v` and
 * NaN otherwise, so their sum, without a branch per element, is 0 exactly when
 * every value is finite: about 2x faster than testing each value (the losses check their inputs
 * and the optimizers their gradients on every step). Internal to the package.
 *
 * @example
 * ```ts
 * allFinite(Float32Array.from([1, -2, 0])); // true
 * allFinite(Float32Array.from([1, NaN]));   // false
 * ```
 */
export function allFinite(d: TypedArray): boolean {
  const n = d.length;
  const n4 = n & ~3;
  let s = zeroSum(d, n4);
  for (let i = n4; i < n; i++) s += d[i] * 0;
  return s === 0;
}

/**
 * The sum of `d[i] * 0` over the first `n4` elements (a multiple of 4), four at a time. The loop is
 * alone in its function on purpose: V8 compiles a long first call's loop on the fly (on-stack
 * replacement) before the code after the loop has ever run, and in Node 20 that code's operations
 * without type feedback then deoptimised every later call (about 1.7 ms per SimpleUNet step
 * instead of 0.2).
 */
function zeroSum(d: TypedArray, n4: number): number {
  let s = 0;
  for (let i = 0; i < n4; i += 4) s += d[i] * 0 + d[i + 1] * 0 + (d[i + 2] * 0 + d[i + 3] * 0);
  return s;
}
