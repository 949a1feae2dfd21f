import { col2imAccumulateImage, convGeometry, im2colImage } from "@unetkit/im2col";
import {
  empty,
  ArgumentError,
  ShapeError,
  Tensor,
  allocate,
  backendFor,
  checkRank,
  formatShape,
  globalRng,
  type ConvGeometry,
  type DType,
  type Rng,
  type Shape,
  type TypedArray,
} from "@unetkit/tensor";
import { wantsInputGrad, type BackwardOptions } from "./backward-options.js";
import { checkInput, defaultInitBound, uniformInit } from "./internal.js";
import { Layer } from "./module.js";
import { Parameter } from "./parameter.js";

/** A size given as one number for both axes or as a `[height, width]` pair. */
export type Size2 = number | readonly [number, number];

/**
 * Window options shared by the pure convolution functions ({@link conv2dForward},
 * {@link conv2dBackwardData}, {@link conv2dBackwardWeight}). Each size is one number or a
 * `[height, width]` pair, as PyTorch's `F.conv2d`.
 */
export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Size2;
  /** Implicit zeros on both sides of each spatial axis (default 0). */
  padding?: Size2;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** The name errors start with (default `"Conv2D"`); e.g. `"ConvTranspose2D"` for a caller. */
  op?: string;
}

/** Options of {@link conv2dBackwardData}: the window options plus where to accumulate. */
export interface Conv2dDataGradOptions extends Conv2dOptions {
  /**
   * Add the input gradient into this tensor (shape `inputShape`, dtype of `dy`, not overlapping
   * `dy`) and return it, instead of returning a new one; e.g. a transposed convolution's output
   * pre-filled with its bias.
   */
  accumulateInto?: Tensor;
}

/** Options of {@link conv2dBackwardWeight}: the window options plus where to accumulate. */
export interface Conv2dWeightGradOptions extends Conv2dOptions {
  /**
   * Add the weight gradient into this tensor (shape `weightShape`, dtype of `dy`) and return it,
   * instead of returning a new one. A layer passes its `Parameter.grad`.
   */
  accumulateInto?: Tensor;
  /** Also add the bias gradient, `sum over n, y, x of dy[n, co, y, x]`, into this `[Cout]` tensor. */
  biasGradInto?: Tensor;
}

function geometryFor(op: string, inputShape: Shape, weightShape: Shape, options: Conv2dOptions): ConvGeometry {
  return convGeometry(op, inputShape, {
    kernelSize: [weightShape[2], weightShape[3]],
    stride: options.stride ?? 1,
    padding: options.padding ?? 0,
    dilation: options.dilation ?? 1,
  });
}

/** True when the column matrix of an image is the image itself (1x1 kernel, stride 1, no padding). */
function isPointwise(g: ConvGeometry): boolean {
  return (
    g.kernelH === 1 && g.kernelW === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 && g.padW === 0
  );
}

function checkWeight(op: string, weight: Tensor): void {
  checkRank(op, "weight", weight, 4);
  if (weight.shape.some((d) => d < 1)) {
    throw new ShapeError(op, `weight sizes must be positive (weight ${formatShape(weight.shape)})`);
  }
}

function checkSameDType(op: string, what: string, t: Tensor, dtype: DType, reference = "the input"): void {
  if (t.dtype !== dtype) {
    throw new ArgumentError(op, `${what} is ${t.dtype} but ${reference} is ${dtype}`);
  }
}

function checkInputChannels(op: string, inputShape: Shape, weightShape: Shape): void {
  if (inputShape[1] !== weightShape[1]) {
    throw new ShapeError(
      op,
      `input has ${inputShape[1]} channels, weight expects ${weightShape[1]} (input ${formatShape(inputShape)}, weight ${formatShape(weightShape)})`,
    );
  }
}

