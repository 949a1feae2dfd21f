import { convOutputSize } from "@unetkit/im2col";
import {
  Layer,
  Parameter,
  conv2dBackwardBias,
  conv2dBackwardData,
  conv2dBackwardWeight,
  conv2dForward,
  type Conv2dOptions,
} from "@unetkit/layers";
import {
  ArgumentError,
  ShapeError,
  Tensor,
  checkRank,
  formatShape,
  globalRng,
  type DType,
  type Rng,
  type Shape,
} from "@unetkit/tensor";
import { checkGrad, checkKeys } from "./internal.js";

/**
 * A size given as one number for both axes or as a `[height, width]` pair.
 *
 * @example
 * ```ts
 * const k: Size2 = [3, 2];
 * ```
 */
export type Size2 = number | readonly [number, number];

/**
 * Window options of the transposed-convolution functions, as `F.conv_transpose2d` (groups 1). Each
 * is one number or a `[height, width]` pair.
 *
 * - `stride` (default 1): the upsampling step; positive.
 * - `padding` (default 0): `dilation*(k-1) - padding` zeros are implicitly added on both sides;
 *   equivalently, `padding` rows/columns are cropped from each side of the full output. Non-negative.
 * - `outputPadding` (default 0): extra rows/columns added on one side (bottom/right) of the output;
 *   non-negative and smaller than either the stride or the dilation of its axis.
 * - `dilation` (default 1): spacing between kernel taps; positive.
 *
 * @example
 * ```ts
 * const o: TransposedConv2dOptions = { stride: 2, padding: 1, outputPadding: 1 };
 * ```
 */
export interface TransposedConv2dOptions {
  stride?: Size2;
  padding?: Size2;
  outputPadding?: Size2;
  dilation?: Size2;
  /** The name errors start with (default: the function's name); the layer passes `"TransposedConv2D"`. */
  op?: string;
}

/**
 * Options of {@link transposedConv2dBackwardWeight}: window options plus where to accumulate.
 *
 * @example
 * ```ts
 * transposedConv2dBackwardWeight(dy, x, w.shape, { stride: 2, accumulateInto: p.grad, biasGradInto: b.grad });
 * ```
 */
export interface TransposedConv2dWeightGradOptions extends TransposedConv2dOptions {
  /** Add the weight gradient into this tensor (weight shape, dtype of `dy`) and return it. */
  accumulateInto?: Tensor;
  /** Also add the bias gradient `sum over n, y, x of dy[n, co, y, x]` into this `[Cout]` tensor. */
  biasGradInto?: Tensor;
}

interface Window {
  stride: [number, number];
  padding: [number, number];
  outputPadding: [number, number];
  dilation: [number, number];
}

function pairOf(op: string, what: string, value: unknown, dflt: number, min: number): [number, number] {
  const v = value ?? dflt;
  const p: unknown[] = typeof v === "number" ? [v, v] : Array.isArray(v) && v.length === 2 ? v : [];
  if (p.length !== 2 || p.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < min)) {
    throw new ArgumentError(
      op,
      `${what} must be ${min > 0 ? "a positive" : "a non-negative"} integer or a [height, width] pair of them (got ${JSON.stringify(v)})`,
    );
  }
  return [p[0] as number, p[1] as number];
}

function windowOf(op: string, options: TransposedConv2dOptions): Window {
  if (options === null || typeof options !== "object") throw new ArgumentError(op, "options must be an object");
  checkKeys(op, options, ["stride", "padding", "outputPadding", "dilation", "op"]);
  const w: Window = {
    stride: pairOf(op, "stride", options.stride, 1, 1),
    padding: pairOf(op, "padding", options.padding, 0, 0),
    outputPadding: pairOf(op, "outputPadding", options.outputPadding, 0, 0),
    dilation: pairOf(op, "dilation", options.dilation, 1, 1),
  };
  for (let a = 0; a < 2; a++) {
    if (w.outputPadding[a] >= w.stride[a] && w.outputPadding[a] >= w.dilation[a]) {
      throw new ArgumentError(
        op,
        `output padding must be smaller than either stride or dilation, but got outputPadding [${w.outputPadding}], stride [${w.stride}], dilation [${w.dilation}]`,
      );
    }
  }
  return w;
}

