import { allocate } from "./dtype.js";
import { ArgumentError, ShapeError } from "./errors.js";
import { formatShape, normalizeAxis } from "./shape.js";
import { Tensor } from "./tensor.js";

/** Options of the reductions. */
export interface ReduceOptions {
  /** Keep reduced axes as size 1 (PyTorch's `keepdim`). Default false. */
  keepDims?: boolean;
}

/**
 * Axes to reduce: one axis, a list of axes (negative counts from the end), or all when omitted. An
 * empty list reduces nothing (a copy), as NumPy's `axis=()`; note that PyTorch's `dim=[]` reduces
 * every axis instead.
 */
export type Axes = number | readonly number[];

interface Plan {
  /** Per input axis: whether it is reduced. */
  reduced: boolean[];
  outShape: number[];
  /** Coalesced walk over the input: sizes, output strides (0 on reduced axes), reduced flags. */
  dims: number[];
  outStrides: number[];
  isReduced: boolean[];
  outSize: number;
  /** Number of input elements folded into each output element. */
  count: number;
}

function plan(op: string, t: Tensor, axes: Axes | undefined, keepDims: boolean): Plan {
  if (!(t instanceof Tensor)) throw new ArgumentError(op, "input must be a Tensor");
  const rank = t.rank;
  const reduced = new Array<boolean>(rank).fill(axes === undefined);
  if (axes !== undefined) {
    const list = typeof axes === "number" ? [axes] : axes;
    if (!Array.isArray(list) && typeof axes !== "number") {
      throw new ArgumentError(op, "axis must be a number or an array of numbers");
    }
    for (const a of list) {
      const ax = normalizeAxis(a, rank, op);
      if (reduced[ax]) {
        throw new ArgumentError(op, `axis ${a} is listed twice (axes [${list.join(",")}], shape ${formatShape(t.shape)})`);
      }
      reduced[ax] = true;
    }
  }
  const outShape: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    if (reduced[i]) {
      count *= t.shape[i];
      if (keepDims) outShape.push(1);
    } else outShape.push(t.shape[i]);
  }
  // output strides over the input axes (0 on reduced axes)
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    if (!reduced[i]) {
      strides[i] = s;
      s *= t.shape[i];
    }
  }
  // coalesce neighbouring axes of the same kind
  const dims: number[] = [];
  const outStrides: number[] = [];
  const isReduced: boolean[] = [];
  for (let i = 0; i < rank; i++) {
    const d = t.shape[i];
    if (d === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && isReduced[last] === reduced[i] && outStrides[last] === strides[i] * d) {
      dims[last] *= d;
      outStrides[last] = strides[i];
    } else {
      dims.push(d);
      outStrides.push(strides[i]);
      isReduced.push(reduced[i]);
    }
  }
  return { reduced, outShape, dims, outStrides, isReduced, outSize: s, count };
}

/**
 * Walks the input in memory order, calling `row(inputOffset, outputOffset, n, outStride, coord)`
 * for each run of `n` elements along the innermost coalesced axis. `coord` is the position along
 * the reduced axis when the innermost axis is kept (for argmax; 0 when that axis has size 1).
 */
function walk(
  p: Plan,
  size: number,
  row: (inOff: number, outOff: number, n: number, outStride: number, coordOfRow: number) => void,
): void {
  if (size === 0) return;
  const q = p.dims.length;
  const n = q === 0 ? 1 : p.dims[q - 1];
  const os = q === 0 ? 0 : p.outStrides[q - 1];
  const counter = new Array<number>(Math.max(0, q - 1)).fill(0);
  // the reduced axis among the outer ones (at most one for argmax, which is all that uses it)
  let redOuter = -1;
  for (let d = 0; d < q - 1; d++) if (p.isReduced[d]) redOuter = d;
  let outOff = 0;
  for (let inOff = 0; inOff < size; inOff += n) {
    row(inOff, outOff, n, os, redOuter >= 0 ? counter[redOuter] : 0);
    for (let d = q - 2; d >= 0; d--) {
      outOff += p.outStrides[d];
      if (++counter[d] < p.dims[d]) break;
      counter[d] = 0;
      outOff -= p.outStrides[d] * p.dims[d];
    }
  }
}

/**
 * Sum over `axes` (all axes when omitted, giving a 0-D tensor unless `keepDims`), as `torch.sum`.
 * Accumulates in float64, then rounds to the input dtype.
 *
 * @example
 * ```ts
 * const x = fromArray([[1, 2, 3], [4, 5, 6]]);
 * sum(x).item();                          // 21
 * sum(x, 0).toArray();                    // [5, 7, 9]
 * sum(x, 1, { keepDims: true }).shape;    // [2, 1]
 * sum(images, [0, 2, 3]).shape;           // per-channel sums of an NCHW batch: [C]
 * ```
 */
export function sum(t: Tensor, axes?: Axes, options: ReduceOptions = {}): Tensor {
  const p = plan("sum", t, axes, options.keepDims ?? false);
  const out = allocate(t.dtype, p.outSize);
  out.set(sumF64(p, t));
  return new Tensor(t.dtype, p.outShape, out);
}

