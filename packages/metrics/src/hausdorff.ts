import { ArgumentError, ShapeError, formatShape } from "@unetkit/tensor";
import {
  EdtScratch,
  checkSpacing,
  squaredDistanceToSites,
} from "./distance-transform.js";
import { resolveMask, type MaskInput } from "./label-mask.js";

/**
 * Options of {@link hausdorffDistance} and {@link hausdorff95}.
 *
 * @example
 * ```ts
 * hausdorff95(pred, truth, { classIndex: 2, spacing: [0.8, 0.8], combine: "max" });
 * ```
 */
export interface HausdorffOptions {
  /** The class whose region is compared: pixels equal to it are foreground. Required. */
  classIndex: number;
  /**
   * Which percentile of the boundary distances to report, in [0, 100]. {@link hausdorffDistance}
   * defaults to 100 (the classic, maximum Hausdorff distance), {@link hausdorff95} to 95.
   */
  percentile?: number;
  /**
   * Only the distances from the prediction's boundary to the truth's (MONAI's `directed=True`).
   * Default false.
   */
  directed?: boolean;
  /**
   * How the two directions are combined when not `directed`:
   * `"max"` (default, MONAI and DeepMind's surface-distance): the larger of the two directed
   * percentiles; `"pooled"`: the percentile of both directions' distances pooled together.
   */
  combine?: "max" | "pooled";
  /** Pixel size `[dy, dx]` (e.g. millimetres); distances are in these units. Default `[1, 1]`. */
  spacing?: readonly [number, number];
  /** `[height, width]` when the masks are plain Int32Arrays. */
  shape?: readonly [number, number];
}

/**
 * Hausdorff distance between the regions of class `classIndex` in a predicted and a true 2-D
 * label mask, at a percentile (default 100: the maximum), following MONAI's
 * `compute_hausdorff_distance`:
 *
 * 1. Boundaries: a foreground pixel is on the boundary when one of its 4 neighbours is not
 *    foreground or lies outside the image (`mask XOR binary_erosion(mask)` with scipy's default
 *    cross-shaped structure and a background border).
 * 2. Directed distances: from each boundary pixel of the prediction to the nearest boundary pixel
 *    of the truth, and from each boundary pixel of the truth to the nearest of the prediction,
 *    computed with an exact Euclidean distance transform (O(H W), not O(n^2) pairs).
 * 3. The percentile of each direction (linear interpolation between order statistics, numpy's
 *    default `np.percentile`), and the larger of the two (`combine: "max"`, MONAI's rule; not the
 *    percentile of the pooled distances unless `combine: "pooled"`).
 *
 * Empty regions, as MONAI: `NaN` when the class is absent from both masks; `Infinity` when it is
 * present in exactly one (MONAI warns and returns inf there). Masks are `[H, W]` (leading sizes of
 * 1, like `[1, H, W]`, are accepted), or plain Int32Arrays with `options.shape`.
 *
 * @example
 * ```ts
 * const truth = { shape: [4, 4], data: Int32Array.from([0,0,0,0, 0,1,1,0, 0,1,1,0, 0,0,0,0]) };
 * const pred  = { shape: [4, 4], data: Int32Array.from([0,0,0,0, 0,0,1,1, 0,0,1,1, 0,0,0,0]) };
 * hausdorffDistance(pred, truth, { classIndex: 1 }); // 1 (the squares are shifted by one pixel)
 * ```
 */
export function hausdorffDistance(
  prediction: MaskInput,
  truth: MaskInput,
  options: HausdorffOptions,
): number {
  return hausdorffImpl("hausdorffDistance", prediction, truth, options, 100);
}

/**
 * The 95th-percentile Hausdorff distance (HD95) of class `classIndex` between a predicted and a
 * true 2-D mask: {@link hausdorffDistance} with `percentile: 95`, i.e. MONAI's
 * `compute_hausdorff_distance(percentile=95)`: the larger of the two directed 95th percentiles of
 * boundary-to-boundary distances. `NaN` if the class is in neither mask, `Infinity` if it is in
 * only one.
 *
 * @example
 * ```ts
 * hausdorff95(pred, truth, { classIndex: 1 });                 // in pixels
 * hausdorff95(pred, truth, { classIndex: 1, spacing: [0.5, 0.5] }); // in mm
 * ```
 */
export function hausdorff95(
  prediction: MaskInput,
  truth: MaskInput,
  options: HausdorffOptions,
): number {
  return hausdorffImpl("hausdorff95", prediction, truth, options, 95);
}