/**
 * 2-D cross-correlation of a batch, as `torch.nn.functional.conv2d` (groups 1), via im2col + GEMM,
 * one image at a time with one reusable column buffer: `out[n] = W[Cout, Cin*kh*kw] @ cols[n]`.
 *
 * Shapes: `x` `[N, Cin, H, W]`, `weight` `[Cout, Cin, kh, kw]`, `bias` `[Cout]` or null;
 * returns `[N, Cout, outH, outW]` with
 * `outH = floor((H + 2*padH - dilationH*(kh - 1) - 1) / strideH) + 1` (likewise `outW`).
 *
 * Throws `ShapeError` (named by `options.op`, default `"Conv2D"`) on a wrong rank, a channel
 * mismatch or a kernel larger than the padded input, `ArgumentError` on bad window options or
 * mixed dtypes.
 *
 * @example
 * ```ts
 * const x = randn([2, 3, 8, 8], new Rng(0));
 * const w = randn([4, 3, 3, 3], new Rng(1));
 * conv2dForward(x, w, null, { padding: 1 }).shape;  // [2, 4, 8, 8]
 * conv2dForward(x, w, null, { stride: 2 }).shape;   // [2, 4, 3, 3]
 * ```
 */
export function conv2dForward(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const op = options.op ?? "Conv2D";
  checkRank(op, "input", x, 4);
  checkWeight(op, weight);
  checkSameDType(op, "weight", weight, x.dtype);
  checkInputChannels(op, x.shape, weight.shape);
  const cout = weight.shape[0];
  if (bias === undefined) bias = null; // tolerate a missing argument from JavaScript callers
  if (bias !== null) {
    if (!(bias instanceof Tensor) || bias.rank !== 1 || bias.shape[0] !== cout) {
      throw new ShapeError(
        op,
        `bias must have shape [${cout}] (bias ${bias instanceof Tensor ? formatShape(bias.shape) : String(bias)}, weight ${formatShape(weight.shape)})`,
      );
    }
    checkSameDType(op, "bias", bias, x.dtype);
  }
  const g = geometryFor(op, x.shape, weight.shape, options);
  const n = x.shape[0];
  const K = g.channels * g.kernelH * g.kernelW;
  const L = g.outH * g.outW;
  const out = empty([n, cout, g.outH, g.outW], x.dtype); // every path below writes every element
  const kernels = backendFor(x.dtype);
  if (kernels.conv2dForward && n > 0) {
    // A backend's fused kernel (same math: im2col + GEMM) keeps the column matrix in its memory.
    kernels.conv2dForward({ geometry: g, batch: n, cout, x: x.data, weight: weight.data, bias: bias?.data ?? null, out: out.data });
    return out;
  }
  const gemm = kernels.gemm;
  const pointwise = isPointwise(g);
  const cols: TypedArray = pointwise ? x.data : allocate(x.dtype, n > 0 ? K * L : 0);
  const imageSize = g.channels * g.height * g.width;
  const outSize = cout * L;
  const od = out.data;
  for (let b = 0; b < n; b++) {
    let colsOffset = 0;
    if (pointwise) colsOffset = b * imageSize;
    else im2colImage({ geometry: g, image: x.data, imageOffset: b * imageSize, cols, colsOffset: 0 });
    const oOff = b * outSize;
    if (bias !== null) {
      for (let co = 0; co < cout; co++) od.fill(bias.data[co], oOff + co * L, oOff + (co + 1) * L);
    }
    gemm({
      transA: false,
      transB: false,
      m: cout,
      n: L,
      k: K,
      alpha: 1,
      a: weight.data,
      aOffset: 0,
      lda: K,
      b: cols,
      bOffset: colsOffset,
      ldb: L,
      beta: bias !== null ? 1 : 0,
      c: od,
      cOffset: oOff,
      ldc: L,
    });
  }
  return out;
}

function checkGradOutput(op: string, dy: Tensor, inputShape: Shape, cout: number, g: ConvGeometry): void {
  const expected = [inputShape[0], cout, g.outH, g.outW];
  if (dy.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(
      op,
      `output gradient has shape ${formatShape(dy.shape)} but input ${formatShape(inputShape)} gives output ${formatShape(expected)}`,
    );
  }
}

function checkShape4(op: string, what: string, shape: Shape): void {
  if (!Array.isArray(shape) || shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(op, `${what} must be a 4-D shape of non-negative integers (got ${Array.isArray(shape) ? formatShape(shape) : String(shape)})`);
  }
}

