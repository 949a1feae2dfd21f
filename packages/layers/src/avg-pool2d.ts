import { ArgumentError, ShapeError, Tensor, formatShape, type Shape } from "@unetkit/tensor";
import type { Size2 } from "./conv2d.js";
import { checkGradShape, checkInput } from "./internal.js";
import { Layer } from "./module.js";
import { poolGeometry, poolWindow, type PoolGeometry } from "./pool-geometry.js";

/** Options of {@link AvgPool2D} and {@link avgPool2dForward}. */
export interface AvgPool2DOptions {
  /** Step between windows (default: the kernel size). */
  stride?: Size2 | null;
  /** Implicit zero padding on both sides; at most half the kernel (default 0). */
  padding?: Size2;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
  /** Count padded positions in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window sum by this instead (PyTorch's `divisor_override`). */
  divisorOverride?: number | null;
}

interface AvgWindow {
  geometry: PoolGeometry;
  countIncludePad: boolean;
  divisorOverride: number | null;
}

function resolve(x: Shape, kernelSize: Size2, options: AvgPool2DOptions): AvgWindow {
  const op = "AvgPool2D";
  const { countIncludePad, divisorOverride, ...window } = options;
  const w = poolWindow(op, { kernelSize, ...window });
  if (divisorOverride !== undefined && divisorOverride !== null && (!Number.isInteger(divisorOverride) || divisorOverride <= 0)) {
    throw new ArgumentError(op, `divisorOverride must be a positive integer (got ${divisorOverride})`);
  }
  return {
    geometry: poolGeometry(op, x, w),
    countIncludePad: countIncludePad ?? true,
    divisorOverride: divisorOverride ?? null,
  };
}

/** Clipped window bounds along one axis: `lo[o]..hi[o]` inside the input, `span[o]` with padding. */
interface AxisWindows {
  lo: Int32Array;
  hi: Int32Array;
  span: Int32Array;
}

/** PyTorch's `avg_pool2d` window arithmetic along one axis (end clipped to `size + pad` first). */
function axisWindows(out: number, size: number, kernel: number, stride: number, pad: number): AxisWindows {
  const lo = new Int32Array(out);
  const hi = new Int32Array(out);
  const span = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    const start = o * stride - pad;
    const end = Math.min(start + kernel, size + pad);
    span[o] = end - start;
    lo[o] = Math.max(start, 0);
    hi[o] = Math.min(end, size);
  }
  return { lo, hi, span };
}

/**
 * The divisor of each output position (`outH * outW`): the padded window size when
 * `countIncludePad`, else the number of input positions, or the override; 0 marks a window that
 * holds no input position (its output is 0).
 */
function divisors(w: AvgWindow, rows: AxisWindows, cols: AxisWindows): Float64Array {
  const g = w.geometry;
  const d = new Float64Array(g.outH * g.outW);
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      const inside = Math.max(0, rows.hi[oy] - rows.lo[oy]) * Math.max(0, cols.hi[ox] - cols.lo[ox]);
      d[oy * g.outW + ox] =
        inside === 0 ? 0 : w.divisorOverride ?? (w.countIncludePad ? rows.span[oy] * cols.span[ox] : inside);
    }
  }
  return d;
}

function windowsOf(w: AvgWindow): { rows: AxisWindows; cols: AxisWindows; div: Float64Array } {
  const g = w.geometry;
  const rows = axisWindows(g.outH, g.height, g.kernelH, g.strideH, g.padH);
  const cols = axisWindows(g.outW, g.width, g.kernelW, g.strideW, g.padW);
  return { rows, cols, div: divisors(w, rows, cols) };
}

/**
 * 2-D average pooling, as `torch.nn.functional.avg_pool2d(x, kernel, stride, padding, ceil_mode,
 * count_include_pad, divisor_override)`.
 *
 * Shapes: `x` `[N, C, H, W]` -> `[N, C, outH, outW]`,
 * `outH = floor((H + 2*padding - kernel) / stride) + 1`.
 *
 * @example
 * ```ts
 * avgPool2dForward(x, 2).shape;                                          // [N, C, H/2, W/2]
 * avgPool2dForward(x, 3, { stride: 1, padding: 1, countIncludePad: false });
 * ```
 */
export function avgPool2dForward(x: Tensor, kernelSize: Size2, options: AvgPool2DOptions = {}): Tensor {
  checkInput("AvgPool2D", x, undefined, 4);
  return avgForward(x, resolve(x.shape, kernelSize, options));
}

