import { ShapeError } from "./errors.js";
import { formatShape, type Shape } from "./shape.js";

/**
 * The shape two shapes broadcast to, with PyTorch/NumPy rules: shapes are aligned on their last
 * axis, and each pair of sizes must be equal or one of them 1 (a missing leading axis counts as 1).
 * Throws a {@link ShapeError} naming `op` and both shapes when they do not broadcast.
 *
 * @example
 * ```ts
 * broadcastShapes([2, 3, 4], [3, 1]); // [2, 3, 4]
 * broadcastShapes([2, 3], [4]);       // throws ShapeError
 * ```
 */
export function broadcastShapes(a: Shape, b: Shape, op = "broadcast"): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      throw new ShapeError(
        op,
        `shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (size ${da} vs ${db} at axis ${i - rank})`,
      );
    }
  }
  return out;
}

/**
 * Strides (in elements) for reading a contiguous tensor of `shape` as if it had the broadcast shape
 * `outShape`: 0 along broadcast axes. Internal helper for the elementwise kernels.
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = i + rank - shape.length;
    strides[o] = shape[i] === 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}
