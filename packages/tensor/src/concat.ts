import { ArgumentError, ShapeError } from "./errors.js";
import { formatShape, normalizeAxis } from "./shape.js";
import { empty } from "./creation.js";
import { Tensor } from "./tensor.js";

/**
 * Joins tensors along an existing axis (as `torch.cat`). All inputs must have one dtype, one rank
 * and equal sizes on every other axis. Copies whole contiguous blocks (`TypedArray.set`), so a
 * channel concat of NCHW tensors (`axis = 1`, the U-Net skip connection) costs one block copy per
 * image and input.
 *
 * @example
 * ```ts
 * concat([zeros([2, 3, 8, 8]), zeros([2, 5, 8, 8])], 1).shape; // [2, 8, 8, 8]
 * ```
 */
export function concat(tensors: readonly Tensor[], axis: number): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new ArgumentError("concat", "needs a non-empty array of tensors");
  }
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ArgumentError("concat", `tensors[${i}] is not a Tensor`);
  });
  const first = tensors[0];
  const all = () => tensors.map((t) => formatShape(t.shape)).join(", ");
  const ax = normalizeAxis(axis, first.rank, "concat");
  let total = 0;
  for (const t of tensors) {
    if (t.dtype !== first.dtype) {
      throw new ArgumentError("concat", `dtypes differ (${tensors.map((u) => u.dtype).join(", ")})`);
    }
    if (t.rank !== first.rank) throw new ShapeError("concat", `ranks differ (shapes ${all()})`);
    for (let d = 0; d < t.rank; d++) {
      if (d !== ax && t.shape[d] !== first.shape[d]) {
        throw new ShapeError("concat", `sizes differ on axis ${d} (shapes ${all()}, concatenating on axis ${ax})`);
      }
    }
    total += t.shape[ax];
  }
  const outShape = first.shape.slice();
  outShape[ax] = total;
  const out = empty(outShape, first.dtype); // every element is copied from an input
  let outer = 1;
  for (let d = 0; d < ax; d++) outer *= first.shape[d];
  let inner = 1;
  for (let d = ax + 1; d < first.rank; d++) inner *= first.shape[d];
  const outBlock = total * inner;
  const y = out.data;
  let at = 0;
  for (const t of tensors) {
    const block = t.shape[ax] * inner;
    if (block === 0) continue;
    const x = t.data;
    for (let o = 0; o < outer; o++) y.set(x.subarray(o * block, (o + 1) * block), o * outBlock + at);
    at += block;
  }
  return out;
}
