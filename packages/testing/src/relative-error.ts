import { ArgumentError, ShapeError, Tensor, formatShape, sameShape } from "@unetkit/tensor";
import { unravelIndex } from "./unravel-index.js";

/**
 * Options of {@link relativeError} and {@link relativeErrorStats}.
 *
 * @example
 * ```ts
 * relativeError(y, expected, { floor: 1e-6 });
 * ```
 */
export interface RelativeErrorOptions {
  /**
   * The smallest denominator: elements with `|expected| < floor` are compared relative to `floor`,
   * so values that cancel to near zero do not blow up the ratio. Default `1e-3 * max|expected|`
   * (and never below the smallest positive double).
   */
  floor?: number;
}

/**
 * Summary of elementwise relative errors; see {@link relativeErrorStats}.
 *
 * @example
 * ```ts
 * const { median, max, worst } = relativeErrorStats(y, expected);
 * ```
 */
export interface RelativeErrorStats {
  /** The largest relative error ("worst"). */
  max: number;
  /** The mean relative error. */
  mean: number;
  /** The median relative error ("typical"). */
  median: number;
  /** Where the largest error is, with both values; null for empty tensors. */
  worst: { index: number[]; actual: number; expected: number } | null;
  /** The denominator floor used. */
  floor: number;
}

function errors(op: string, actual: Tensor, expected: Tensor, options: RelativeErrorOptions): { errs: Float64Array; floor: number } {
  if (!(actual instanceof Tensor) || !(expected instanceof Tensor)) {
    throw new ArgumentError(op, "actual and expected must be Tensors");
  }
  if (!sameShape(actual.shape, expected.shape)) {
    throw new ShapeError(op, `shapes differ: actual ${formatShape(actual.shape)}, expected ${formatShape(expected.shape)}`);
  }
  const a = actual.data;
  const e = expected.data;
  let floor = options.floor;
  if (floor === undefined) {
    let m = 0;
    for (let i = 0; i < e.length; i++) m = Math.max(m, Math.abs(e[i]));
    floor = 1e-3 * m;
  } else if (!(floor >= 0)) {
    throw new ArgumentError(op, `floor must be a non-negative number (got ${floor})`);
  }
  floor = Math.max(floor, Number.MIN_VALUE);
  const errs = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - e[i]) / Math.max(Math.abs(e[i]), floor);
    errs[i] = a[i] === e[i] ? 0 : Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
  }
  return { errs, floor };
}

/**
 * The worst elementwise relative error, `max_i |a_i - e_i| / max(|e_i|, floor)`, for comparing a
 * result with a PyTorch fixture (issue 3 asks float32 results to be under 1e-4 worst). NaN counts
 * as infinitely wrong; shapes must match (a `ShapeError` otherwise); 0 for empty tensors.
 *
 * @example
 * ```ts
 * relativeError(fromArray([1.0001, 2]), fromArray([1, 2])); // ~1e-4
 * expect(relativeError(y, fx.tensors.y)).toBeLessThan(1e-4);
 * ```
 */
export function relativeError(actual: Tensor, expected: Tensor, options: RelativeErrorOptions = {}): number {
  const { errs } = errors("relativeError", actual, expected, options);
  let max = 0;
  for (let i = 0; i < errs.length; i++) if (errs[i] > max) max = errs[i];
  return max;
}

/**
 * Max, mean and median of the elementwise relative errors (see {@link relativeError}) and where
 * the worst one is: the "typical" (median) and "worst" (max) figures fixture tests check.
 *
 * @example
 * ```ts
 * const s = relativeErrorStats(y, fx.tensors.y);
 * expect(s.median).toBeLessThan(1e-5);
 * expect(s.max).toBeLessThan(1e-4);
 * ```
 */
export function relativeErrorStats(
  actual: Tensor,
  expected: Tensor,
  options: RelativeErrorOptions = {},
): RelativeErrorStats {
  const { errs, floor } = errors("relativeErrorStats", actual, expected, options);
  if (errs.length === 0) return { max: 0, mean: 0, median: 0, worst: null, floor };
  let max = -1;
  let at = 0;
  let sum = 0;
  for (let i = 0; i < errs.length; i++) {
    sum += errs[i];
    if (errs[i] > max) {
      max = errs[i];
      at = i;
    }
  }
  const sorted = errs.slice().sort();
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    max,
    mean: sum / errs.length,
    median,
    worst: { index: unravelIndex(at, actual.shape), actual: actual.data[at], expected: expected.data[at] },
    floor,
  };
}
