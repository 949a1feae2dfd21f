import { ArgumentError } from "./errors.js";
import { formatShape, normalizeAxis } from "./shape.js";
import { empty } from "./creation.js";
import { Tensor } from "./tensor.js";

function resolveBound(op: string, what: string, v: number, dim: number, shape: readonly number[], axis: number): number {
  if (!Number.isInteger(v) || v < -dim || v > dim) {
    throw new ArgumentError(op, `${what} ${v} is out of range for axis ${axis} of size ${dim} (shape ${formatShape(shape)})`);
  }
  return v < 0 ? v + dim : v;
}

/**
 * The elements `start <= i < end` along one axis, as a new contiguous copy (as `t.narrow` or the
 * Python slice `t[..., start:end, ...]`, but strict: negative bounds count from the end, and bounds
 * outside `[-size, size]` or `start > end` throw instead of being clamped). `end` defaults to the
 * axis size. Block copies, as {@link concat}.
 *
 * @example
 * ```ts
 * slice(arange(0, 10), 0, 2, 5).toArray();        // [2, 3, 4]
 * slice(zeros([1, 64, 32, 32]), 1, 0, 32).shape;  // [1, 32, 32, 32]
 * slice(arange(0, 10), 0, -2).toArray();          // [8, 9]
 * ```
 */
export function slice(t: Tensor, axis: number, start: number, end?: number): Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError("slice", "input must be a Tensor");
  const ax = normalizeAxis(axis, t.rank, "slice");
  const dim = t.shape[ax];
  const s = resolveBound("slice", "start", start, dim, t.shape, ax);
  const e = end === undefined ? dim : resolveBound("slice", "end", end, dim, t.shape, ax);
  if (s > e) {
    throw new ArgumentError("slice", `start ${start} is after end ${end} on axis ${ax} (shape ${formatShape(t.shape)})`);
  }
  let outer = 1;
  for (let d = 0; d < ax; d++) outer *= t.shape[d];
  let inner = 1;
  for (let d = ax + 1; d < t.rank; d++) inner *= t.shape[d];
  const shape = t.shape.slice();
  shape[ax] = e - s;
  const out = empty(shape, t.dtype); // every element is copied from t
  const block = (e - s) * inner;
  if (block === 0) return out;
  const inBlock = dim * inner;
  const x = t.data;
  const y = out.data;
  for (let o = 0; o < outer; o++) {
    const from = o * inBlock + s * inner;
    y.set(x.subarray(from, from + block), o * block);
  }
  return out;
}

/**
 * Slices several axes at once: `ranges[i]` is `[start, end]` for axis `i` (`null` or a missing
 * entry keeps the whole axis). Bounds follow {@link slice}. For example the center crop of an NCHW
 * skip tensor in the original U-Net.
 *
 * @example
 * ```ts
 * narrow(zeros([1, 3, 10, 10]), [null, null, [2, 8], [2, 8]]).shape; // [1, 3, 6, 6]
 * ```
 */
export function narrow(t: Tensor, ranges: readonly (readonly [number, number] | null | undefined)[]): Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError("narrow", "input must be a Tensor");
  if (!Array.isArray(ranges) || ranges.length > t.rank) {
    throw new ArgumentError("narrow", `needs at most one range per axis of ${formatShape(t.shape)}`);
  }
  // Resolve and validate everything first so errors name the original tensor.
  const starts: number[] = [];
  const ends: number[] = [];
  for (let d = 0; d < t.rank; d++) {
    const r = ranges[d];
    const dim = t.shape[d];
    if (r === null || r === undefined) {
      starts.push(0);
      ends.push(dim);
      continue;
    }
    if (!Array.isArray(r) || r.length !== 2) {
      throw new ArgumentError("narrow", `range for axis ${d} must be [start, end] or null`);
    }
    const s = resolveBound("narrow", "start", r[0], dim, t.shape, d);
    const e = resolveBound("narrow", "end", r[1], dim, t.shape, d);
    if (s > e) throw new ArgumentError("narrow", `start ${r[0]} is after end ${r[1]} on axis ${d} (shape ${formatShape(t.shape)})`);
    starts.push(s);
    ends.push(e);
  }
  let out = t;
  for (let d = 0; d < t.rank; d++) {
    if (starts[d] !== 0 || ends[d] !== t.shape[d]) out = slice(out, d, starts[d], ends[d]);
  }
  return out === t ? t.clone() : out;
}
