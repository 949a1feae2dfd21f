import { ArgumentError, ShapeError } from "./errors.js";
import { formatShape, sameShape } from "./shape.js";
import { Tensor } from "./tensor.js";

/** Tolerances of {@link allClose}. */
export interface AllCloseOptions {
  /** Relative tolerance. Default 1e-5 (as PyTorch). */
  rtol?: number;
  /** Absolute tolerance. Default 1e-8 (as PyTorch). */
  atol?: number;
  /** Count NaN as equal to NaN. Default false (as PyTorch). */
  equalNan?: boolean;
}

function checkSame(op: string, a: Tensor, b: Tensor): void {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new ArgumentError(op, "a and b must be Tensors");
  if (!sameShape(a.shape, b.shape)) {
    throw new ShapeError(op, `shapes differ (${formatShape(a.shape)} and ${formatShape(b.shape)})`);
  }
}

/**
 * True when every element satisfies `|a - b| <= atol + rtol * |b|`, as `torch.allclose` (note the
 * asymmetry: `b` is the reference). NaN is never close (unless `equalNan`); an infinity is close only to the same
 * infinity. Shapes must be equal (a {@link ShapeError} otherwise); dtypes may differ (values are
 * compared as numbers).
 *
 * @example
 * ```ts
 * allClose(fromArray([1, 2]), fromArray([1, 2 + 1e-7]));             // true
 * allClose(fromArray([1]), fromArray([1.1]), { rtol: 0, atol: 0.2 }); // true
 * ```
 */
export function allClose(a: Tensor, b: Tensor, options: AllCloseOptions = {}): boolean {
  checkSame("allClose", a, b);
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-8;
  const equalNan = options.equalNan ?? false;
  if (!(rtol >= 0) || !(atol >= 0)) {
    throw new ArgumentError("allClose", `rtol and atol must be non-negative numbers (got ${rtol}, ${atol})`);
  }
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < x.length; i++) {
    const p = x[i];
    const q = y[i];
    if (p === q) continue; // also equal infinities
    if (p !== p || q !== q) {
      if (equalNan && p !== p && q !== q) continue;
      return false;
    }
    // an infinity is close only to the same infinity (handled above), as torch.isclose
    if (p === Infinity || p === -Infinity || q === Infinity || q === -Infinity) return false;
    if (!(Math.abs(p - q) <= atol + rtol * Math.abs(q))) return false;
  }
  return true;
}

/**
 * The largest `|a - b|` over all elements (0 for empty tensors). NaN when a NaN appears in either
 * tensor; equal infinities count as 0, opposite ones as Infinity. For test messages: `expect(maxAbsDiff(got, want)).toBeLessThan(1e-6)`.
 *
 * @example
 * ```ts
 * maxAbsDiff(fromArray([1, 2]), fromArray([1.5, 2])); // 0.5
 * ```
 */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  checkSame("maxAbsDiff", a, b);
  const x = a.data;
  const y = b.data;
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const p = x[i];
    const q = y[i];
    if (p === q) continue;
    const d = Math.abs(p - q);
    if (d !== d) return NaN;
    if (d > worst) worst = d;
  }
  return worst;
}

/**
 * The largest relative difference `|a - b| / max(|a|, |b|, floor)` over all elements (0 for empty
 * tensors; NaN when a NaN appears in either tensor; Infinity when an infinity meets a different
 * value). `floor`
 * (default 1e-12) keeps near-zero pairs from dominating; raise it to about the absolute noise level
 * of what you compare.
 *
 * @example
 * ```ts
 * maxRelDiff(fromArray([100, 1]), fromArray([101, 1])); // 1/101
 * ```
 */
export function maxRelDiff(a: Tensor, b: Tensor, options: { floor?: number } = {}): number {
  checkSame("maxRelDiff", a, b);
  const floor = options.floor ?? 1e-12;
  if (!(floor > 0)) throw new ArgumentError("maxRelDiff", `floor must be positive (got ${floor})`);
  const x = a.data;
  const y = b.data;
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const p = x[i];
    const q = y[i];
    if (p === q) continue;
    if (p !== p || q !== q) return NaN;
    const d = Math.abs(p - q) / Math.max(Math.abs(p), Math.abs(q), floor);
    if (d !== d) return Infinity; // an infinity against another value
    if (d > worst) worst = d;
  }
  return worst;
}