/**
 * {@link hausdorff95} (or another percentile via `options.percentile`) for every class
 * `0 .. numClasses - 1` of one 2-D mask pair: a `Float64Array` of length `numClasses` holding
 * `NaN` for classes absent from both masks and `Infinity` for classes present in only one.
 *
 * @example
 * ```ts
 * hausdorff95PerClass(pred, truth, { numClasses: 3 }); // Float64Array [hd0, hd1, hd2]
 * ```
 */
export function hausdorff95PerClass(
  prediction: MaskInput,
  truth: MaskInput,
  options: Omit<HausdorffOptions, "classIndex"> & { numClasses: number },
): Float64Array {
  const op = "hausdorff95PerClass";
  const { numClasses } = options;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new ArgumentError(op, `numClasses must be a positive integer (got ${numClasses})`);
  }
  const out = new Float64Array(numClasses);
  for (let k = 0; k < numClasses; k++) {
    out[k] = hausdorffImpl(op, prediction, truth, { ...options, classIndex: k }, 95);
  }
  return out;
}

/**
 * The boundary of the region `mask == classIndex` of a 2-D mask `[height, width]`: 1 where a
 * foreground pixel has a 4-neighbour that is background or outside the image, else 0 (a
 * `Uint8Array` of `height * width`). This is `mask ^ binary_erosion(mask)` in scipy terms.
 *
 * @example
 * ```ts
 * maskBoundary(Int32Array.from([1,1,1, 1,1,1, 1,1,1]), 1, { shape: [3, 3] });
 * // Uint8Array [1,1,1, 1,0,1, 1,1,1]
 * ```
 */
export function maskBoundary(
  mask: MaskInput,
  classIndex: number,
  options: { shape?: readonly [number, number] } = {},
): Uint8Array {
  const op = "maskBoundary";
  checkClassIndex(op, classIndex);
  const m = planeOf(op, "mask", mask, options.shape);
  const out = new Uint8Array(m.h * m.w);
  boundaryInto(m.data, m.h, m.w, classIndex, 0, m.h - 1, 0, m.w - 1, out);
  return out;
}

function hausdorffImpl(
  op: string,
  prediction: MaskInput,
  truth: MaskInput,
  options: HausdorffOptions,
  defaultPercentile: number,
): number {
  if (options === null || typeof options !== "object") {
    throw new ArgumentError(op, "options { classIndex } are required");
  }
  const {
    classIndex,
    percentile = defaultPercentile,
    directed = false,
    combine = "max",
    spacing = [1, 1],
  } = options;
  checkClassIndex(op, classIndex);
  if (typeof percentile !== "number" || !(percentile >= 0 && percentile <= 100)) {
    throw new ArgumentError(op, `percentile must be in [0, 100] (got ${percentile})`);
  }
  if (combine !== "max" && combine !== "pooled") {
    throw new ArgumentError(op, `combine must be "max" or "pooled" (got ${JSON.stringify(combine)})`);
  }
  checkSpacing(op, spacing);
  const p = planeOf(op, "prediction", prediction, options.shape);
  const t = planeOf(op, "truth", truth, options.shape);
  if (p.h !== t.h || p.w !== t.w) {
    throw new ShapeError(
      op,
      `prediction ${formatShape(p.shape)} and truth ${formatShape(t.shape)} must have the same shape`,
    );
  }
  const { h, w } = p;
  const pd = p.data;
  const td = t.data;

  // Bounding box of the union of both regions: every boundary pixel lies in it, so distances
  // computed inside it are exact.
  let y0 = h;
  let y1 = -1;
  let x0 = w;
  let x1 = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (pd[row + x] === classIndex || td[row + x] === classIndex) {
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
      }
    }
  }
  if (y1 < 0) return NaN;
  const bh = y1 - y0 + 1;
  const bw = x1 - x0 + 1;
  const edgeP = new Uint8Array(bh * bw);
  const edgeT = new Uint8Array(bh * bw);
  const nP = boundaryInto(pd, h, w, classIndex, y0, y1, x0, x1, edgeP);
  const nT = boundaryInto(td, h, w, classIndex, y0, y1, x0, x1, edgeT);
  if (nP === 0 || nT === 0) return Infinity;

  const f = new Float64Array(bh * bw);
  const scratch = new EdtScratch(Math.max(bh, bw));
  const [dy, dx] = spacing;
  // prediction -> truth: distance map of the truth's boundary, read at the prediction's boundary.
  const dPT = directedDistances(edgeT, edgeP, nP, f, bh, bw, dy, dx, scratch);
  if (directed) return percentileOf(dPT, percentile);
  const dTP = directedDistances(edgeP, edgeT, nT, f, bh, bw, dy, dx, scratch);
  if (combine === "pooled") {
    const all = new Float64Array(nP + nT);
    all.set(dPT);
    all.set(dTP, nP);
    return percentileOf(all, percentile);
  }
  return Math.max(percentileOf(dPT, percentile), percentileOf(dTP, percentile));
}

