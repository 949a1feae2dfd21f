import { empty, ShapeError, Tensor, backendFor, formatShape, type Shape, type TypedArray } from "@unetkit/tensor";
import type { Size2 } from "./conv2d.js";
import { checkGradShape, checkInput } from "./internal.js";
import { Layer } from "./module.js";
import { poolGeometry, poolWindow, type PoolGeometry } from "./pool-geometry.js";

/** Window options of {@link MaxPool2D} and {@link maxPool2dForward}. */
export interface MaxPool2DOptions {
  /** Step between windows (default: the kernel size). */
  stride?: Size2 | null;
  /** Implicit `-Infinity` padding on both sides; at most half the kernel (default 0). */
  padding?: Size2;
  /** Spacing between window taps (default 1). */
  dilation?: Size2;
  /** Round the output size up instead of down, as PyTorch's `ceil_mode` (default false). */
  ceilMode?: boolean;
}

/** The result of {@link maxPool2dForward}: the output and where each maximum came from. */
export interface MaxPool2DResult {
  /** `[N, C, outH, outW]`. */
  output: Tensor;
  /**
   * For each output element, the flat index `iy * W + ix` of its maximum inside its own `H x W`
   * input plane (PyTorch's `return_indices` layout); -1 when a window holds no input position (a
   * dilated window made only of padding: its output is -Infinity and it gets no gradient).
   */
  indices: Int32Array;
}

/**
 * 2-D max pooling, as `torch.nn.functional.max_pool2d(x, kernel, stride, padding, dilation,
 * ceil_mode, return_indices=True)`: every kernel/stride combination, overlapping windows included;
 * padding acts as `-Infinity`; the first maximum in scan order wins ties; NaN propagates (the last NaN wins, as PyTorch's CPU kernel).
 *
 * Shapes: `x` `[N, C, H, W]` -> `output` `[N, C, outH, outW]` and `indices` (one per output).
 *
 * @example
 * ```ts
 * const { output, indices } = maxPool2dForward(x, 3, { stride: 2, padding: 1 });
 * ```
 */
export function maxPool2dForward(x: Tensor, kernelSize: Size2, options: MaxPool2DOptions = {}): MaxPool2DResult {
  const op = "MaxPool2D";
  checkInput(op, x, undefined, 4);
  const g = poolGeometry(op, x.shape, poolWindow(op, { kernelSize, ...options }));
  return maxPoolWithGeometry(x, g);
}

function maxPoolWithGeometry(x: Tensor, g: PoolGeometry): MaxPool2DResult {
  const { n, channels, height: H, width: W, outH, outW } = g;
  const output = empty([n, channels, outH, outW], x.dtype); // every window writes its maximum
  const indices = new Int32Array(n * channels * outH * outW);
  const xd = x.data;
  const od = output.data;
  const planeIn = H * W;
  const planeOut = outH * outW;
  if (
    g.kernelH === 2 && g.kernelW === 2 && g.strideH === 2 && g.strideW === 2 && g.padH === 0 && g.padW === 0 &&
    g.dilationH === 1 && g.dilationW === 1 && 2 * outH <= H && 2 * outW <= W
  ) {
    const kernels = backendFor(x.dtype);
    // A backend's kernel: the same rule, the same outputs and indices.
    if (kernels.maxPool2x2) kernels.maxPool2x2({ x: xd, y: od, indices, planes: n * channels, height: H, width: W, outH, outW });
    else maxPool2x2(xd, od, indices, n * channels, H, W, outH, outW);
    return { output, indices };
  }
  for (let p = 0; p < n * channels; p++) {
    const inOff = p * planeIn;
    const outOff = p * planeOut;
    for (let oy = 0; oy < outH; oy++) {
      let y0 = oy * g.strideH - g.padH;
      const y1 = Math.min(y0 + (g.kernelH - 1) * g.dilationH + 1, H);
      while (y0 < 0) y0 += g.dilationH;
      for (let ox = 0; ox < outW; ox++) {
        let x0 = ox * g.strideW - g.padW;
        const x1 = Math.min(x0 + (g.kernelW - 1) * g.dilationW + 1, W);
        while (x0 < 0) x0 += g.dilationW;
        let best = -Infinity;
        let bestIndex = y0 < y1 && x0 < x1 ? y0 * W + x0 : -1;
        for (let iy = y0; iy < y1; iy += g.dilationH) {
          const row = iy * W;
          for (let ix = x0; ix < x1; ix += g.dilationW) {
            const v = xd[inOff + row + ix];
            if (v > best || Number.isNaN(v)) {
              best = v;
              bestIndex = row + ix;
            }
          }
        }
        od[outOff + oy * outW + ox] = best;
        indices[outOff + oy * outW + ox] = bestIndex;
      }
    }
  }
  return { output, indices };
}

/**
 * The common 2x2 stride-2 window with no padding (every window inside the input), with the general
 * loop's rule: scan order top-left, top-right, bottom-left, bottom-right; a strictly greater value
 * or a NaN replaces the best (so the first maximum wins ties and the last NaN wins).
 */
