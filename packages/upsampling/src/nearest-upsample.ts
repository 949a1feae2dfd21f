import { empty, ArgumentError, Tensor, backendFor, formatShape, type DType, type Shape, type TypedArray } from "@unetkit/tensor";
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
 * The source index of every output position along one axis for nearest-neighbour upsampling,
 * exactly as PyTorch's CPU kernel (`nearest_idx`): the identity when sizes are equal, `dst >> 1`
 * when the output is twice the input, otherwise `min(floor(dst * scale), in - 1)` in float32
 * arithmetic with `scale = 1 / scaleFactor` when a scale factor was given, else `in / out`.
 *
 * @example
 * ```ts
 * Array.from(nearestIndexTable(2, 6, 3)); // [0, 0, 0, 1, 1, 1]
 * Array.from(nearestIndexTable(4, 3));    // [0, 1, 2]  (size given: floor(dst * 4/3))
 * ```
 */
export function nearestIndexTable(inSize: number, outSize: number, scaleFactor?: number): Int32Array {
  const table = new Int32Array(outSize);
  if (outSize === inSize) {
    for (let i = 0; i < outSize; i++) table[i] = i;
  } else if (outSize === 2 * inSize) {
    for (let i = 0; i < outSize; i++) table[i] = i >> 1;
  } else {
    const scale =
      scaleFactor !== undefined && scaleFactor > 0 ? Math.fround(1 / scaleFactor) : Math.fround(inSize / outSize);
    for (let i = 0; i < outSize; i++) {
      // The product of two float32 values is exact in float64; fround rounds it as float32 would.
      table[i] = Math.min(Math.floor(Math.fround(i * scale)), inSize - 1);
    }
  }
  return table;
}

/** Options of {@link NearestUpsample} and the nearest functions: see {@link InterpolateSizeOptions}. */
export type NearestUpsampleOptions = InterpolateSizeOptions;

interface NearestPlan {
  geometry: InterpolateGeometry;
  rows: Int32Array;
  cols: Int32Array;
}

function planNearest(inputShape: Shape, options: NormalizedSizeOptions, op: string): NearestPlan {
  const geometry = resolveGeometry(op, inputShape, options);
  return {
    geometry,
    rows: nearestIndexTable(geometry.inH, geometry.outH, geometry.scaleH),
    cols: nearestIndexTable(geometry.inW, geometry.outW, geometry.scaleW),
  };
}

/** Writes the upsampling of `x` into the planes of `out` (each element once). */
function forwardWithPlan(x: Tensor, plan: NearestPlan, out: PlaneTarget): void {
  const [n, c] = x.shape;
  const { inH, inW, outH, outW } = plan.geometry;
  const { rows, cols } = plan;
  const xd = x.data;
  const yd = out.data;
  const planes = n * c;
  const inPlane = inH * inW;
  const outPlane = outH * outW;
  const { runPlanes, runStride } = out;
  const yBase = (p: number) => planeStart(out, p, outPlane);
  if (outH === 2 * inH && outW === 2 * inW) {
    const kernels = backendFor(x.dtype);
    if (runStride === runPlanes * outPlane && kernels.upsampleNearest2x) {
      kernels.upsampleNearest2x({ x: xd, y: yd, planes, height: inH, width: inW });
      return;
    }
    if (kernels.upsampleNearest2xInto) {
      kernels.upsampleNearest2xInto({ x: xd, y: yd, planes, height: inH, width: inW, runPlanes, runStride });
      return;
    }
    // Scale 2 (rows[oy] = oy >> 1, cols[ox] = ox >> 1): each input row fills two output rows.
    for (let p = 0; p < planes; p++) {
      const base = yBase(p);
      for (let iy = 0; iy < inH; iy++) {
        const xRow = p * inPlane + iy * inW;
        const yRow = base + 2 * iy * outW;
        for (let ix = 0; ix < inW; ix++) {
          const v = xd[xRow + ix];
          yd[yRow + 2 * ix] = v;
          yd[yRow + 2 * ix + 1] = v;
        }
        yd.copyWithin(yRow + outW, yRow, yRow + outW);
      }
    }
    return;
  }
  for (let p = 0; p < planes; p++) {
    const xBase = p * inPlane;
    const base = yBase(p);
    for (let oy = 0; oy < outH; oy++) {
      const yRow = base + oy * outW;
      if (oy > 0 && rows[oy] === rows[oy - 1]) {
        // Same source row as the previous output row: copy it.
        yd.copyWithin(yRow, yRow - outW, yRow);
        continue;
      }
      const xRow = xBase + rows[oy] * inW;
      for (let ox = 0; ox < outW; ox++) yd[yRow + ox] = xd[xRow + cols[ox]];
    }
  }
}

