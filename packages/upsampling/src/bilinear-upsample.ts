import { ArgumentError, Tensor, backendFor, empty, formatShape, type DType, type Shape } from "@unetkit/tensor";
import {
  normalizeSizeOptions,
  resolveGeometry,
  type InterpolateGeometry,
  type InterpolateSizeOptions,
  type NormalizedSizeOptions,
} from "./interpolate-size.js";
import { channelPlanes, checkChannelSlice, checkGrad, checkImage, checkKeys, ownPlanes, planeStart, type PlaneTarget } from "./internal.js";
import { PlaneUpsample } from "./plane-upsample.js";

/**
 * Linear-interpolation table along one axis: output position `o` reads input positions `i0[o]` and
 * `i1[o]` with weights `w0[o]` and `w1[o]` (`w0 + w1 = 1`).
 *
 * @example
 * ```ts
 * const { i0, i1, w0, w1 } = linearTable(3, 5, true); // i0 [0,0,1,1,2], w1 [0,0.5,0,0.5,0]
 * ```
 */
export interface LinearTable {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float64Array;
  w1: Float64Array;
}

const identity = (v: number): number => v;

/**
 * The linear-interpolation table of one axis, exactly as PyTorch's CPU `upsample_bilinear2d`
 * (`area_pixel_compute_scale`, `area_pixel_compute_source_index`,
 * `compute_source_index_and_lambda`):
 *
 * - equal sizes: the identity (`i0 = i1 = o`, weights 1 and 0);
 * - `alignCorners`: `src = o * (in - 1) / (out - 1)` (0 when `out` is 1);
 * - otherwise half-pixel centres: `src = max(scale * (o + 0.5) - 0.5, 0)` with
 *   `scale = 1 / scaleFactor` when a scale factor was given, else `in / out`;
 * - `i0 = floor(src)`, `i1 = i0 + 1` unless `i0` is the last index, `w1 = src - i0`, `w0 = 1 - w1`.
 *
 * With `float32` true the scale and source coordinate are rounded to float32 where PyTorch's float
 * kernel rounds them, so the chosen indices and weights are PyTorch's for float32 tensors.
 *
 * @example
 * ```ts
 * const t = linearTable(2, 4, false);
 * Array.from(t.i0); // [0, 0, 0, 1]
 * Array.from(t.w1); // [0, 0.25, 0.75, 0.25] (i1 = i0 = 1 at the border)
 * ```
 */
export function linearTable(
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  scaleFactor?: number,
  float32 = false,
): LinearTable {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w0 = new Float64Array(outSize);
  const w1 = new Float64Array(outSize);
  if (outSize === inSize) {
    for (let o = 0; o < outSize; o++) {
      i0[o] = o;
      i1[o] = o;
      w0[o] = 1;
    }
    return { i0, i1, w0, w1 };
  }
  const f = float32 ? Math.fround : identity;
  let scale: number;
  if (alignCorners) scale = outSize > 1 ? f((inSize - 1) / (outSize - 1)) : 0;
  else scale = scaleFactor !== undefined && scaleFactor > 0 ? f(1 / scaleFactor) : f(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    let src: number;
    if (alignCorners) src = f(scale * o);
    else {
      src = f(scale * (o + 0.5) - 0.5);
      if (src < 0) src = 0;
    }
    let lo = Math.floor(src);
    if (lo > inSize - 1) lo = inSize - 1;
    const lambda = Math.min(Math.max(f(src - lo), 0), 1);
    i0[o] = lo;
    i1[o] = lo < inSize - 1 ? lo + 1 : lo;
    w1[o] = lambda;
    w0[o] = f(1 - lambda);
  }
  return { i0, i1, w0, w1 };
}

/**
 * Options of {@link BilinearUpsample} and the bilinear functions: the size options of
 * {@link InterpolateSizeOptions} plus `alignCorners` (default false, PyTorch's default).
 *
 * @example
 * ```ts
 * const o: BilinearUpsampleOptions = { scaleFactor: 2, alignCorners: true };
 * ```
 */
export interface BilinearUpsampleOptions extends InterpolateSizeOptions {
  alignCorners?: boolean;
}

/**
 * A resolved bilinear upsampling: geometry and the row and column tables.
 *
 * @example
 * ```ts
 * const plan = bilinearPlan([8, 64, 16, 16], "float32", { scaleFactor: 2 });
 * plan.rows.i0.length; // 32 (one entry per output row)
 * ```
 */
export interface BilinearPlan {
  geometry: InterpolateGeometry;
  alignCorners: boolean;
  rows: LinearTable;
  cols: LinearTable;
}