function axisOutput(size: number, kernel: number, stride: number, padding: number, outputPadding: number, dilation: number): number {
  return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1;
}

/**
 * The output size of a transposed convolution along one axis, as `nn.ConvTranspose2d`:
 * `(size - 1)*stride - 2*padding + dilation*(kernel - 1) + outputPadding + 1`.
 * Throws an `ArgumentError` on invalid arguments (including an `outputPadding` not smaller than
 * either `stride` or `dilation`) and a `ShapeError` when the result is below 1.
 *
 * @example
 * ```ts
 * transposedConv2dOutputSize(16, 2, 2);          // 32  (kernel 2, stride 2)
 * transposedConv2dOutputSize(16, 4, 2, 1);       // 32  (kernel 4, stride 2, padding 1)
 * transposedConv2dOutputSize(4, 3, 2, 1, 1);     // 8   (outputPadding 1)
 * transposedConv2dOutputSize(4, 3, 1, 1, 0, 2);  // 6   (dilation 2)
 * ```
 */
export function transposedConv2dOutputSize(
  size: number,
  kernel: number,
  stride = 1,
  padding = 0,
  outputPadding = 0,
  dilation = 1,
): number {
  const op = "transposedConv2dOutputSize";
  pairOf(op, "size", size, 1, 1);
  pairOf(op, "kernel", kernel, 1, 1);
  windowOf(op, { stride, padding, outputPadding, dilation });
  const out = axisOutput(size, kernel, stride, padding, outputPadding, dilation);
  if (out < 1) {
    throw new ShapeError(op, `output size ${out} is below 1 (size ${size}, kernel ${kernel}, stride ${stride}, padding ${padding}, outputPadding ${outputPadding}, dilation ${dilation})`);
  }
  return out;
}

/**
 * Everything one call needs: the output shape, and the convolution this transposed convolution is
 * the adjoint of. That convolution has the same weight (`[Cin, Cout, kh, kw]` read as its
 * `[out, in, kh, kw]`), stride, padding and dilation; its input is our output (`[N, Cout, outH,
 * outW]`) and its output, `[N, Cin, convH, convW]`, our input's grid. `convH = H + floor(outputPadH
 * / strideH)`: it equals `H` whenever `outputPadding < stride` (the `outputPadding` extra bottom
 * rows of our output are rows of the convolution's input that no window reaches). PyTorch also
 * allows `stride <= outputPadding < dilation`; then `convH > H` and our input is the convolution's
 * output zero-extended on the bottom/right (likewise the width).
 */
interface Plan {
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  outShape: [number, number, number, number];
  /** The convolution's output grid, `[convH, convW]`; `>= [H, W]`. */
  conv: [number, number];
  /** The window options of the convolution, named after the caller. */
  convOptions: Conv2dOptions;
  /** True when our input grid is exactly the convolution's output grid (no zero extension). */
  exact: boolean;
}