/** The gradient with respect to the input (`inputShape`) of the upsampling whose gradient's planes are `dy`. */
function backwardWithPlan(dy: PlaneTarget, dtype: DType, inputShape: Shape, plan: NearestPlan): Tensor {
  const { inH, inW, outH, outW } = plan.geometry;
  const { rows, cols } = plan;
  // scale 2 writes each element once (the sum of its 4 sources); other scales add into zeros
  const dx = outH === 2 * inH && outW === 2 * inW ? empty(inputShape, dtype) : new Tensor(dtype, inputShape);
  const g = dy.data;
  const d = dx.data;
  const planes = inputShape[0] * inputShape[1];
  const inPlane = inH * inW;
  const outPlane = outH * outW;
  const { runPlanes, runStride } = dy;
  const yBase = (p: number) => planeStart(dy, p, outPlane);
  if (outH === 2 * inH && outW === 2 * inW) {
    const kernels = backendFor(dtype);
    // A backend's kernel: the same adds in the same order and precision.
    if (runStride === runPlanes * outPlane && kernels.upsampleNearest2xBackward) {
      kernels.upsampleNearest2xBackward({ dy: g, dx: d, planes, height: inH, width: inW });
    } else if (kernels.upsampleNearest2xBackwardFrom) {
      kernels.upsampleNearest2xBackwardFrom({ dy: g, dx: d, planes, height: inH, width: inW, runPlanes, runStride });
    } else if (d instanceof Float32Array) {
      backwardScale2Float32(g as Float32Array, d, planes, inH, inW, yBase);
    } else {
      backwardScale2Float64(g, d, planes, inH, inW, yBase);
    }
    return dx;
  }
  for (let p = 0; p < planes; p++) {
    const xBase = p * inPlane;
    const base = yBase(p);
    for (let oy = 0; oy < outH; oy++) {
      const xRow = xBase + rows[oy] * inW;
      const yRow = base + oy * outW;
      for (let ox = 0; ox < outW; ox++) d[xRow + cols[ox]] += g[yRow + ox];
    }
  }
  return dx;
}

/**
 * The scale-2 nearest backward: each input pixel sums its 2x2 output block in the general loop's
 * order (top-left, top-right, bottom-left, bottom-right, starting from +0), rounding to float32 after
 * every addition as the general loop's `+=` into a Float32Array does, so results are bit-identical.
 * Plane `p` of the gradient starts at element `yBase(p)` of `g`.
 */
function backwardScale2Float32(g: Float32Array, d: Float32Array, planes: number, inH: number, inW: number, yBase: (p: number) => number): void {
  const outW = 2 * inW;
  for (let p = 0; p < planes; p++) {
    const base = yBase(p);
    for (let iy = 0; iy < inH; iy++) {
      const dRow = (p * inH + iy) * inW;
      const top = base + 2 * iy * outW;
      const bottom = top + outW;
      for (let ix = 0; ix < inW; ix++) {
        const o = 2 * ix;
        let s = Math.fround(0 + g[top + o]);
        s = Math.fround(s + g[top + o + 1]);
        s = Math.fround(s + g[bottom + o]);
        d[dRow + ix] = s + g[bottom + o + 1];
      }
    }
  }
}