function sumF64(p: Plan, t: Tensor): Float64Array {
  const acc = new Float64Array(p.outSize);
  const x = t.data;
  walk(p, t.size, (inOff, outOff, n, os) => {
    if (os === 0) {
      let s = 0;
      for (let j = 0; j < n; j++) s += x[inOff + j];
      acc[outOff] += s;
    } else {
      for (let j = 0, o = outOff; j < n; j++, o += os) acc[o] += x[inOff + j];
    }
  });
  return acc;
}

/**
 * Mean over `axes` (all when omitted), as `torch.mean`. Accumulates and divides in float64, then
 * rounds to the input dtype. The mean over zero elements is NaN, as in PyTorch.
 *
 * @example
 * ```ts
 * mean(fromArray([[1, 2], [3, 4]]), 1).toArray(); // [1.5, 3.5]
 * ```
 */
export function mean(t: Tensor, axes?: Axes, options: ReduceOptions = {}): Tensor {
  const p = plan("mean", t, axes, options.keepDims ?? false);
  const acc = sumF64(p, t);
  for (let i = 0; i < acc.length; i++) acc[i] = p.count === 0 ? NaN : acc[i] / p.count;
  const out = allocate(t.dtype, p.outSize);
  out.set(acc);
  return new Tensor(t.dtype, p.outShape, out);
}

function checkNonEmpty(op: string, t: Tensor, p: Plan): void {
  if (p.count === 0 && p.outSize > 0) {
    throw new ShapeError(op, `cannot reduce over an empty axis (shape ${formatShape(t.shape)})`);
  }
  if (t.size === 0 && p.outSize === 0 && p.count === 0) {
    throw new ShapeError(op, `cannot reduce an empty tensor (shape ${formatShape(t.shape)})`);
  }
}

/**
 * Maximum over `axes` (all when omitted), as `torch.amax`: NaN propagates (a NaN in a slice makes
 * its maximum NaN). Reducing over an empty axis throws.
 *
 * @example
 * ```ts
 * max(fromArray([[1, 5], [7, 2]]), 1).toArray(); // [5, 7]
 * max(fromArray([[1, 5], [7, 2]])).item();       // 7
 * ```
 */
export function max(t: Tensor, axes?: Axes, options: ReduceOptions = {}): Tensor {
  const p = plan("max", t, axes, options.keepDims ?? false);
  checkNonEmpty("max", t, p);
  const out = allocate(t.dtype, p.outSize).fill(-Infinity);
  const x = t.data;
  walk(p, t.size, (inOff, outOff, n, os) => {
    if (os === 0) {
      let m = out[outOff];
      for (let j = 0; j < n; j++) {
        const v = x[inOff + j];
        if (v > m || v !== v) m = v;
        if (m !== m) break;
      }
      out[outOff] = m;
    } else {
      for (let j = 0, o = outOff; j < n; j++, o += os) {
        const v = x[inOff + j];
        const m = out[o];
        if (v > m || (v !== v && m === m)) out[o] = v;
      }
    }
  });
  return new Tensor(t.dtype, p.outShape, out);
}

/**
 * Index of the maximum along one axis, or the flat row-major index of the maximum of the whole
 * tensor when `axis` is omitted, as `torch.argmax`: the first index wins ties, and a NaN counts as
 * the maximum (its first occurrence is returned).
 *
 * Returns a tensor of the input's dtype holding integer values (exact: float32 holds integers up to
 * 2^24, float64 up to 2^53), with the axis removed (or kept as size 1 with `keepDims`). Use
 * `Int32Array.from(result.data)` when integer indices are needed.
 *
 * @example
 * ```ts
 * argmax(fromArray([[1, 5, 3], [9, 2, 9]]), 1).toArray(); // [1, 0]
 * argmax(logits, 1).shape;                                // [N, H, W] for NCHW logits
 * ```
 */
export function argmax(t: Tensor, axis?: number, options: ReduceOptions = {}): Tensor {
  if (axis !== undefined && typeof axis !== "number") {
    throw new ArgumentError("argmax", "axis must be a single number (argmax reduces one axis or all)");
  }
  const p = plan("argmax", t, axis, options.keepDims ?? false);
  checkNonEmpty("argmax", t, p);
  const best = allocate("float64", p.outSize).fill(-Infinity);
  const idx = allocate(t.dtype, p.outSize);
  const seen = new Uint8Array(p.outSize);
  const x = t.data;
  walk(p, t.size, (inOff, outOff, n, os, coord) => {
    if (os === 0) {
      // the innermost run is along the reduced axis: its position is the index
      let m = best[outOff];
      let k = idx[outOff];
      let first = seen[outOff] === 0;
      if (m !== m) return;
      for (let j = 0; j < n; j++) {
        const v = x[inOff + j];
        if (first || v > m || v !== v) {
          m = v;
          k = j;
          first = false;
          if (v !== v) break;
        }
      }
      best[outOff] = m;
      idx[outOff] = k;
      seen[outOff] = 1;
    } else {
      for (let j = 0, o = outOff; j < n; j++, o += os) {
        const v = x[inOff + j];
        const m = best[o];
        if (m !== m) continue;
        if (seen[o] === 0 || v > m || v !== v) {
          best[o] = v;
          idx[o] = coord;
          seen[o] = 1;
        }
      }
    }
  });
  return new Tensor(t.dtype, p.outShape, idx);
}