function plan(op: string, inputShape: Shape, weightShape: Shape, win: Window): Plan {
  const [n, cin, h, w] = inputShape;
  const [wcin, cout, kh, kw] = weightShape;
  if (cin !== wcin) {
    throw new ShapeError(
      op,
      `input has ${cin} channels, weight expects ${wcin} (input ${formatShape(inputShape)}, weight ${formatShape(weightShape)}; weight is [in, out, kh, kw])`,
    );
  }
  if (h < 1 || w < 1 || weightShape.some((d) => d < 1)) {
    throw new ShapeError(op, `sizes must be positive (input ${formatShape(inputShape)}, weight ${formatShape(weightShape)})`);
  }
  const outH = axisOutput(h, kh, win.stride[0], win.padding[0], win.outputPadding[0], win.dilation[0]);
  const outW = axisOutput(w, kw, win.stride[1], win.padding[1], win.outputPadding[1], win.dilation[1]);
  if (outH < 1 || outW < 1) {
    throw new ShapeError(
      op,
      `output size [${outH},${outW}] is below 1 (input ${formatShape(inputShape)}, weight ${formatShape(weightShape)}, stride [${win.stride}], padding [${win.padding}], outputPadding [${win.outputPadding}], dilation [${win.dilation}])`,
    );
  }
  const convH = convOutputSize(outH, kh, win.stride[0], win.padding[0], win.dilation[0], op);
  const convW = convOutputSize(outW, kw, win.stride[1], win.padding[1], win.dilation[1], op);
  return {
    n,
    cin,
    cout,
    h,
    w,
    outShape: [n, cout, outH, outW],
    conv: [convH, convW],
    convOptions: { stride: win.stride, padding: win.padding, dilation: win.dilation, op },
    exact: convH === h && convW === w,
  };
}

function checkWeight(op: string, weight: Tensor, dtype: DType): void {
  checkRank(op, "weight", weight, 4);
  if (weight.dtype !== dtype) throw new ArgumentError(op, `weight is ${weight.dtype} but the input is ${dtype}`);
}

function checkBias(op: string, bias: Tensor, cout: number, weight: Tensor, dtype: DType): void {
  if (!(bias instanceof Tensor) || bias.rank !== 1 || bias.shape[0] !== cout) {
    throw new ShapeError(
      op,
      `bias must have shape [${cout}] (bias ${bias instanceof Tensor ? formatShape(bias.shape) : String(bias)}, weight ${formatShape(weight.shape)})`,
    );
  }
  if (bias.dtype !== dtype) throw new ArgumentError(op, `bias is ${bias.dtype} but the input is ${dtype}`);
}

function checkShape4(op: string, what: string, shape: Shape): void {
  if (!Array.isArray(shape) || shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(op, `${what} must be a 4-D shape of non-negative integers (got ${Array.isArray(shape) ? formatShape(shape) : String(shape)})`);
  }
}

/**
 * A new `shape` tensor holding, in each plane, the top-left `h x w` of the same plane of `src`
 * (which has as many planes), zeros elsewhere: a crop or a bottom/right zero extension.
 */
function regrid(src: Tensor, shape: [number, number, number, number], h: number, w: number): Tensor {
  const [, , sh, sw] = src.shape;
  const [n, c, dh, dw] = shape;
  const out = new Tensor(src.dtype, shape);
  const from = src.data;
  const to = out.data;
  for (let i = 0; i < n * c; i++) {
    for (let y = 0; y < h; y++) {
      const s = (i * sh + y) * sw;
      to.set(from.subarray(s, s + w), (i * dh + y) * dw);
    }
  }
  return out;
}

/**
 * `x` (`[N, Cin, H, W]`) as the convolution's output grid: itself when the grids agree, else a copy
 * zero-extended on the bottom/right to `[N, Cin, convH, convW]` (`outputPadding >= stride`).
 */
function toConvGrid(x: Tensor, p: Plan): Tensor {
  return p.exact ? x : regrid(x, [p.n, p.cin, p.conv[0], p.conv[1]], p.h, p.w);
}

/** The inverse of {@link toConvGrid}: crops `[N, Cin, convH, convW]` to `[N, Cin, H, W]`. */
function fromConvGrid(g: Tensor, p: Plan): Tensor {
  return p.exact ? g : regrid(g, [p.n, p.cin, p.h, p.w], p.h, p.w);
}