function checkAlign(op: string, value: unknown): boolean {
  const v = value ?? false;
  if (typeof v !== "boolean") throw new ArgumentError(op, `alignCorners must be a boolean (got ${String(v)})`);
  return v;
}

function planBilinear(
  op: string,
  inputShape: Shape,
  options: NormalizedSizeOptions,
  alignCorners: boolean,
  dtype: DType,
): BilinearPlan {
  const geometry = resolveGeometry(op, inputShape, options);
  const f32 = dtype === "float32";
  return {
    geometry,
    alignCorners,
    rows: linearTable(geometry.inH, geometry.outH, alignCorners, geometry.scaleH, f32),
    cols: linearTable(geometry.inW, geometry.outW, alignCorners, geometry.scaleW, f32),
  };
}

/**
 * Plans a bilinear upsampling for an input shape and dtype: output size and the per-row and
 * per-column index/weight tables (O(outH + outW) work, independent of N and C).
 *
 * @example
 * ```ts
 * const plan = bilinearPlan([8, 64, 16, 16], "float32", { scaleFactor: 2 });
 * plan.geometry.outH; // 32
 * ```
 */
export function bilinearPlan(inputShape: Shape, dtype: DType, options: BilinearUpsampleOptions): BilinearPlan {
  const op = "bilinearPlan";
  if (inputShape.length !== 4) throw new ArgumentError(op, `inputShape must be 4-D NCHW (got ${formatShape(inputShape)})`);
  return planBilinear(op, inputShape, normalizeSizeOptions(op, options), checkAlign(op, options.alignCorners), dtype);
}

/**
 * Forward, separably: per plane, a horizontal pass over every input row into a float64 scratch of
 * `inH x outW`, then a vertical blend of two scratch rows per output row. The scratch is allocated
 * once per call.
 */
function forwardWithPlan(x: Tensor, plan: BilinearPlan, out: PlaneTarget): void {
  const [n, c] = x.shape;
  const { inH, inW, outH, outW } = plan.geometry;
  const { i0: r0, i1: r1, w0: a0, w1: a1 } = plan.rows;
  const { i0: c0, i1: c1, w0: b0, w1: b1 } = plan.cols;
  const xd = x.data;
  const yd = out.data;
  const planes = n * c;
  const outPlane = outH * outW;
  const kernels = backendFor(x.dtype);
  if (kernels.bilinearUpsample) {
    // a backend's kernel: the same f64 arithmetic in the same order (the same bits)
    const { runPlanes, runStride } = out;
    kernels.bilinearUpsample({ x: xd, y: yd, planes, inH, inW, outH, outW, rows: plan.rows, cols: plan.cols, runPlanes, runStride });
    return;
  }
  const tmp = new Float64Array(inH * outW);
  const inPlane = inH * inW;
  for (let p = 0; p < planes; p++) {
    const base = p * inPlane;
    for (let iy = 0; iy < inH; iy++) {
      const row = base + iy * inW;
      const t = iy * outW;
      for (let ox = 0; ox < outW; ox++) tmp[t + ox] = b0[ox] * xd[row + c0[ox]] + b1[ox] * xd[row + c1[ox]];
    }
    let o = planeStart(out, p, outPlane);
    for (let oy = 0; oy < outH; oy++) {
      const top = r0[oy] * outW;
      const bottom = r1[oy] * outW;
      const wt = a0[oy];
      const wb = a1[oy];
      for (let ox = 0; ox < outW; ox++) yd[o++] = wt * tmp[top + ox] + wb * tmp[bottom + ox];
    }
  }
}

/**
 * Backward, the forward's passes transposed and in reverse order: per plane, scatter each output
 * row's gradient onto its two scratch rows (`inH x outW`, float64), then scatter each scratch row
 * onto its input row through the column table.
 */