/** {@link backwardScale2Float32} for float64 (no intermediate rounding). */
function backwardScale2Float64(g: TypedArray, d: TypedArray, planes: number, inH: number, inW: number, yBase: (p: number) => number): void {
  const outW = 2 * inW;
  for (let p = 0; p < planes; p++) {
    const base = yBase(p);
    for (let iy = 0; iy < inH; iy++) {
      const dRow = (p * inH + iy) * inW;
      const top = base + 2 * iy * outW;
      const bottom = top + outW;
      for (let ix = 0; ix < inW; ix++) {
        const o = 2 * ix;
        d[dRow + ix] = 0 + g[top + o] + g[top + o + 1] + g[bottom + o] + g[bottom + o + 1];
      }
    }
  }
}

/**
 * Nearest-neighbour upsampling of an NCHW batch, as `F.interpolate(x, mode="nearest")` /
 * `nn.Upsample(mode="nearest")`: output pixel `(oy, ox)` copies input pixel
 * `(rows[oy], cols[ox])` with the index rule of {@link nearestIndexTable}. With an integer
 * `scaleFactor` each input pixel becomes an `sH x sW` block.
 *
 * Shapes: `[N, C, H, W] -> [N, C, outH, outW]` (see {@link interpolateOutputSize}).
 *
 * @example
 * ```ts
 * const x = fromArray([1, 2, 3, 4], { shape: [1, 1, 2, 2] });
 * nearestUpsampleForward(x, { scaleFactor: 2 }).shape; // [1, 1, 4, 4]
 * ```
 */
export function nearestUpsampleForward(x: Tensor, options: NearestUpsampleOptions): Tensor {
  const op = "nearestUpsampleForward";
  checkImage(op, x);
  const plan = planNearest(x.shape, normalizeSizeOptions(op, options), op);
  const y = empty([x.shape[0], x.shape[1], plan.geometry.outH, plan.geometry.outW], x.dtype); // every element is copied from an input one
  forwardWithPlan(x, plan, ownPlanes(y));
  return y;
}

/**
 * {@link nearestUpsampleForward} written into channels `[channelOffset, channelOffset + C)` of
 * `out` instead of a tensor of its own; the other channels of `out` are left as they are. A U-Net
 * decoder upsamples into its part of the channel concatenation with the skip this way, without
 * copying the upsampled map again. The values are the same bits as the forward's.
 *
 * Shapes: `x` `[N, C, H, W]`, `out` `[N, C', outH, outW]` with `channelOffset + C <= C'`.
 *
 * @example
 * ```ts
 * const cat = empty([8, 96, 32, 32]);
 * nearestUpsampleInto(randn([8, 64, 16, 16]), cat, 0, { scaleFactor: 2 }); // channels 0..64 of cat
 * ```
 */
export function nearestUpsampleInto(x: Tensor, out: Tensor, channelOffset: number, options: NearestUpsampleOptions): void {
  const op = "nearestUpsampleInto";
  checkImage(op, x);
  const plan = planNearest(x.shape, normalizeSizeOptions(op, options), op);
  checkChannelSlice(op, "out", out, channelOffset, x.dtype, [x.shape[0], x.shape[1], plan.geometry.outH, plan.geometry.outW]);
  forwardWithPlan(x, plan, channelPlanes(out, channelOffset, x.shape[1]));
}

/**
 * The gradient of {@link nearestUpsampleForward} with respect to its input: each input pixel
 * receives the sum of the upstream gradient over the output pixels that copied it (with an integer
 * scale factor, the sum over its block). This is the adjoint of the forward map.
 *
 * Shapes: `dy` `[N, C, outH, outW]`, `inputShape` `[N, C, H, W]` -> `dx` `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * const dx = nearestUpsampleBackward(ones([1, 1, 4, 4]), [1, 1, 2, 2], { scaleFactor: 2 });
 * dx.toArray(); // [4, 4, 4, 4]
 * ```
 */
