import { empty, ArgumentError, Tensor, backendFor, formatShape, type DType, type Shape, type TypedArray } from "@unetkit/tensor";
import { Layer } from "@unetkit/layers";
import {
  normalizeSizeOptions,
  resolveGeometry,
  type InterpolateGeometry,
  type InterpolateSizeOptions,
  type NormalizedSizeOptions,
} from "./interpolate-size.js";
import { checkGrad, checkImage, checkKeys } from "./internal.js";

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

function forwardWithPlan(x: Tensor, plan: NearestPlan): Tensor {
  const [n, c] = x.shape;
  const { inH, inW, outH, outW } = plan.geometry;
  const { rows, cols } = plan;
  const y = empty([n, c, outH, outW], x.dtype); // every element is copied from an input one
  const xd = x.data;
  const yd = y.data;
  const planes = n * c;
  const inPlane = inH * inW;
  const outPlane = outH * outW;
  if (outH === 2 * inH && outW === 2 * inW) {
    const kernels = backendFor(x.dtype);
    if (kernels.upsampleNearest2x) {
      kernels.upsampleNearest2x({ x: xd, y: yd, planes, height: inH, width: inW });
      return y;
    }
    // Scale 2 (rows[oy] = oy >> 1, cols[ox] = ox >> 1): each input row fills two output rows.
    for (let p = 0; p < planes; p++) {
      for (let iy = 0; iy < inH; iy++) {
        const xRow = p * inPlane + iy * inW;
        const yRow = p * outPlane + 2 * iy * outW;
        for (let ix = 0; ix < inW; ix++) {
          const v = xd[xRow + ix];
          yd[yRow + 2 * ix] = v;
          yd[yRow + 2 * ix + 1] = v;
        }
        yd.copyWithin(yRow + outW, yRow, yRow + outW);
      }
    }
    return y;
  }
  for (let p = 0; p < planes; p++) {
    const xBase = p * inPlane;
    const yBase = p * outPlane;
    for (let oy = 0; oy < outH; oy++) {
      const yRow = yBase + oy * outW;
      if (oy > 0 && rows[oy] === rows[oy - 1]) {
        // Same source row as the previous output row: copy it.
        yd.copyWithin(yRow, yRow - outW, yRow);
        continue;
      }
      const xRow = xBase + rows[oy] * inW;
      for (let ox = 0; ox < outW; ox++) yd[yRow + ox] = xd[xRow + cols[ox]];
    }
  }
  return y;
}

function backwardWithPlan(dy: Tensor, inputShape: Shape, plan: NearestPlan): Tensor {
  const { inH, inW, outH, outW } = plan.geometry;
  const { rows, cols } = plan;
  // scale 2 writes each element once (the sum of its 4 sources); other scales add into zeros
  const dx = outH === 2 * inH && outW === 2 * inW ? empty(inputShape, dy.dtype) : new Tensor(dy.dtype, inputShape);
  const g = dy.data;
  const d = dx.data;
  const planes = inputShape[0] * inputShape[1];
  const inPlane = inH * inW;
  const outPlane = outH * outW;
  if (outH === 2 * inH && outW === 2 * inW) {
    const kernels = backendFor(dy.dtype);
    // A backend's kernel: the same adds in the same order and precision.
    if (kernels.upsampleNearest2xBackward) kernels.upsampleNearest2xBackward({ dy: g, dx: d, planes, height: inH, width: inW });
    else if (d instanceof Float32Array) backwardScale2Float32(g as Float32Array, d, planes, inH, inW);
    else backwardScale2Float64(g, d, planes, inH, inW);
    return dx;
  }
  for (let p = 0; p < planes; p++) {
    const xBase = p * inPlane;
    const yBase = p * outPlane;
    for (let oy = 0; oy < outH; oy++) {
      const xRow = xBase + rows[oy] * inW;
      const yRow = yBase + oy * outW;
      for (let ox = 0; ox < outW; ox++) d[xRow + cols[ox]] += g[yRow + ox];
    }
  }
  return dx;
}

/**
 * The scale-2 nearest backward: each input pixel sums its 2x2 output block in the general loop's
 * order (top-left, top-right, bottom-left, bottom-right, starting from +0), rounding to float32 after
 * every addition as the general loop's `+=` into a Float32Array does, so results are bit-identical.
 */
function backwardScale2Float32(g: Float32Array, d: Float32Array, planes: number, inH: number, inW: number): void {
  const outW = 2 * inW;
  for (let p = 0; p < planes; p++) {
    for (let iy = 0; iy < inH; iy++) {
      const dRow = (p * inH + iy) * inW;
      const top = (p * 2 * inH + 2 * iy) * outW;
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
function backwardScale2Float64(g: TypedArray, d: TypedArray, planes: number, inH: number, inW: number): void {
  const outW = 2 * inW;
  for (let p = 0; p < planes; p++) {
    for (let iy = 0; iy < inH; iy++) {
      const dRow = (p * inH + iy) * inW;
      const top = (p * 2 * inH + 2 * iy) * outW;
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
  return forwardWithPlan(x, planNearest(x.shape, normalizeSizeOptions(op, options), op));
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
  return backwardWithPlan(dy, inputShape, plan);
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
export class NearestUpsample extends Layer {
  /** The validated size options. */
  readonly options: NormalizedSizeOptions;
  private cache: { key: string; plan: NearestPlan } | undefined;

  constructor(options: NearestUpsampleOptions) {
    super();
    checkKeys("NearestUpsample", options ?? {}, ["size", "scaleFactor", "recomputeScaleFactor"]);
    this.options = normalizeSizeOptions("NearestUpsample", options);
  }

  private plan(shape: Shape): NearestPlan {
    const key = `${shape[2]}x${shape[3]}`;
    if (this.cache?.key !== key) {
      this.cache = { key, plan: planNearest(shape, this.options, "NearestUpsample") };
    }
    return this.cache.plan;
  }

  forward(x: Tensor): Tensor {
    checkImage("NearestUpsample", x);
    const plan = this.plan(x.shape);
    const y = forwardWithPlan(x, plan);
    this.saveForBackward({ shape: x.shape, outShape: y.shape, dtype: x.dtype, plan });
    return y;
  }

  backward(dy: Tensor): Tensor {
    const { shape, outShape, dtype, plan } = this.takeSaved<{
      shape: Shape;
      outShape: Shape;
      dtype: DType;
      plan: NearestPlan;
    }>();
    checkGrad("NearestUpsample.backward", dy, outShape, dtype);
    return backwardWithPlan(dy, shape, plan);
  }
}