function backwardWithPlan(dy: PlaneTarget, dtype: DType, inputShape: Shape, plan: BilinearPlan): Tensor {
  const { inH, inW, outH, outW } = plan.geometry;
  const { i0: r0, i1: r1, w0: a0, w1: a1 } = plan.rows;
  const { i0: c0, i1: c1, w0: b0, w1: b1 } = plan.cols;
  const planes = inputShape[0] * inputShape[1];
  const outPlane = outH * outW;
  const kernels = backendFor(dtype);
  if (kernels.bilinearUpsampleBackward) {
    // a backend's kernel: the same scatter order and roundings (the same bits)
    const out = empty(inputShape, dtype); // overwritten by the kernel
    const { runPlanes, runStride } = dy;
    kernels.bilinearUpsampleBackward({ dy: dy.data, dx: out.data, planes, inH, inW, outH, outW, rows: plan.rows, cols: plan.cols, runPlanes, runStride });
    return out;
  }
  const dx = new Tensor(dtype, inputShape);
  const g = dy.data;
  const d = dx.data;
  const tmp = new Float64Array(inH * outW);
  const inPlane = inH * inW;
  for (let p = 0; p < planes; p++) {
    tmp.fill(0);
    let o = planeStart(dy, p, outPlane);
    for (let oy = 0; oy < outH; oy++) {
      const top = r0[oy] * outW;
      const bottom = r1[oy] * outW;
      const wt = a0[oy];
      const wb = a1[oy];
      for (let ox = 0; ox < outW; ox++) {
        const v = g[o++];
        tmp[top + ox] += wt * v;
        tmp[bottom + ox] += wb * v;
      }
    }
    const base = p * inPlane;
    for (let iy = 0; iy < inH; iy++) {
      const row = base + iy * inW;
      const t = iy * outW;
      for (let ox = 0; ox < outW; ox++) {
        const v = tmp[t + ox];
        d[row + c0[ox]] += b0[ox] * v;
        d[row + c1[ox]] += b1[ox] * v;
      }
    }
  }
  return dx;
}

/**
 * Bilinear upsampling (or resizing) of an NCHW batch, as
 * `F.interpolate(x, mode="bilinear", align_corners=...)`: each output pixel is the bilinear blend of
 * the four input pixels around its source coordinate (see {@link linearTable} for the coordinate
 * rule of each `alignCorners` setting). Any output size, any positive scale factor.
 *
 * Shapes: `[N, C, H, W] -> [N, C, outH, outW]` (see {@link interpolateOutputSize}).
 *
 * @example
 * ```ts
 * const x = fromArray([0, 1, 2, 3], { shape: [1, 1, 2, 2] });
 * bilinearUpsampleForward(x, { scaleFactor: 2, alignCorners: true }).shape; // [1, 1, 4, 4]
 * ```
 */
export function bilinearUpsampleForward(x: Tensor, options: BilinearUpsampleOptions): Tensor {
  const op = "bilinearUpsampleForward";
  checkImage(op, x);
  const plan = planBilinear(op, x.shape, normalizeSizeOptions(op, options), checkAlign(op, options.alignCorners), x.dtype);
  const y = empty([x.shape[0], x.shape[1], plan.geometry.outH, plan.geometry.outW], x.dtype); // every element is written
  forwardWithPlan(x, plan, ownPlanes(y));
  return y;
}

/**
 * {@link bilinearUpsampleForward} written into channels `[channelOffset, channelOffset + C)` of
 * `out` instead of a tensor of its own (the other channels are left as they are): a decoder's part
 * of its concatenation with the skip, without a second copy. The same bits as the forward's.
 *
 * Shapes: `x` `[N, C, H, W]`, `out` `[N, C', outH, outW]` with `channelOffset + C <= C'`.
 *
 * @example
 * ```ts
 * const cat = empty([8, 96, 32, 32]);
 * bilinearUpsampleInto(randn([8, 64, 16, 16]), cat, 0, { scaleFactor: 2 }); // channels 0..64 of cat
 * ```
 */
export function bilinearUpsampleInto(x: Tensor, out: Tensor, channelOffset: number, options: BilinearUpsampleOptions): void {
  const op = "bilinearUpsampleInto";
  checkImage(op, x);
  const plan = planBilinear(op, x.shape, normalizeSizeOptions(op, options), checkAlign(op, options.alignCorners), x.dtype);
  checkChannelSlice(op, "out", out, channelOffset, x.dtype, [x.shape[0], x.shape[1], plan.geometry.outH, plan.geometry.outW]);
  forwardWithPlan(x, plan, channelPlanes(out, channelOffset, x.shape[1]));
}

/**
 * The gradient of {@link bilinearUpsampleForward} with respect to its input: each output gradient
 * is scattered back to its four source pixels with the same weights (the adjoint of the forward
 * map, as PyTorch's `upsample_bilinear2d_backward`).
 *
 * Shapes: `dy` `[N, C, outH, outW]`, `inputShape` `[N, C, H, W]` -> `dx` `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * const dx = bilinearUpsampleBackward(dy, [1, 1, 2, 2], { scaleFactor: 2 }); // [1, 1, 2, 2]
 * ```
 */
