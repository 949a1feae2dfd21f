import { ArgumentError, Tensor, formatShape, sameShape } from "@unetkit/tensor";
import { unravelIndex } from "./unravel-index.js";

/**
 * Options of {@link expectClose}: tolerances and a label for the message.
 *
 * @example
 * ```ts
 * expectClose(y, expected, { rtol: 1e-4, atol: 1e-5, label: "BatchNorm2D eval forward" });
 * ```
 */
export interface ExpectCloseOptions {
  /** Relative tolerance (default 1e-5 when either tensor is float32, 1e-9 for float64). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6 when either tensor is float32, 1e-12 for float64). */
  atol?: number;
  /** Prefix of the error message (what is being compared). */
  label?: string;
}

/**
 * Asserts that two tensors have the same shape and that every element satisfies
 * `|actual - expected| <= atol + rtol * |expected|` (the `allclose` rule of NumPy and PyTorch).
 * NaN never passes. Throws an `Error` naming the shape mismatch, or the number of mismatches and
 * the worst element (the one furthest beyond its tolerance): its multi-index, both values, the
 * absolute and relative error. Dtypes may differ (a float64 result against float32 fixture data).
 *
 * @example
 * ```ts
 * expectClose(conv.forward(x), fx.tensors.y, { rtol: 1e-5, atol: 1e-6, label: "Conv2D forward" });
 * // Error: Conv2D forward: 3 of 512 elements differ; worst at [0,2,3,1]: actual 0.51 expected 0.5
 * //        (abs error 0.01, rel error 0.02; rtol 1e-5, atol 1e-6)
 * ```
 */
export function expectClose(actual: Tensor, expected: Tensor, options: ExpectCloseOptions = {}): void {
  const label = options.label ?? "expectClose";
  if (!(actual instanceof Tensor) || !(expected instanceof Tensor)) {
    throw new ArgumentError("expectClose", "actual and expected must be Tensors");
  }
  if (!sameShape(actual.shape, expected.shape)) {
    throw new Error(
      `${label}: shape mismatch: actual ${formatShape(actual.shape)}, expected ${formatShape(expected.shape)}`,
    );
  }
  const single = actual.dtype === "float32" || expected.dtype === "float32";
  const rtol = options.rtol ?? (single ? 1e-5 : 1e-9);
  const atol = options.atol ?? (single ? 1e-6 : 1e-12);
  if (!(rtol >= 0) || !(atol >= 0)) {
    throw new ArgumentError("expectClose", `rtol and atol must be non-negative (got ${rtol}, ${atol})`);
  }
  const a = actual.data;
  const e = expected.data;
  let bad = 0;
  let worst = -1;
  let worstRatio = -1;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - e[i]);
    const allowed = atol + rtol * Math.abs(e[i]);
    // Infinities must match exactly (an infinite expected value would otherwise allow anything).
    const pass = a[i] === e[i] || (Number.isFinite(e[i]) && diff <= allowed);
    if (!pass) {
      bad++;
      const q = diff / allowed;
      const ratio = Number.isNaN(q) ? Number.POSITIVE_INFINITY : q;
      if (ratio > worstRatio || worst < 0) {
        worstRatio = ratio;
        worst = i;
      }
    }
  }
  if (bad > 0) {
    const diff = Math.abs(a[worst] - e[worst]);
    const rel = diff / Math.abs(e[worst]);
    throw new Error(
      `${label}: ${bad} of ${a.length} elements differ; worst at [${unravelIndex(worst, actual.shape).join(",")}]: ` +
        `actual ${a[worst]} expected ${e[worst]} (abs error ${diff.toPrecision(3)}, rel error ${rel.toPrecision(3)}; ` +
        `rtol ${rtol}, atol ${atol}; shape ${formatShape(actual.shape)})`,
    );
  }
}
