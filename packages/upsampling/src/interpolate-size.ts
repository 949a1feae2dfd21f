import { ArgumentError, ShapeError, formatShape, type Shape } from "@unetkit/tensor";

/**
 * How an upsampler picks its output size, as `torch.nn.functional.interpolate`: exactly one of
 * `size` and `scaleFactor`.
 *
 * - `size`: the output `[height, width]` (or one number for both), positive integers.
 * - `scaleFactor`: a multiplier per axis (one number for both, or `[height, width]`), positive and
 *   finite; the output size is `floor(input * scaleFactor)`.
 * - `recomputeScaleFactor` (default false): as PyTorch's `recompute_scale_factor=True`, compute the
 *   output size from `scaleFactor` and then interpolate as if that size had been given (source
 *   coordinates use `input / output` instead of `1 / scaleFactor`).
 *
 * @example
 * ```ts
 * const a: InterpolateSizeOptions = { scaleFactor: 2 };
 * const b: InterpolateSizeOptions = { size: [7, 5] };
 * ```
 */
export interface InterpolateSizeOptions {
  size?: number | readonly [number, number];
  scaleFactor?: number | readonly [number, number];
  recomputeScaleFactor?: boolean;
}

/**
 * The resolved geometry of one upsampling call: output size per axis and the scale PyTorch's
 * kernels receive per axis (the user's `scaleFactor`, or `undefined` when the size was given or
 * recomputed, in which case kernels use `input / output`).
 *
 * @example
 * ```ts
 * bilinearPlan([1, 1, 4, 6], "float32", { scaleFactor: 1.5 }).geometry;
 * // { inH: 4, inW: 6, outH: 6, outW: 9, scaleH: 1.5, scaleW: 1.5 }
 * ```
 */
export interface InterpolateGeometry {
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  scaleH: number | undefined;
  scaleW: number | undefined;
}

/**
 * Validated, normalised size options (what a layer keeps), pairs per axis.
 *
 * @example
 * ```ts
 * new NearestUpsample({ scaleFactor: 2 }).options; // { size: undefined, scaleFactor: [2, 2], recomputeScaleFactor: false }
 * ```
 */
export interface NormalizedSizeOptions {
  size: [number, number] | undefined;
  scaleFactor: [number, number] | undefined;
  recomputeScaleFactor: boolean;
}

function positiveInt(op: string, what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new ArgumentError(op, `${what} must be a positive integer (got ${String(v)})`);
  }
  return v;
}

function positiveFinite(op: string, what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new ArgumentError(op, `${what} must be a positive finite number (got ${String(v)})`);
  }
  return v;
}

function pairOf(
  op: string,
  what: string,
  value: unknown,
  check: (op: string, what: string, v: unknown) => number,
): [number, number] {
  if (typeof value === "number") {
    const v = check(op, what, value);
    return [v, v];
  }
  if (Array.isArray(value) && value.length === 2) {
    return [check(op, `${what}[0]`, value[0]), check(op, `${what}[1]`, value[1])];
  }
  throw new ArgumentError(op, `${what} must be a number or a [height, width] pair (got ${JSON.stringify(value)})`);
}

/**
 * Validates size options (exactly one of `size` and `scaleFactor`, PyTorch's rule) and expands
 * them to pairs. Throws an `ArgumentError` naming `op` otherwise.
 *
 * @example
 * ```ts
 * normalizeSizeOptions("BilinearUpsample", { scaleFactor: [2, 3] }).scaleFactor; // [2, 3]
 * ```
 */
export function normalizeSizeOptions(op: string, options: InterpolateSizeOptions): NormalizedSizeOptions {
  if (options === null || typeof options !== "object") {
    throw new ArgumentError(op, "options must be an object with size or scaleFactor");
  }
  const hasSize = options.size !== undefined && options.size !== null;
  const hasScale = options.scaleFactor !== undefined && options.scaleFactor !== null;
  if (hasSize === hasScale) {
    throw new ArgumentError(
      op,
      hasSize
        ? "only one of size or scaleFactor should be defined"
        : "either size or scaleFactor should be defined",
    );
  }
  const recompute = options.recomputeScaleFactor ?? false;
  if (typeof recompute !== "boolean") {
    throw new ArgumentError(op, `recomputeScaleFactor must be a boolean (got ${String(recompute)})`);
  }
  if (hasSize && recompute) {
    throw new ArgumentError(op, "recomputeScaleFactor is not meaningful when size is given (as PyTorch)");
  }
  return {
    size: hasSize ? pairOf(op, "size", options.size, positiveInt) : undefined,
    scaleFactor: hasScale ? pairOf(op, "scaleFactor", options.scaleFactor, positiveFinite) : undefined,
    recomputeScaleFactor: recompute,
  };
}

/**
 * Resolves normalised size options against an input's spatial size: the output size
 * (`floor(input * scaleFactor)` per axis, computed in double precision as PyTorch does) and the scale
 * per axis that the interpolation kernels use. Throws a `ShapeError` if an output size is below 1.
 *
 * @example
 * ```ts
 * const g = resolveGeometry("BilinearUpsample", [1, 1, 4, 6], normalizeSizeOptions("x", { scaleFactor: 1.5 }));
 * [g.outH, g.outW]; // [6, 9]
 * ```
 */
export function resolveGeometry(op: string, inputShape: Shape, options: NormalizedSizeOptions): InterpolateGeometry {
  const inH = inputShape[2];
  const inW = inputShape[3];
  if (inH < 1 || inW < 1) {
    throw new ShapeError(op, `input must have a non-empty spatial size (got ${formatShape(inputShape)})`);
  }
  let outH: number;
  let outW: number;
  let scaleH: number | undefined;
  let scaleW: number | undefined;
  if (options.size) {
    [outH, outW] = options.size;
  } else {
    const [sh, sw] = options.scaleFactor as [number, number];
    outH = Math.floor(inH * sh);
    outW = Math.floor(inW * sw);
    if (!options.recomputeScaleFactor) {
      scaleH = sh;
      scaleW = sw;
    }
  }
  if (outH < 1 || outW < 1) {
    throw new ShapeError(
      op,
      `input and output sizes should be greater than 0 (input ${formatShape(inputShape)}, output size [${outH},${outW}])`,
    );
  }
  return { inH, inW, outH, outW, scaleH, scaleW };
}

/**
 * The output spatial size `[height, width]` an upsampler with these options gives for an input of
 * `[height, width]`, as `F.interpolate`: `size` as given, or `floor(input * scaleFactor)`.
 *
 * @example
 * ```ts
 * interpolateOutputSize(16, 16, { scaleFactor: 2 });     // [32, 32]
 * interpolateOutputSize(4, 6, { scaleFactor: [1.5, 3] }); // [6, 18]
 * interpolateOutputSize(4, 6, { size: [7, 5] });          // [7, 5]
 * ```
 */
export function interpolateOutputSize(
  height: number,
  width: number,
  options: InterpolateSizeOptions,
): [number, number] {
  const op = "interpolateOutputSize";
  positiveInt(op, "height", height);
  positiveInt(op, "width", width);
  const g = resolveGeometry(op, [1, 1, height, width], normalizeSizeOptions(op, options));
  return [g.outH, g.outW];
}