/** Checks the arguments of {@link conv2dBackwardData} and makes (or takes) its `dx`. */
function dataGradSetup(dy: Tensor, weight: Tensor, inputShape: Shape, options: Conv2dDataGradOptions) {
  const op = options.op ?? "Conv2D";
  checkRank(op, "output gradient", dy, 4);
  checkWeight(op, weight);
  checkSameDType(op, "weight", weight, dy.dtype, "the output gradient");
  checkShape4(op, "inputShape", inputShape);
  checkInputChannels(op, inputShape, weight.shape);
  const g = geometryFor(op, inputShape, weight.shape, options);
  const cout = weight.shape[0];
  checkGradOutput(op, dy, inputShape, cout, g);
  const into = options.accumulateInto;
  if (into !== undefined) {
    if (!(into instanceof Tensor) || into.shape.length !== 4 || into.shape.some((d, i) => d !== inputShape[i])) {
      throw new ShapeError(op, `accumulateInto must have the input shape ${formatShape(inputShape)}`);
    }
    checkSameDType(op, "accumulateInto", into, dy.dtype, "the output gradient");
  }
  // a fresh dx is written whole by a backend kernel (dxZero), and zero-filled before the reference path adds into it
  return { g, cout, n: inputShape[0], dx: into ?? empty(inputShape, dy.dtype), into };
}

/**
 * The gradient of {@link conv2dForward} with respect to its input (the transposed convolution of
 * `dy`): per image `dcols = W^T @ dy[n]`, then col2im scatter-adds `dcols` into `dx[n]`.
 *
 * Shapes: `dy` `[N, Cout, outH, outW]`, `weight` `[Cout, Cin, kh, kw]`, `inputShape`
 * `[N, Cin, H, W]` (needed because several input sizes give one output size when the stride is
 * above 1); returns `dx` `[N, Cin, H, W]`: a new tensor, or `options.accumulateInto` with the
 * gradient added to it. `dy`'s spatial size must be the one `inputShape` gives.
 * A transposed convolution `ConvTranspose2d(x; weight [Cin_t, Cout_t, kh, kw])` is exactly
 * `conv2dBackwardData(x, weight, [N, Cout_t, Hout, Wout], options)`.
 *
 * @example
 * ```ts
 * const y = conv2dForward(x, w, null, { padding: 1 });
 * const dx = conv2dBackwardData(dy, w, x.shape, { padding: 1 }); // dx.shape = x.shape
 * ```
 */
export function conv2dBackwardData(dy: Tensor, weight: Tensor, inputShape: Shape, options: Conv2dDataGradOptions = {}): Tensor {
  const { g, cout, n, dx, into } = dataGradSetup(dy, weight, inputShape, options);
  const K = g.channels * g.kernelH * g.kernelW;
  const L = g.outH * g.outW;
  const kernels = backendFor(dy.dtype);
  if (kernels.conv2dBackwardData && n > 0) {
    kernels.conv2dBackwardData({ geometry: g, batch: n, cout, dy: dy.data, weight: weight.data, dx: dx.data, dxZero: into === undefined });
    return dx;
  }
  if (into === undefined) dx.data.fill(0);
  const gemm = kernels.gemm;
  const pointwise = isPointwise(g);
  const dcols: TypedArray | null = pointwise ? null : allocate(dy.dtype, n > 0 ? K * L : 0);
  const imageSize = g.channels * g.height * g.width;
  for (let b = 0; b < n; b++) {
    const target = dcols ?? dx.data;
    const targetOffset = dcols ? 0 : b * imageSize;
    gemm({
      transA: true,
      transB: false,
      m: K,
      n: L,
      k: cout,
      alpha: 1,
      a: weight.data,
      aOffset: 0,
      lda: K,
      b: dy.data,
      bOffset: b * cout * L,
      ldb: L,
      beta: dcols || into === undefined ? 0 : 1,
      c: target,
      cOffset: targetOffset,
      ldc: L,
    });
    if (dcols) {
      col2imAccumulateImage({ geometry: g, image: dx.data, imageOffset: b * imageSize, cols: dcols, colsOffset: 0 });
    }
  }
  return dx;
}

/**
 * Checks the arguments of {@link conv2dBackwardWeight} and makes (or takes) its `dW`; `intoName`
 * names `options.accumulateInto` in errors (conv2dBackward calls it `weightGradInto`).
 */