/**
 * 2-D transposed convolution of a batch, as `torch.nn.functional.conv_transpose2d` (groups 1):
 * the backward-data of the convolution with the same weight (`conv2dBackwardData` of
 * `@unetkit/layers`, so a kernel backend's fused convolution kernels run it), accumulated onto the
 * bias.
 *
 * Shapes: `x` `[N, Cin, H, W]`, `weight` `[Cin, Cout, kh, kw]` (PyTorch's layout for transposed
 * convolutions), `bias` `[Cout]` or null; returns `[N, Cout, outH, outW]` with
 * `outH = (H-1)*strideH - 2*padH + dilationH*(kh-1) + outputPadH + 1` (likewise `outW`).
 *
 * @example
 * ```ts
 * const x = randn([8, 64, 16, 16]);
 * const w = randn([64, 32, 2, 2]);
 * transposedConv2dForward(x, w, null, { stride: 2 }).shape; // [8, 32, 32, 32]
 * ```
 */
export function transposedConv2dForward(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  options: TransposedConv2dOptions = {},
): Tensor {
  const op = options.op ?? "transposedConv2dForward";
  checkRank(op, "input", x, 4);
  checkWeight(op, weight, x.dtype);
  const p = plan(op, x.shape, weight.shape, windowOf(op, options));
  let y: Tensor | undefined;
  if (bias !== null) {
    checkBias(op, bias, p.cout, weight, x.dtype);
    // Bias planes first (a native fill), then the convolution's input gradient accumulates onto them.
    y = new Tensor(x.dtype, p.outShape);
    const plane = p.outShape[2] * p.outShape[3];
    for (let i = 0; i < p.n * p.cout; i++) y.data.fill(bias.data[i % p.cout], i * plane, (i + 1) * plane);
  }
  return conv2dBackwardData(toConvGrid(x, p), weight, p.outShape, { ...p.convOptions, accumulateInto: y });
}

/**
 * The gradient of {@link transposedConv2dForward} with respect to its input: a plain convolution
 * of `dy` with the same weight, no bias (`conv2dForward` of `@unetkit/layers`).
 *
 * Shapes: `dy` `[N, Cout, outH, outW]`, `weight` `[Cin, Cout, kh, kw]`, `inputShape`
 * `[N, Cin, H, W]` (the forward input's shape); returns `dx` of `inputShape`.
 *
 * @example
 * ```ts
 * const dx = transposedConv2dBackwardData(dy, w, x.shape, { stride: 2 }); // x.shape
 * ```
 */
export function transposedConv2dBackwardData(
  dy: Tensor,
  weight: Tensor,
  inputShape: Shape,
  options: TransposedConv2dOptions = {},
): Tensor {
  const op = options.op ?? "transposedConv2dBackwardData";
  checkRank(op, "output gradient", dy, 4);
  checkWeight(op, weight, dy.dtype);
  checkShape4(op, "inputShape", inputShape);
  const p = plan(op, inputShape, weight.shape, windowOf(op, options));
  checkGrad(op, dy, p.outShape, dy.dtype);
  return fromConvGrid(conv2dForward(dy, weight, null, p.convOptions), p);
}

/**
 * The gradient of {@link transposedConv2dForward} with respect to its weight (and optionally its
 * bias): the weight gradient of the convolution it is the adjoint of, with the roles swapped
 * (`conv2dBackwardWeight(x, dy, ...)` of `@unetkit/layers`: the convolution's input is `dy`, its
 * output gradient is `x`), accumulating over the batch; the bias gradient sums `dy`.
 *
 * Shapes: `dy` `[N, Cout, outH, outW]`, `x` `[N, Cin, H, W]`, `weightShape` `[Cin, Cout, kh, kw]`;
 * returns `dW` of `weightShape` (a new tensor, or `options.accumulateInto` with the gradient added).
 * With `options.biasGradInto` (`[Cout]`) the bias gradient is added there too.
 *
 * @example
 * ```ts
 * const dW = transposedConv2dBackwardWeight(dy, x, w.shape, { stride: 2 });
 * transposedConv2dBackwardWeight(dy, x, w.shape, { stride: 2, accumulateInto: p.grad, biasGradInto: b.grad });
 * ```
 */
