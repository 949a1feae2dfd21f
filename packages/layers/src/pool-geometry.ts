import { ArgumentError, ShapeError, formatShape, type Shape } from "@unetkit/tensor";
import type { Size2 } from "./conv2d.js";

/** The resolved window of a 2-D pooling over an NCHW input. */
export interface PoolGeometry {
  n: number;
  channels: number;
  height: number;
  width: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  outH: number;
  outW: number;
}

/** Window options of a pooling layer. */
export interface PoolWindow {
  kernelSize: Size2;
  stride?: Size2 | null;
  padding?: Size2;
  dilation?: Size2;
  ceilMode?: boolean;
}

function pairOf(op: string, what: string, v: Size2, min: number): [number, number] {
  const p: [number, number] =
    typeof v === "number" ? [v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : [NaN, NaN];
  for (const d of p) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < min) {
      throw new ArgumentError(
        op,
        `${what} must be ${min > 0 ? "a positive" : "a non-negative"} integer or a [height, width] pair of them (got ${JSON.stringify(v)})`,
      );
    }
  }
  return p;
}

/**
 * Validates pooling window options (kernel, stride defaulting to the kernel, padding, dilation,
 * ceil mode) and PyTorch's rule `padding <= floor(kernel / 2)`; returns them as pairs. Throws
 * `ArgumentError` naming `op`.
 *
 * @example
 * ```ts
 * poolWindow("MaxPool2D", { kernelSize: 3, stride: 2, padding: 1 }).stride; // [2, 2]
 * ```
 */
export function poolWindow(
  op: string,
  w: PoolWindow,
): { kernel: [number, number]; stride: [number, number]; padding: [number, number]; dilation: [number, number]; ceilMode: boolean } {
  const kernel = pairOf(op, "kernelSize", w.kernelSize, 1);
  const stride = w.stride === undefined || w.stride === null ? kernel : pairOf(op, "stride", w.stride, 1);
  const padding = pairOf(op, "padding", w.padding ?? 0, 0);
  const dilation = pairOf(op, "dilation", w.dilation ?? 1, 1);
  for (let a = 0; a < 2; a++) {
    if (padding[a] > Math.floor(kernel[a] / 2)) {
      throw new ArgumentError(
        op,
        `padding should be at most half of the kernel size (kernel ${formatShape(kernel)}, padding ${formatShape(padding)})`,
      );
    }
  }
  return { kernel, stride, padding, dilation, ceilMode: w.ceilMode ?? false };
}

/**
 * PyTorch's pooling output size along one axis:
 * `(size + 2*pad - dilation*(kernel-1) - 1 + (ceil ? stride-1 : 0)) / stride + 1` (integer
 * division), and with ceil mode the last window must start inside the input or the left padding.
 *
 * @example
 * ```ts
 * poolOutputSize(5, 2, 2, 0, 1, false); // 2
 * poolOutputSize(5, 2, 2, 0, 1, true);  // 3
 * ```
 */
export function poolOutputSize(
  size: number,
  kernel: number,
  stride: number,
  pad: number,
  dilation: number,
  ceilMode: boolean,
): number {
  const span = size + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(span / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + pad) out--;
  return out;
}

/**
 * The full geometry of a pooling over an input shape; throws `ShapeError` naming `op` for a
 * non-4-D input or a window larger than the padded input.
 *
 * @example
 * ```ts
 * poolGeometry("MaxPool2D", [1, 3, 8, 8], poolWindow("MaxPool2D", { kernelSize: 2 })).outH; // 4
 * ```
 */
export function poolGeometry(op: string, inputShape: Shape, w: ReturnType<typeof poolWindow>): PoolGeometry {
  if (inputShape.length !== 4) {
    throw new ShapeError(op, `input must be 4-D NCHW (got ${formatShape(inputShape)})`);
  }
  const [n, channels, height, width] = inputShape;
  const outH = poolOutputSize(height, w.kernel[0], w.stride[0], w.padding[0], w.dilation[0], w.ceilMode);
  const outW = poolOutputSize(width, w.kernel[1], w.stride[1], w.padding[1], w.dilation[1], w.ceilMode);
  if (outH < 1 || outW < 1 || height < 1 || width < 1 || channels < 1) {
    throw new ShapeError(
      op,
      `kernel larger than the padded input: input ${formatShape(inputShape)}, kernel ${formatShape(w.kernel)}, padding ${formatShape(w.padding)}, dilation ${formatShape(w.dilation)} give output ${outH}x${outW}`,
    );
  }
  return {
    n,
    channels,
    height,
    width,
    kernelH: w.kernel[0],
    kernelW: w.kernel[1],
    strideH: w.stride[0],
    strideW: w.stride[1],
    padH: w.padding[0],
    padW: w.padding[1],
    dilationH: w.dilation[0],
    dilationW: w.dilation[1],
    outH,
    outW,
  };
}