function weightGradSetup(dy: Tensor, x: Tensor, weightShape: Shape, options: Conv2dWeightGradOptions, intoName = "accumulateInto") {
  const op = options.op ?? "Conv2D";
  checkRank(op, "output gradient", dy, 4);
  checkRank(op, "input", x, 4);
  checkSameDType(op, "output gradient", dy, x.dtype);
  checkShape4(op, "weightShape", weightShape);
  if (weightShape.some((d) => d < 1)) {
    throw new ShapeError(op, `weight sizes must be positive (weight ${formatShape(weightShape)})`);
  }
  checkInputChannels(op, x.shape, weightShape);
  const g = geometryFor(op, x.shape, weightShape, options);
  const cout = weightShape[0];
  checkGradOutput(op, dy, x.shape, cout, g);
  let dW: Tensor;
  if (options.accumulateInto !== undefined) {
    dW = options.accumulateInto;
    if (!(dW instanceof Tensor) || dW.shape.length !== 4 || dW.shape.some((d, i) => d !== weightShape[i])) {
      throw new ShapeError(op, `${intoName} must have the weight shape ${formatShape(weightShape)}`);
    }
    checkSameDType(op, intoName, dW, x.dtype);
  } else {
    dW = new Tensor(x.dtype, weightShape);
  }
  const db = options.biasGradInto;
  if (db !== undefined) {
    if (!(db instanceof Tensor) || db.rank !== 1 || db.shape[0] !== cout) {
      throw new ShapeError(op, `biasGradInto must have shape [${cout}] (weight ${formatShape(weightShape)})`);
    }
    checkSameDType(op, "biasGradInto", db, x.dtype);
  }
  return { g, cout, dW, db };
}

/**
 * The gradient of {@link conv2dForward} with respect to its weight (and optionally its bias): per
 * image `dW += dy[n] @ cols[n]^T`, a GEMM with `beta = 1` accumulating over the batch.
 *
 * Shapes: `dy` `[N, Cout, outH, outW]`, `x` `[N, Cin, H, W]` (the forward input), `weightShape`
 * `[Cout, Cin, kh, kw]`; returns `dW` `[Cout, Cin, kh, kw]`: a new tensor, or
 * `options.accumulateInto` with the gradient added to it. With `options.biasGradInto` (`[Cout]`)
 * the bias gradient `sum_{n,y,x} dy[n, co, y, x]` is added there too.
 *
 * @example
 * ```ts
 * const dW = conv2dBackwardWeight(dy, x, w.shape, { padding: 1 });
 * // or accumulate into a parameter's gradient:
 * conv2dBackwardWeight(dy, x, w.shape, { padding: 1, accumulateInto: p.grad, biasGradInto: b.grad });
 * ```
 */
export function conv2dBackwardWeight(
  dy: Tensor,
  x: Tensor,
  weightShape: Shape,
  options: Conv2dWeightGradOptions = {},
): Tensor {
  const { g, cout, dW, db } = weightGradSetup(dy, x, weightShape, options);
  const n = x.shape[0];
  const K = g.channels * g.kernelH * g.kernelW;
  const L = g.outH * g.outW;
  const kernels = backendFor(x.dtype);
  if (kernels.conv2dBackwardWeight && n > 0) {
    kernels.conv2dBackwardWeight({ geometry: g, batch: n, cout, dy: dy.data, x: x.data, dW: dW.data });
    if (db !== undefined) conv2dBackwardBias(dy, db);
    return dW;
  }
  const gemm = kernels.gemm;
  const pointwise = isPointwise(g);
  const cols: TypedArray = pointwise ? x.data : allocate(x.dtype, n > 0 ? K * L : 0);
  const imageSize = g.channels * g.height * g.width;
  const gd = dy.data;
  for (let b = 0; b < n; b++) {
    let colsOffset = 0;
    if (pointwise) colsOffset = b * imageSize;
    else im2colImage({ geometry: g, image: x.data, imageOffset: b * imageSize, cols, colsOffset: 0 });
    gemm({
      transA: false,
      transB: true,
      m: cout,
      n: K,
      k: L,
      alpha: 1,
      a: gd,
      aOffset: b * cout * L,
      lda: L,
      b: cols,
      bOffset: colsOffset,
      ldb: L,
      beta: 1,
      c: dW.data,
      cOffset: 0,
      ldc: K,
    });
  }
  if (db !== undefined) conv2dBackwardBias(dy, db);
  return dW;
}

/** Options of {@link conv2dBackward}: the window options plus where the parameter gradients go. */
export interface Conv2dBackwardOptions extends Conv2dOptions {
  /** Add the weight gradient into this `[Cout, Cin, kh, kw]` tensor (else a new one). */
  weightGradInto?: Tensor;
  /** Also add the bias gradient into this `[Cout]` tensor. */
  biasGradInto?: Tensor;
}

