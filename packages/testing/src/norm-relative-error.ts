import { ArgumentError, ShapeError, Tensor, formatShape, sameShape } from "@unetkit/tensor";

/**
 * The norm-wise relative error `||actual - expected||_2 / ||expected||_2` (0 when both are zero,
 * Infinity when only `expected` is). This is the usual "relative error of a tensor" for whole-model
 * comparisons, where elementwise ratios are dominated by rounding in the few elements that cancel
 * to near zero (PyTorch's own float32 U-Net gradients differ elementwise from float64 by up to
 * ~6e-4, while norm-wise by ~1e-6).
 *
 * @example
 * ```ts
 * expect(normRelativeError(grad32, goldenFrom64)).toBeLessThan(1e-4);
 * ```
 */
export function normRelativeError(actual: Tensor, expected: Tensor): number {
  if (!(actual instanceof Tensor) || !(expected instanceof Tensor)) {
    throw new ArgumentError("normRelativeError", "actual and expected must be Tensors");
  }
  if (!sameShape(actual.shape, expected.shape)) {
    throw new ShapeError("normRelativeError", `shapes differ: actual ${formatShape(actual.shape)}, expected ${formatShape(expected.shape)}`);
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < actual.size; i++) {
    const d = actual.data[i] - expected.data[i];
    num += d * d;
    den += expected.data[i] * expected.data[i];
  }
  if (Number.isNaN(num)) return Number.POSITIVE_INFINITY;
  if (den === 0) return num === 0 ? 0 : Number.POSITIVE_INFINITY;
  return Math.sqrt(num / den);
}