function avgForward(x: Tensor, w: AvgWindow): Tensor {
  const g = w.geometry;
  const out = new Tensor(x.dtype, [g.n, g.channels, g.outH, g.outW]);
  const xd = x.data;
  const od = out.data;
  const planeIn = g.height * g.width;
  const planeOut = g.outH * g.outW;
  const { rows, cols, div } = windowsOf(w);
  for (let p = 0; p < g.n * g.channels; p++) {
    const inOff = p * planeIn;
    const outOff = p * planeOut;
    for (let oy = 0; oy < g.outH; oy++) {
      const y0 = rows.lo[oy];
      const y1 = rows.hi[oy];
      for (let ox = 0; ox < g.outW; ox++) {
        const o = oy * g.outW + ox;
        const divisor = div[o];
        if (divisor === 0) {
          od[outOff + o] = 0;
          continue;
        }
        const x0 = cols.lo[ox];
        const x1 = cols.hi[ox];
        let s = 0;
        for (let iy = y0; iy < y1; iy++) {
          const row = inOff + iy * g.width;
          for (let ix = x0; ix < x1; ix++) s += xd[row + ix];
        }
        od[outOff + o] = s / divisor;
      }
    }
  }
  return out;
}

function avgBackward(dy: Tensor, w: AvgWindow): Tensor {
  const g = w.geometry;
  const dx = new Tensor(dy.dtype, [g.n, g.channels, g.height, g.width]);
  const gd = dy.data;
  const dd = dx.data;
  const planeIn = g.height * g.width;
  const planeOut = g.outH * g.outW;
  const { rows, cols, div } = windowsOf(w);
  for (let p = 0; p < g.n * g.channels; p++) {
    const inOff = p * planeIn;
    const outOff = p * planeOut;
    for (let oy = 0; oy < g.outH; oy++) {
      const y0 = rows.lo[oy];
      const y1 = rows.hi[oy];
      for (let ox = 0; ox < g.outW; ox++) {
        const o = oy * g.outW + ox;
        const divisor = div[o];
        if (divisor === 0) continue;
        const x0 = cols.lo[ox];
        const x1 = cols.hi[ox];
        const v = gd[outOff + o] / divisor;
        for (let iy = y0; iy < y1; iy++) {
          const row = inOff + iy * g.width;
          for (let ix = x0; ix < x1; ix++) dd[row + ix] += v;
        }
      }
    }
  }
  return dx;
}

/**
 * The gradient of {@link avgPool2dForward}: each output gradient divided by its window's divisor,
 * added to every input position of the window (accumulating where windows overlap).
 *
 * Shapes: `dy` `[N, C, outH, outW]`, `inputShape` `[N, C, H, W]`; returns `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * const dx = avgPool2dBackward(dy, x.shape, 2);
 * ```
 */
export function avgPool2dBackward(dy: Tensor, inputShape: Shape, kernelSize: Size2, options: AvgPool2DOptions = {}): Tensor {
  checkInput("AvgPool2D.backward", dy, undefined, 4);
  const w = resolve(inputShape, kernelSize, options);
  const g = w.geometry;
  const expected = [g.n, g.channels, g.outH, g.outW];
  if (dy.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(
      "AvgPool2D.backward",
      `gradient has shape ${formatShape(dy.shape)} but input ${formatShape(inputShape)} gives output ${formatShape(expected)}`,
    );
  }
  return avgBackward(dy, w);
}

/**
 * `torch.nn.AvgPool2d(kernel_size, stride=kernel_size, padding=0, ceil_mode=False,
 * count_include_pad=True, divisor_override=None)`. Input `[N, C, H, W]`, output
 * `[N, C, outH, outW]`. Keeps only the input shape for backward.
 *
 * @example
 * ```ts
 * const pool = new AvgPool2D(2);
 * const y = pool.forward(x);   // [N, C, H/2, W/2]
 * const dx = pool.backward(dy);
 * ```
 */
export class AvgPool2D extends Layer {
  private readonly kernel: Size2;
  private readonly options: AvgPool2DOptions;

  constructor(kernelSize: Size2, options: AvgPool2DOptions = {}) {
    super();
    // Validate now (shape-independent checks), so a bad layer fails at construction.
    const { countIncludePad: _c, divisorOverride, ...window } = options;
    poolWindow("AvgPool2D", { kernelSize, ...window });
    if (divisorOverride !== undefined && divisorOverride !== null && (!Number.isInteger(divisorOverride) || divisorOverride <= 0)) {
      throw new ArgumentError("AvgPool2D", `divisorOverride must be a positive integer (got ${divisorOverride})`);
    }
    this.kernel = typeof kernelSize === "number" ? kernelSize : [kernelSize[0], kernelSize[1]];
    this.options = { ...options };
  }

  forward(x: Tensor): Tensor {
    checkInput("AvgPool2D", x, undefined, 4);
    const w = resolve(x.shape, this.kernel, this.options);
    this.saveForBackward({ w, dtype: x.dtype });
    return avgForward(x, w);
  }

  backward(dy: Tensor): Tensor {
    const { w, dtype } = this.takeSaved<{ w: AvgWindow; dtype: Tensor["dtype"] }>();
    const g = w.geometry;
    checkGradShape("AvgPool2D.backward", dy, [g.n, g.channels, g.outH, g.outW], dtype);
    return avgBackward(dy, w);
  }
}