/**
 * Both gradients of {@link conv2dForward} in one call: the input gradient as
 * {@link conv2dBackwardData} computes it (a new `dx`), and the weight (and bias) gradients as
 * {@link conv2dBackwardWeight} does, added into `options.weightGradInto` / `biasGradInto`. A
 * backend with a `conv2dBackward` kernel gets both at once and may compute them concurrently
 * (the wasm backend with threads does); the results are the two functions' bit for bit.
 *
 * Shapes: `dy` `[N, Cout, outH, outW]`, `x` `[N, Cin, H, W]`, `weight` `[Cout, Cin, kh, kw]`;
 * returns `{ dx, dW }` (`dx` shaped as `x`, `dW` as `weight`).
 *
 * @example
 * ```ts
 * const { dx } = conv2dBackward(dy, x, w, { padding: 1, weightGradInto: p.grad, biasGradInto: b.grad });
 * ```
 */
export function conv2dBackward(dy: Tensor, x: Tensor, weight: Tensor, options: Conv2dBackwardOptions = {}): { dx: Tensor; dW: Tensor } {
  const { weightGradInto, biasGradInto, ...window } = options;
  checkRank(window.op ?? "Conv2D", "input", x, 4);
  const { g, cout, n, dx } = dataGradSetup(dy, weight, x.shape, window);
  const { dW, db } = weightGradSetup(dy, x, weight.shape, { ...window, accumulateInto: weightGradInto, biasGradInto }, "weightGradInto");
  const kernels = backendFor(dy.dtype);
  if (kernels.conv2dBackward && n > 0) {
    kernels.conv2dBackward({ geometry: g, batch: n, cout, dy: dy.data, x: x.data, weight: weight.data, dx: dx.data, dW: dW.data, dxZero: true });
    if (db !== undefined) conv2dBackwardBias(dy, db);
  } else {
    // the reference path: the two functions, into the checked fresh dx (zero-filled here) and dW
    dx.data.fill(0);
    conv2dBackwardData(dy, weight, x.shape, { ...window, accumulateInto: dx });
    conv2dBackwardWeight(dy, x, weight.shape, { ...window, accumulateInto: dW, biasGradInto: db });
  }
  return { dx, dW };
}

/**
 * The bias gradient of a convolution: `db[co] += sum over n, y, x of dy[n, co, y, x]`. Adds into
 * `into` (`[Cout]`) when given, else returns a new `[Cout]` tensor.
 *
 * @example
 * ```ts
 * conv2dBackwardBias(dy).shape; // [dy.shape[1]]
 * ```
 */
export function conv2dBackwardBias(dy: Tensor, into?: Tensor): Tensor {
  checkRank("Conv2D", "output gradient", dy, 4);
  const [n, cout, h, w] = dy.shape;
  const db = into ?? new Tensor(dy.dtype, [cout]);
  if (db.rank !== 1 || db.shape[0] !== cout) {
    throw new ShapeError("Conv2D", `bias gradient must have shape [${cout}] (got ${formatShape(db.shape)})`);
  }
  const L = h * w;
  const gd = dy.data;
  const dd = db.data;
  for (let co = 0; co < cout; co++) {
    let s = 0;
    for (let b = 0; b < n; b++) {
      const off = (b * cout + co) * L;
      for (let i = 0; i < L; i++) s += gd[off + i];
    }
    dd[co] += s;
  }
  return db;
}

/** Options of {@link Conv2D}. */
export interface Conv2DOptions {
  /** Step between windows (default 1). */
  stride?: Size2;
  /** Implicit zero padding on both sides (default 0). */
  padding?: Size2;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** Parameter dtype (default `"float32"`); inputs must match. */
  dtype?: DType;
  /** Generator for the initial weights (default `globalRng()`). */
  rng?: Rng;
}