/** Distances from each `from` boundary pixel to the nearest `to` boundary pixel. */
function directedDistances(
  to: Uint8Array,
  from: Uint8Array,
  nFrom: number,
  f: Float64Array,
  h: number,
  w: number,
  dy: number,
  dx: number,
  scratch: EdtScratch,
): Float64Array {
  squaredDistanceToSites(to, h, w, dy, dx, f, scratch);
  const out = new Float64Array(nFrom);
  let j = 0;
  for (let i = 0; i < f.length; i++) if (from[i] !== 0) out[j++] = Math.sqrt(f[i]);
  return out;
}

/**
 * Marks boundary pixels of `data == k` inside the box `[y0..y1] x [x0..x1]` of an `h x w` mask
 * into `out` (box-sized, row-major); returns how many there are.
 */
function boundaryInto(
  data: Int32Array,
  h: number,
  w: number,
  k: number,
  y0: number,
  y1: number,
  x0: number,
  x1: number,
  out: Uint8Array,
): number {
  const bw = x1 - x0 + 1;
  let n = 0;
  for (let y = y0; y <= y1; y++) {
    const row = y * w;
    const o = (y - y0) * bw - x0;
    for (let x = x0; x <= x1; x++) {
      const i = row + x;
      if (data[i] !== k) continue;
      if (
        y === 0 ||
        y === h - 1 ||
        x === 0 ||
        x === w - 1 ||
        data[i - w] !== k ||
        data[i + w] !== k ||
        data[i - 1] !== k ||
        data[i + 1] !== k
      ) {
        out[o + x] = 1;
        n++;
      }
    }
  }
  return n;
}

/**
 * The `p`-th percentile (0..100) of non-empty `values` with numpy's default linear interpolation:
 * position `p/100 * (n - 1)` in sorted order. Sorts `values` in place.
 */
export function percentileOf(values: Float64Array, p: number): number {
  values.sort();
  const n = values.length;
  const pos = (p / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = lo + 1 < n ? lo + 1 : n - 1;
  const a = values[lo];
  const b = values[hi];
  if (a === b) return a;
  const g = pos - lo;
  // numpy's _lerp: exact at both ends.
  return g >= 0.5 ? b - (b - a) * (1 - g) : a + (b - a) * g;
}

function checkClassIndex(op: string, classIndex: unknown): asserts classIndex is number {
  if (typeof classIndex !== "number" || !Number.isInteger(classIndex)) {
    throw new ArgumentError(op, `classIndex must be an integer (got ${String(classIndex)})`);
  }
}

interface Plane {
  data: Int32Array;
  h: number;
  w: number;
  shape: readonly number[];
}

function planeOf(
  op: string,
  what: string,
  mask: MaskInput,
  shape: readonly [number, number] | undefined,
): Plane {
  const m = resolveMask(op, what, mask);
  if (!m.shaped) {
    if (shape === undefined) {
      throw new ArgumentError(op, `${what} is a plain Int32Array; pass options.shape = [height, width]`);
    }
    if (
      !Array.isArray(shape) ||
      shape.length !== 2 ||
      !shape.every((d) => Number.isInteger(d) && d >= 0) ||
      shape[0] * shape[1] !== m.data.length
    ) {
      throw new ShapeError(
        op,
        `options.shape ${Array.isArray(shape) ? formatShape(shape) : String(shape)} does not fit ${what} of ${m.data.length} labels`,
      );
    }
    return { data: m.data, h: shape[0], w: shape[1], shape };
  }
  const s = m.shape;
  if (s.length < 2 || s.slice(0, -2).some((d) => d !== 1)) {
    throw new ShapeError(
      op,
      `${what} must be one 2-D mask [H, W] (or [1, H, W]); got ${formatShape(s)}; score a batch one mask at a time`,
    );
  }
  return { data: m.data, h: s[s.length - 2], w: s[s.length - 1], shape: s };
}
