import { ArgumentError, ShapeError } from "./errors.js";
import { formatShape, normalizeAxis } from "./shape.js";
import { empty } from "./creation.js";
import { Tensor } from "./tensor.js";

/**
 * Splits a tensor along an axis into copies (the inverse of {@link concat}). `sizes` is either the
 * list of part sizes along the axis (must add up to the axis size; zeros allowed) or a count of equal
 * parts (must divide the axis size, as `numpy.split`; note that PyTorch's `torch.split(t, n)` takes
 * a part *size* instead: pass `[n, n, ...]` for that). Block copies, as `concat`.
 *
 * @example
 * ```ts
 * split(zeros([2, 8, 4, 4]), [3, 5], 1).map((t) => t.shape); // [[2,3,4,4], [2,5,4,4]]
 * split(arange(0, 6), 3, 0).map((t) => t.toArray());       // [[0,1], [2,3], [4,5]]
 * ```
 */
export function split(t: Tensor, sizes: number | readonly number[], axis: number): Tensor[] {
  if (!(t instanceof Tensor)) throw new ArgumentError("split", "input must be a Tensor");
  const ax = normalizeAxis(axis, t.rank, "split");
  const dim = t.shape[ax];
  let parts: number[];
  if (typeof sizes === "number") {
    if (!Number.isInteger(sizes) || sizes <= 0 || dim % sizes !== 0) {
      throw new ShapeError(
        "split",
        `cannot split axis ${ax} of size ${dim} into ${sizes} equal parts (shape ${formatShape(t.shape)})`,
      );
    }
    parts = new Array<number>(sizes).fill(dim / sizes);
  } else if (Array.isArray(sizes)) {
    parts = sizes.slice();
    const bad = parts.some((s) => !Number.isInteger(s) || s < 0);
    const total = parts.reduce((a, b) => a + b, 0);
    if (bad || total !== dim) {
      throw new ShapeError(
        "split",
        `sizes [${parts.join(",")}] must be non-negative integers adding up to ${dim}, the size of axis ${ax} of ${formatShape(t.shape)}`,
      );
    }
  } else {
    throw new ArgumentError("split", "sizes must be a number of parts or an array of part sizes");
  }
  let outer = 1;
  for (let d = 0; d < ax; d++) outer *= t.shape[d];
  let inner = 1;
  for (let d = ax + 1; d < t.rank; d++) inner *= t.shape[d];
  const inBlock = dim * inner;
  const x = t.data;
  const result: Tensor[] = [];
  let at = 0;
  for (const part of parts) {
    const shape = t.shape.slice();
    shape[ax] = part;
    const out = empty(shape, t.dtype); // every element is copied from the input
    const block = part * inner;
    if (block > 0) {
      const y = out.data;
      for (let o = 0; o < outer; o++) y.set(x.subarray(o * inBlock + at, o * inBlock + at + block), o * block);
    }
    at += block;
    result.push(out);
  }
  return result;
}