export function transposedConv2dBackwardWeight(
  dy: Tensor,
  x: Tensor,
  weightShape: Shape,
  options: TransposedConv2dWeightGradOptions = {},
): Tensor {
  const op = options.op ?? "transposedConv2dBackwardWeight";
  checkRank(op, "output gradient", dy, 4);
  checkRank(op, "input", x, 4);
  if (dy.dtype !== x.dtype) throw new ArgumentError(op, `output gradient is ${dy.dtype} but the input is ${x.dtype}`);
  checkShape4(op, "weightShape", weightShape);
  const { accumulateInto, biasGradInto, ...window } = options;
  const p = plan(op, x.shape, weightShape, windowOf(op, window));
  checkGrad(op, dy, p.outShape, x.dtype);
  if (accumulateInto !== undefined) {
    if (!(accumulateInto instanceof Tensor) || accumulateInto.rank !== 4 || accumulateInto.shape.some((d, i) => d !== weightShape[i])) {
      throw new ShapeError(op, `accumulateInto must have the weight shape ${formatShape(weightShape)}`);
    }
    if (accumulateInto.dtype !== x.dtype) throw new ArgumentError(op, `accumulateInto is ${accumulateInto.dtype} but the input is ${x.dtype}`);
  }
  if (biasGradInto !== undefined) {
    if (!(biasGradInto instanceof Tensor) || biasGradInto.rank !== 1 || biasGradInto.shape[0] !== p.cout) {
      throw new ShapeError(op, `biasGradInto must have shape [${p.cout}] (weight ${formatShape(weightShape)})`);
    }
    if (biasGradInto.dtype !== x.dtype) throw new ArgumentError(op, `biasGradInto is ${biasGradInto.dtype} but the input is ${x.dtype}`);
  }
  const dW = conv2dBackwardWeight(toConvGrid(x, p), dy, weightShape, { ...p.convOptions, accumulateInto });
  if (biasGradInto !== undefined) conv2dBackwardBias(dy, biasGradInto);
  return dW;
}

/**
 * Options of {@link TransposedConv2D}: the window options plus `bias`, `dtype` and `rng`.
 *
 * @example
 * ```ts
 * new TransposedConv2D(64, 32, 2, { stride: 2, bias: true, dtype: "float64", rng: new Rng(0) });
 * ```
 */
export interface TransposedConv2DOptions extends TransposedConv2dOptions {
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** Parameter dtype (default `"float32"`); inputs must match. */
  dtype?: DType;
  /** Generator for the initial weights (default `globalRng()`). */
  rng?: Rng;
}

/**
 * A 2-D transposed convolution layer, `torch.nn.ConvTranspose2d(in, out, kernel_size, stride,
 * padding, output_padding, groups=1, bias=True, dilation)`: the adjoint of a convolution, used as a
 * learned upsampler (kernel 2 stride 2 doubles the size, as in the U-Net paper; kernel 4 stride 2
 * padding 1 too, with overlapping windows).
 *
 * Parameters: `weight` `[in, out, kh, kw]` and `bias` `[out]`, initialised as PyTorch's
 * `_ConvNd.reset_parameters`: `U(-b, b)` with `b = 1/sqrt(fanIn)` for both, where for this weight
 * layout `fanIn = weight.size(1)*kh*kw = out*kh*kw` (what `_calculate_fan_in_and_fan_out` gives).
 * Input `[N, in, H, W]`, output `[N, out, outH, outW]`, with
 * `outH = (H-1)*stride - 2*padding + dilation*(kh-1) + outputPadding + 1`. Backward keeps only
 * the input; it adds into `weight.grad` / `bias.grad` and returns `dx`.
 *
 * @example
 * ```ts
 * const up = new TransposedConv2D(64, 32, 2, { stride: 2, rng: new Rng(0) });
 * const y = up.forward(x);       // x [8, 64, 16, 16] -> y [8, 32, 32, 32]
 * const dx = up.backward(dy);    // [8, 64, 16, 16]; up.weight.grad holds dL/dW
 * ```
 */