export function bilinearUpsampleBackward(dy: Tensor, inputShape: Shape, options: BilinearUpsampleOptions): Tensor {
  const op = "bilinearUpsampleBackward";
  checkImage(op, dy, "gradient");
  if (inputShape.length !== 4) throw new ArgumentError(op, `inputShape must be 4-D NCHW (got ${formatShape(inputShape)})`);
  const plan = planBilinear(op, inputShape, normalizeSizeOptions(op, options), checkAlign(op, options.alignCorners), dy.dtype);
  checkGrad(op, dy, [inputShape[0], inputShape[1], plan.geometry.outH, plan.geometry.outW], dy.dtype);
  return backwardWithPlan(ownPlanes(dy), dy.dtype, inputShape, plan);
}

/**
 * {@link bilinearUpsampleBackward} with the upstream gradient read from channels
 * `[channelOffset, channelOffset + C)` of `dOut`: the gradient of {@link bilinearUpsampleInto}.
 * The same bits as the backward on a copy of those channels.
 *
 * Shapes: `dOut` `[N, C', outH, outW]`, `inputShape` `[N, C, H, W]` with `channelOffset + C <= C'`
 * -> `dx` `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * const dx = bilinearUpsampleBackwardFrom(dcat, 0, [8, 64, 16, 16], { scaleFactor: 2 }); // [8, 64, 16, 16]
 * ```
 */
export function bilinearUpsampleBackwardFrom(dOut: Tensor, channelOffset: number, inputShape: Shape, options: BilinearUpsampleOptions): Tensor {
  const op = "bilinearUpsampleBackwardFrom";
  if (inputShape.length !== 4) throw new ArgumentError(op, `inputShape must be 4-D NCHW (got ${formatShape(inputShape)})`);
  if (!(dOut instanceof Tensor)) throw new ArgumentError(op, "gradient must be a Tensor");
  const plan = planBilinear(op, inputShape, normalizeSizeOptions(op, options), checkAlign(op, options.alignCorners), dOut.dtype);
  checkChannelSlice(op, "gradient", dOut, channelOffset, dOut.dtype, [inputShape[0], inputShape[1], plan.geometry.outH, plan.geometry.outW]);
  return backwardWithPlan(channelPlanes(dOut, channelOffset, inputShape[1]), dOut.dtype, inputShape, plan);
}

/**
 * Bilinear upsampling layer, `torch.nn.Upsample(mode="bilinear", align_corners=...)` /
 * `nn.UpsamplingBilinear2d` (which is `alignCorners: true`). Takes `scaleFactor` (any positive
 * number, per axis if a pair) or `size`; the index/weight tables are computed once per input size
 * and dtype and reused. Forward and backward loop over the N*C planes with those tables, separably (a
 * horizontal pass, then a vertical one). No parameters.
 *
 * Shapes: `[N, C, H, W] -> [N, C, floor(H*sH), floor(W*sW)]` (or `size`).
 *
 * @example
 * ```ts
 * const up = new BilinearUpsample({ scaleFactor: 2 });          // alignCorners false
 * const y = up.forward(randn([8, 32, 32, 32]));                  // [8, 32, 64, 64]
 * const dx = up.backward(dy);                                    // [8, 32, 32, 32]
 * new BilinearUpsample({ size: [7, 5], alignCorners: true });
 * ```
 */
export class BilinearUpsample extends PlaneUpsample<BilinearPlan> {
  /** The validated size options. */
  readonly options: NormalizedSizeOptions;
  /** Whether corner pixels are aligned (`align_corners`). */
  readonly alignCorners: boolean;
  protected readonly op = "BilinearUpsample";
  private cache: { key: string; plan: BilinearPlan } | undefined;

  constructor(options: BilinearUpsampleOptions) {
    super();
    const op = "BilinearUpsample";
    checkKeys(op, options ?? {}, ["size", "scaleFactor", "recomputeScaleFactor", "alignCorners"]);
    this.options = normalizeSizeOptions(op, options);
    this.alignCorners = checkAlign(op, options.alignCorners);
  }

  protected plan(shape: Shape, dtype: DType): BilinearPlan {
    const key = `${shape[2]}x${shape[3]}:${dtype}`;
    if (this.cache?.key !== key) {
      this.cache = { key, plan: planBilinear("BilinearUpsample", shape, this.options, this.alignCorners, dtype) };
    }
    return this.cache.plan;
  }

  protected run(x: Tensor, plan: BilinearPlan, out: PlaneTarget): void {
    forwardWithPlan(x, plan, out);
  }

  protected runBackward(dy: PlaneTarget, dtype: DType, shape: Shape, plan: BilinearPlan): Tensor {
    return backwardWithPlan(dy, dtype, shape, plan);
  }
}
