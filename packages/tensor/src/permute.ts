import { ArgumentError } from "./errors.js";
import { formatShape, normalizeAxis } from "./shape.js";
import { Tensor } from "./tensor.js";

/**
 * The tensor with its axes reordered (as `torch.permute`), as a new contiguous copy: output axis `i`
 * is input axis `axes[i]`. `axes` must list every axis once (negative values count from the end).
 *
 * @example
 * ```ts
 * permute(zeros([2, 3, 4, 5]), [0, 2, 3, 1]).shape; // [2, 4, 5, 3] (NCHW -> NHWC)
 * ```
 */
export function permute(t: Tensor, axes: readonly number[]): Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError("permute", "input must be a Tensor");
  const rank = t.rank;
  if (!Array.isArray(axes) || axes.length !== rank) {
    throw new ArgumentError(
      "permute",
      `axes [${Array.isArray(axes) ? axes.join(",") : String(axes)}] must list each of the ${rank} axes of ${formatShape(t.shape)} once`,
    );
  }
  const perm = axes.map((a) => normalizeAxis(a, rank, "permute"));
  const seen = new Set(perm);
  if (seen.size !== rank) {
    throw new ArgumentError("permute", `axes [${axes.join(",")}] repeat an axis (shape ${formatShape(t.shape)})`);
  }
  const inStrides = t.strides;
  const outShape = perm.map((p) => t.shape[p]);
  const src = perm.map((p) => inStrides[p]);
  const out = new Tensor(t.dtype, outShape);
  const size = t.size;
  if (size === 0) return out;
  if (perm.every((p, i) => p === i)) {
    out.data.set(t.data);
    return out;
  }
  // walk the output contiguously; the input through the permuted strides
  const x = t.data;
  const y = out.data;
  const n = outShape[rank - 1];
  const s = src[rank - 1];
  const counter = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < size; o += n) {
    for (let j = 0, p = off; j < n; j++, p += s) y[o + j] = x[p];
    for (let d = rank - 2; d >= 0; d--) {
      off += src[d];
      if (++counter[d] < outShape[d]) break;
      counter[d] = 0;
      off -= src[d] * outShape[d];
    }
  }
  return out;
}

/**
 * The tensor with two axes swapped (as `torch.transpose`), as a new contiguous copy.
 *
 * @example
 * ```ts
 * transpose(fromArray([[1, 2, 3], [4, 5, 6]]), 0, 1).toNested(); // [[1, 4], [2, 5], [3, 6]]
 * ```
 */
export function transpose(t: Tensor, a: number, b: number): Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError("transpose", "input must be a Tensor");
  const i = normalizeAxis(a, t.rank, "transpose");
  const j = normalizeAxis(b, t.rank, "transpose");
  const axes = Array.from({ length: t.rank }, (_, k) => k);
  axes[i] = j;
  axes[j] = i;
  return permute(t, axes);
}