export class TransposedConv2D extends Layer {
  /** Weight `[in, out, kh, kw]`. */
  readonly weight: Parameter;
  /** Bias `[out]`, or null with `bias: false`. */
  readonly bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly dtype: DType;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options: TransposedConv2DOptions = {}) {
    super();
    const op = "TransposedConv2D";
    checkKeys(op, options ?? {}, ["stride", "padding", "outputPadding", "dilation", "bias", "dtype", "rng"]);
    for (const [what, v] of [
      ["inChannels", inChannels],
      ["outChannels", outChannels],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ArgumentError(op, `${what} must be a positive integer (got ${v})`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pairOf(op, "kernelSize", kernelSize, 1, 1);
    const win = windowOf(op, {
      stride: options.stride,
      padding: options.padding,
      outputPadding: options.outputPadding,
      dilation: options.dilation,
    });
    this.stride = win.stride;
    this.padding = win.padding;
    this.outputPadding = win.outputPadding;
    this.dilation = win.dilation;
    this.dtype = options.dtype ?? "float32";
    if (this.dtype !== "float32" && this.dtype !== "float64") {
      throw new ArgumentError(op, `unknown dtype ${String(this.dtype)} (expected float32 or float64)`);
    }
    const bias = options.bias ?? true;
    if (typeof bias !== "boolean") throw new ArgumentError(op, `bias must be a boolean (got ${String(bias)})`);
    const rng = options.rng ?? globalRng();
    const [kh, kw] = this.kernelSize;
    const bound = 1 / Math.sqrt(outChannels * kh * kw);
    this.weight = this.registerParameter("weight", new Parameter(new Tensor(this.dtype, [inChannels, outChannels, kh, kw])));
    rng.fillUniform(this.weight.value.data, -bound, bound);
    if (bias) {
      this.bias = this.registerParameter("bias", new Parameter(new Tensor(this.dtype, [outChannels])));
      rng.fillUniform(this.bias.value.data, -bound, bound);
    } else {
      this.bias = null;
    }
  }

  /** The window options (stride, padding, outputPadding, dilation) as pairs, and the op name. */
  windowOptions(): Required<TransposedConv2dOptions> {
    return {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      op: "TransposedConv2D",
    };
  }

  /**
   * The output spatial size for an input of `height x width`.
   *
   * @example
   * ```ts
   * new TransposedConv2D(8, 8, 4, { stride: 2, padding: 1 }).outputSize(16, 16); // [32, 32]
   * ```
   */
  outputSize(height: number, width: number): [number, number] {
    return [
      transposedConv2dOutputSize(height, this.kernelSize[0], this.stride[0], this.padding[0], this.outputPadding[0], this.dilation[0]),
      transposedConv2dOutputSize(width, this.kernelSize[1], this.stride[1], this.padding[1], this.outputPadding[1], this.dilation[1]),
    ];
  }

  forward(x: Tensor): Tensor {
    const op = "TransposedConv2D";
    checkRank(op, "input", x, 4);
    if (x.dtype !== this.dtype) throw new ArgumentError(op, `input is ${x.dtype} but the layer is ${this.dtype} (input ${formatShape(x.shape)})`);
    if (x.shape[1] !== this.inChannels) {
      throw new ShapeError(
        op,
        `input has ${x.shape[1]} channels, weight expects ${this.inChannels} (input ${formatShape(x.shape)}, weight ${formatShape(this.weight.value.shape)})`,
      );
    }
    const y = transposedConv2dForward(x, this.weight.value, this.bias ? this.bias.value : null, this.windowOptions());
    this.saveForBackward(x);
    return y;
  }

  backward(dy: Tensor): Tensor {
    const x = this.takeSaved<Tensor>();
    const win = this.windowOptions();
    const dx = transposedConv2dBackwardData(dy, this.weight.value, x.shape, win);
    transposedConv2dBackwardWeight(dy, x, this.weight.value.shape, {
      ...win,
      accumulateInto: this.weight.grad,
      biasGradInto: this.bias ? this.bias.grad : undefined,
    });
    return dx;
  }
}