export function nearestUpsampleBackward(dy: Tensor, inputShape: Shape, options: NearestUpsampleOptions): Tensor {
  const op = "nearestUpsampleBackward";
  checkImage(op, dy, "gradient");
  if (inputShape.length !== 4) {
    throw new ArgumentError(op, `inputShape must be 4-D NCHW (got ${formatShape(inputShape)})`);
  }
  const plan = planNearest(inputShape, normalizeSizeOptions(op, options), op);
  const outShape = [inputShape[0], inputShape[1], plan.geometry.outH, plan.geometry.outW];
  checkGrad(op, dy, outShape, dy.dtype);
  return backwardWithPlan(ownPlanes(dy), dy.dtype, inputShape, plan);
}

/**
 * {@link nearestUpsampleBackward} with the upstream gradient read from channels
 * `[channelOffset, channelOffset + C)` of `dOut`: the gradient of {@link nearestUpsampleInto}
 * (a decoder reads its part of the concatenation's gradient in place). Same bits as
 * `nearestUpsampleBackward` on a copy of those channels.
 *
 * Shapes: `dOut` `[N, C', outH, outW]`, `inputShape` `[N, C, H, W]` with `channelOffset + C <= C'`
 * -> `dx` `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * const dx = nearestUpsampleBackwardFrom(dcat, 0, [8, 64, 16, 16], { scaleFactor: 2 }); // [8, 64, 16, 16]
 * ```
 */
export function nearestUpsampleBackwardFrom(dOut: Tensor, channelOffset: number, inputShape: Shape, options: NearestUpsampleOptions): Tensor {
  const op = "nearestUpsampleBackwardFrom";
  if (inputShape.length !== 4) {
    throw new ArgumentError(op, `inputShape must be 4-D NCHW (got ${formatShape(inputShape)})`);
  }
  const plan = planNearest(inputShape, normalizeSizeOptions(op, options), op);
  checkChannelSlice(op, "gradient", dOut, channelOffset, dOut?.dtype, [inputShape[0], inputShape[1], plan.geometry.outH, plan.geometry.outW]);
  return backwardWithPlan(channelPlanes(dOut, channelOffset, inputShape[1]), dOut.dtype, inputShape, plan);
}

/**
 * Nearest-neighbour upsampling layer, `torch.nn.Upsample(scale_factor=..., mode="nearest")` (or
 * `size=...`). Integer or fractional scale factors, different per axis, or an explicit output size;
 * the source index rule is PyTorch's (see {@link nearestIndexTable}). No parameters; the index
 * tables are cached per input size. Backward sums the gradient over each copied block.
 *
 * Shapes: `[N, C, H, W] -> [N, C, floor(H*sH), floor(W*sW)]` (or `size`).
 *
 * @example
 * ```ts
 * const up = new NearestUpsample({ scaleFactor: 2 });
 * const y = up.forward(randn([8, 64, 16, 16]));  // [8, 64, 32, 32]
 * const dx = up.backward(dy);                     // [8, 64, 16, 16]
 * ```
 */
export class NearestUpsample extends PlaneUpsample<NearestPlan> {
  /** The validated size options. */
  readonly options: NormalizedSizeOptions;
  protected readonly op = "NearestUpsample";
  private cache: { key: string; plan: NearestPlan } | undefined;

  constructor(options: NearestUpsampleOptions) {
    super();
    checkKeys("NearestUpsample", options ?? {}, ["size", "scaleFactor", "recomputeScaleFactor"]);
    this.options = normalizeSizeOptions("NearestUpsample", options);
  }

  protected plan(shape: Shape): NearestPlan {
    const key = `${shape[2]}x${shape[3]}`;
    if (this.cache?.key !== key) {
      this.cache = { key, plan: planNearest(shape, this.options, "NearestUpsample") };
    }
    return this.cache.plan;
  }

  protected run(x: Tensor, plan: NearestPlan, out: PlaneTarget): void {
    forwardWithPlan(x, plan, out);
  }

  protected runBackward(dy: PlaneTarget, dtype: DType, shape: Shape, plan: NearestPlan): Tensor {
    return backwardWithPlan(dy, dtype, shape, plan);
  }
}