function maxPool2x2(
  xd: TypedArray,
  od: TypedArray,
  indices: Int32Array,
  planes: number,
  H: number,
  W: number,
  outH: number,
  outW: number,
): void {
  for (let p = 0; p < planes; p++) {
    const inOff = p * H * W;
    for (let oy = 0; oy < outH; oy++) {
      const row0 = 2 * oy * W;
      const row1 = row0 + W;
      const o = (p * outH + oy) * outW;
      for (let ox = 0; ox < outW; ox++) {
        const k0 = row0 + 2 * ox;
        const k2 = row1 + 2 * ox;
        let best = xd[inOff + k0];
        let bestIndex = k0;
        const v1 = xd[inOff + k0 + 1];
        if (v1 > best || v1 !== v1) {
          best = v1;
          bestIndex = k0 + 1;
        }
        const v2 = xd[inOff + k2];
        if (v2 > best || v2 !== v2) {
          best = v2;
          bestIndex = k2;
        }
        const v3 = xd[inOff + k2 + 1];
        if (v3 > best || v3 !== v3) {
          best = v3;
          bestIndex = k2 + 1;
        }
        od[o + ox] = best;
        indices[o + ox] = bestIndex;
      }
    }
  }
}

/**
 * The gradient of max pooling: routes each output gradient to the input position its maximum came
 * from, adding when overlapping windows share a maximum.
 *
 * Shapes: `dy` `[N, C, outH, outW]`, `indices` from {@link maxPool2dForward}, `inputShape`
 * `[N, C, H, W]`; returns `dx` `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * const { output, indices } = maxPool2dForward(x, 2);
 * const dx = maxPool2dBackward(dy, indices, x.shape);
 * ```
 */
export function maxPool2dBackward(dy: Tensor, indices: Int32Array, inputShape: Shape): Tensor {
  const op = "MaxPool2D.backward";
  checkInput(op, dy, undefined, 4);
  const [n, c, H, W] = inputShape;
  if (inputShape.length !== 4 || dy.shape[0] !== n || dy.shape[1] !== c || indices.length !== dy.size) {
    throw new ShapeError(
      op,
      `gradient ${formatShape(dy.shape)} with ${indices.length} indices does not match input ${formatShape(inputShape)}`,
    );
  }
  const kernels = backendFor(dy.dtype);
  // a backend's kernel overwrites dx (zeros first); the loop below adds into zeros
  const dx = kernels.maxPoolBackward ? empty(inputShape, dy.dtype) : new Tensor(dy.dtype, inputShape);
  const gd = dy.data;
  const dd = dx.data;
  const planeIn = H * W;
  const planeOut = dy.shape[2] * dy.shape[3];
  if (kernels.maxPoolBackward) {
    // A backend's kernel: the same float adds in the same order.
    kernels.maxPoolBackward({ dy: gd, indices, dx: dd, planes: n * c, inPlane: planeIn, outPlane: planeOut });
    return dx;
  }
  for (let p = 0; p < n * c; p++) {
    const inOff = p * planeIn;
    const outOff = p * planeOut;
    for (let i = 0; i < planeOut; i++) {
      const k = indices[outOff + i];
      if (k >= 0) dd[inOff + k] += gd[outOff + i];
    }
  }
  return dx;
}

/**
 * `torch.nn.MaxPool2d(kernel_size, stride=kernel_size, padding=0, dilation=1, ceil_mode=False)`.
 * Input `[N, C, H, W]`, output `[N, C, outH, outW]` with
 * `outH = floor((H + 2*padding - dilation*(kernel-1) - 1) / stride) + 1`. Keeps the arg-max indices
 * (an `Int32Array`) for backward, which routes each gradient to its maximum and accumulates where
 * windows overlap.
 *
 * @example
 * ```ts
 * const pool = new MaxPool2D(2);                       // halves H and W
 * const overlapping = new MaxPool2D(3, { stride: 2, padding: 1 });
 * const y = pool.forward(x);
 * const dx = pool.backward(dy);
 * ```
 */
export class MaxPool2D extends Layer {
  private readonly window: ReturnType<typeof poolWindow>;

  constructor(kernelSize: Size2, options: MaxPool2DOptions = {}) {
    super();
    this.window = poolWindow("MaxPool2D", { kernelSize, ...options });
  }

  /** Kernel `[kh, kw]`. */
  get kernelSize(): [number, number] {
    return [...this.window.kernel];
  }
  /** Stride `[sh, sw]`. */
  get stride(): [number, number] {
    return [...this.window.stride];
  }
  /** Padding `[ph, pw]`. */
  get padding(): [number, number] {
    return [...this.window.padding];
  }

  forward(x: Tensor): Tensor {
    checkInput("MaxPool2D", x, undefined, 4);
    const g = poolGeometry("MaxPool2D", x.shape, this.window);
    const { output, indices } = maxPoolWithGeometry(x, g);
    this.saveForBackward({ indices, inputShape: x.shape, outputShape: output.shape, dtype: x.dtype });
    return output;
  }

  backward(dy: Tensor): Tensor {
    const s = this.takeSaved<{ indices: Int32Array; inputShape: Shape; outputShape: Shape; dtype: Tensor["dtype"] }>();
    checkGradShape("MaxPool2D.backward", dy, s.outputShape, s.dtype);
    return maxPool2dBackward(dy, s.indices, s.inputShape);
  }
}
