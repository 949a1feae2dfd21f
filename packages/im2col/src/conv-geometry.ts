import {
  ArgumentError,
  ShapeError,
  formatShape,
  type ConvGeometry,
  type Shape,
} from "@unetkit/tensor";

/**
 * Window options of a 2-D convolution (or pooling, or im2col). Each value is one number for both
 * axes or a `[height, width]` pair, as PyTorch's `Conv2d` / `nn.Unfold` arguments.
 *
 * - `kernelSize`: window size, positive integers (required).
 * - `stride`: step between windows, positive integers (default 1).
 * - `padding`: implicit zeros added on both sides of each axis, non-negative integers (default 0).
 * - `dilation`: spacing between kernel taps, positive integers (default 1).
 *
 * @example
 * ```ts
 * const options: ConvOptions = { kernelSize: 3, padding: 1 };
 * const rect: ConvOptions = { kernelSize: [3, 1], stride: [2, 1], padding: [1, 0], dilation: 1 };
 * ```
 */
export interface ConvOptions {
  kernelSize: number | readonly [number, number];
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  dilation?: number | readonly [number, number];
}

const OPTION_KEYS = new Set(["kernelSize", "stride", "padding", "dilation"]);

function checkInt(op: string, what: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    const kind = min > 0 ? "a positive integer" : "a non-negative integer";
    throw new ArgumentError(op, `${what} must be ${kind} (got ${String(value)})`);
  }
  return value;
}

function pairOf(op: string, what: string, value: unknown, min: number): [number, number] {
  if (typeof value === "number") {
    const v = checkInt(op, what, value, min);
    return [v, v];
  }
  if (Array.isArray(value) && value.length === 2) {
    return [checkInt(op, `${what}[0]`, value[0], min), checkInt(op, `${what}[1]`, value[1], min)];
  }
  throw new ArgumentError(
    op,
    `${what} must be a number or a [height, width] pair (got ${JSON.stringify(value)})`,
  );
}

/** Output size along one axis; `axis` (e.g. "height") only labels the error. */
function outputSize(
  op: string,
  axis: string,
  size: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation: number,
  inputShape?: Shape,
): number {
  const extent = dilation * (kernel - 1) + 1;
  const padded = size + 2 * padding;
  const out = Math.floor((padded - extent) / stride) + 1;
  if (out < 1) {
    throw new ShapeError(
      op,
      `kernel larger than the padded input${axis ? ` along ${axis}` : ""}: input ${size} + 2*padding ${padding} = ${padded} < kernel extent ${extent} (kernel ${kernel}, dilation ${dilation})${inputShape ? ` (input ${formatShape(inputShape)})` : ""}`,
    );
  }
  return out;
}

/**
 * The output size of a convolution window along one axis, as PyTorch computes it:
 * `floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1`.
 *
 * Throws an `ArgumentError` when an argument is not an integer in range (size, kernel, stride and
 * dilation positive, padding non-negative), and a `ShapeError` naming `op` when the dilated kernel
 * is larger than the padded input (the result would be < 1).
 *
 * @param op - the operation to name in errors (default `"conv"`).
 * @example
 * ```ts
 * convOutputSize(64, 3, 1, 1, 1);  // 64
 * convOutputSize(64, 2, 2, 0, 1);  // 32
 * convOutputSize(7, 3, 2, 0, 2);   // 2
 * convOutputSize(2, 5, 1, 0, 1, "Conv2D"); // throws ShapeError "Conv2D: kernel larger than the padded input: ..."
 * ```
 */
export function convOutputSize(
  size: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation: number,
  op = "conv",
): number {
  checkInt(op, "input size", size, 1);
  checkInt(op, "kernel size", kernel, 1);
  checkInt(op, "stride", stride, 1);
  checkInt(op, "padding", padding, 0);
  checkInt(op, "dilation", dilation, 1);
  return outputSize(op, "", size, kernel, stride, padding, dilation);
}

/**
 * Validates convolution window options against an NCHW input shape and returns the full
 * {@link ConvGeometry} of one image (channels, input size, kernel, stride, padding, dilation per
 * axis and the output size `outH x outW`). Every error names `op` and the input shape.
 *
 * @param op - the operation to name in errors (`"Conv2D"`, `"MaxPool2D"`, `"im2col"`, ...).
 * @param inputShape - `[N, C, H, W]`; `N` may be 0, `C`, `H`, `W` must be positive.
 * @param options - kernel size (required), stride (1), padding (0), dilation (1); see {@link ConvOptions}.
 * @example
 * ```ts
 * const g = convGeometry("Conv2D", [8, 16, 32, 32], { kernelSize: 3, padding: 1 });
 * g.outH; // 32
 * g.kernelH * g.kernelW * g.channels; // 144 rows of the column matrix
 * ```
 */
export function convGeometry(op: string, inputShape: Shape, options: ConvOptions): ConvGeometry {
  if (!Array.isArray(inputShape) || inputShape.length !== 4) {
    throw new ShapeError(
      op,
      `input must be 4-D NCHW (got ${Array.isArray(inputShape) ? formatShape(inputShape) : String(inputShape)})`,
    );
  }
  for (let i = 0; i < 4; i++) {
    const d = inputShape[i];
    const min = i === 0 ? 0 : 1;
    if (!Number.isInteger(d) || d < min) {
      throw new ShapeError(
        op,
        `input sizes must be integers, N >= 0 and C, H, W >= 1 (got ${formatShape(inputShape)})`,
      );
    }
  }
  if (options === null || typeof options !== "object") {
    throw new ArgumentError(op, "options must be an object with at least kernelSize");
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new ArgumentError(
        op,
        `unknown option "${key}" (expected kernelSize, stride, padding, dilation)`,
      );
    }
  }
  if (options.kernelSize === undefined) {
    throw new ArgumentError(op, "kernelSize is required");
  }
  const [kernelH, kernelW] = pairOf(op, "kernelSize", options.kernelSize, 1);
  const [strideH, strideW] = pairOf(op, "stride", options.stride ?? 1, 1);
  const [padH, padW] = pairOf(op, "padding", options.padding ?? 0, 0);
  const [dilationH, dilationW] = pairOf(op, "dilation", options.dilation ?? 1, 1);
  const [, channels, height, width] = inputShape;
  // the input's shape goes into an error message only when one is thrown (formatting it on every
  // call cost about 0.2 ms per SimpleUNet training step)
  const outH = outputSize(op, "height", height, kernelH, strideH, padH, dilationH, inputShape);
  const outW = outputSize(op, "width", width, kernelW, strideW, padW, dilationW, inputShape);
  return {
    channels,
    height,
    width,
    kernelH,
    kernelW,
    strideH,
    strideW,
    padH,
    padW,
    dilationH,
    dilationW,
    outH,
    outW,
  };
}