function normPair(op: string, what: string, value: Size2 | undefined, dflt: number, min: number): [number, number] {
  const v = value ?? dflt;
  const p: [number, number] = typeof v === "number" ? [v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : [NaN, NaN];
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
 * A 2-D convolution layer, `torch.nn.Conv2d(in, out, kernel_size, stride, padding, dilation,
 * bias=True)` (groups 1, zero padding): `y[n, co] = b[co] + sum_ci W[co, ci] * x[n, ci]`
 * (cross-correlation), via im2col + GEMM.
 *
 * Parameters: `weight` `[out, in, kh, kw]` and `bias` `[out]`, initialised as PyTorch's
 * `reset_parameters` (`U(-1/sqrt(fanIn), 1/sqrt(fanIn))` for both, `fanIn = in*kh*kw`) from
 * `options.rng`. Input `[N, in, H, W]`, output `[N, out, outH, outW]` (see {@link conv2dForward}).
 * Backward keeps only the input; it adds into `weight.grad` / `bias.grad` and returns `dx` (or,
 * with `{ inputGrad: false }`, null without computing it).
 *
 * @example
 * ```ts
 * const conv = new Conv2D(3, 16, 3, { padding: 1, rng: new Rng(0) });
 * const y = conv.forward(x);          // [N, 16, H, W]
 * const dx = conv.backward(dy);       // [N, 3, H, W]; conv.weight.grad holds dL/dW
 * ```
 */
export class Conv2D extends Layer {
  /** Weight `[out, in, kh, kw]`. */
  readonly weight: Parameter;
  /** Bias `[out]`, or null with `bias: false`. */
  readonly bias: Parameter | null;
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** Kernel `[kh, kw]`. */
  readonly kernelSize: [number, number];
  /** Stride `[sh, sw]`. */
  readonly stride: [number, number];
  /** Zero padding `[ph, pw]` on both sides. */
  readonly padding: [number, number];
  /** Dilation `[dh, dw]`. */
  readonly dilation: [number, number];
  /** Parameter dtype; inputs must match. */
  readonly dtype: DType;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options: Conv2DOptions = {}) {
    super();
    const op = "Conv2D";
    for (const [what, v] of [
      ["inChannels", inChannels],
      ["outChannels", outChannels],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ArgumentError(op, `${what} must be a positive integer (got ${v})`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = normPair(op, "kernelSize", kernelSize, 1, 1);
    this.stride = normPair(op, "stride", options.stride, 1, 1);
    this.padding = normPair(op, "padding", options.padding, 0, 0);
    this.dilation = normPair(op, "dilation", options.dilation, 1, 1);
    this.dtype = options.dtype ?? "float32";
    if (this.dtype !== "float32" && this.dtype !== "float64") {
      throw new ArgumentError(op, `unknown dtype ${String(this.dtype)} (expected float32 or float64)`);
    }
    const rng = options.rng ?? globalRng();
    const [kh, kw] = this.kernelSize;
    const fanIn = inChannels * kh * kw;
    const bound = defaultInitBound(fanIn);
    this.weight = this.registerParameter("weight", new Parameter(new Tensor(this.dtype, [outChannels, inChannels, kh, kw])));
    uniformInit(this.weight.value, bound, rng);
    if (options.bias ?? true) {
      this.bias = this.registerParameter("bias", new Parameter(new Tensor(this.dtype, [outChannels])));
      uniformInit(this.bias.value, bound, rng);
    } else {
      this.bias = null;
    }
  }

  private windowOptions(): Conv2dOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, op: "Conv2D" };
  }

  forward(x: Tensor): Tensor {
    checkInput("Conv2D", x, this.dtype, 4);
    const y = conv2dForward(x, this.weight.value, this.bias ? this.bias.value : null, this.windowOptions());
    this.saveForBackward(x);
    return y;
  }

  /**
   * Adds dL/dW (and dL/db) into the parameters' gradients and returns dL/dx, `[N, in, H, W]`. With
   * `{ inputGrad: false }` it returns null and does not compute dL/dx (the parameter gradients are
   * the same bits): for a first layer, whose input needs no gradient.
   */
  backward(dy: Tensor): Tensor;
  backward(dy: Tensor, options: BackwardOptions & { inputGrad: false }): null;
  backward(dy: Tensor, options?: BackwardOptions): Tensor | null;
  backward(dy: Tensor, options?: BackwardOptions): Tensor | null {
    const inputGrad = wantsInputGrad("Conv2D", options);
    const x = this.takeSaved<Tensor>();
    const window = this.windowOptions();
    const biasGradInto = this.bias ? this.bias.grad : undefined;
    if (!inputGrad) {
      conv2dBackwardWeight(dy, x, this.weight.value.shape, { ...window, accumulateInto: this.weight.grad, biasGradInto });
      return null;
    }
    return conv2dBackward(dy, x, this.weight.value, { ...window, weightGradInto: this.weight.grad, biasGradInto }).dx;
  }
}
