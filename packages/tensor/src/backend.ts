import type { DType, TypedArray } from "./dtype.js";

/**
 * Arguments of a GEMM, `C = alpha * op(A) * op(B) + beta * C`, on row-major matrices inside flat
 * typed arrays (BLAS conventions, row-major):
 * - `op(A)` is `m x k`: A is stored `m x k` with leading dimension `lda >= k`, or, when `transA`,
 *   stored `k x m` with `lda >= m`. Likewise `op(B)` is `k x n`.
 * - C is `m x n` with `ldc >= n`.
 * - Offsets let a kernel work on one image of a batch without a copy or a subarray.
 * - When `beta` is 0, C is overwritten and its old contents (even NaN) are ignored, as in BLAS.
 * A, B and C must all be of one dtype, and C must not overlap A or B.
 */
export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  a: TypedArray;
  aOffset: number;
  lda: number;
  b: TypedArray;
  bOffset: number;
  ldb: number;
  beta: number;
  c: TypedArray;
  cOffset: number;
  ldc: number;
}

/**
 * Geometry of a 2-D convolution window over one NCHW image: the input size, the kernel, stride,
 * padding and dilation per axis, and the output size they give.
 */
export interface ConvGeometry {
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

/**
 * Arguments of an im2col/col2im kernel on one image. `image` holds `channels x height x width`
 * values from `imageOffset`; `cols` holds the `[channels*kernelH*kernelW, outH*outW]` column matrix
 * from `colsOffset` (row `(c*kernelH + i)*kernelW + j`, column `oy*outW + ox`).
 */
export interface Im2colArgs {
  geometry: ConvGeometry;
  image: TypedArray;
  imageOffset: number;
  cols: TypedArray;
  colsOffset: number;
}

/**
 * Arguments shared by the optional fused convolution kernels of a {@link KernelBackend}: a batch of
 * contiguous NCHW images of `geometry` (groups 1) and `cout` output channels. Weights are
 * `[cout, channels*kernelH*kernelW]` (OIHW flattened), outputs and output gradients
 * `[batch, cout, outH*outW]`, images `[batch, channels, height, width]`, all from offset 0. The math
 * is the im2col + GEMM of the reference path ({@link Im2colArgs} layout); a backend that fuses it can
 * keep the column matrix in its own memory.
 */
export interface Conv2dBatchArgs {
  geometry: ConvGeometry;
  batch: number;
  cout: number;
}

/** `out[b] = weight @ im2col(x[b]) (+ bias[co] on every output channel row)`; overwrites `out`. */
export interface Conv2dForwardArgs extends Conv2dBatchArgs {
  x: TypedArray;
  weight: TypedArray;
  bias: TypedArray | null;
  out: TypedArray;
}

/** `dx[b] += col2im(weight^T @ dy[b])`: accumulates into `dx`. */
export interface Conv2dBackwardDataArgs extends Conv2dBatchArgs {
  dy: TypedArray;
  weight: TypedArray;
  dx: TypedArray;
  /**
   * `dx` is a fresh gradient: whatever it holds must be ignored and taken as zeros, so the backend
   * computes `dx = col2im(...)` and writes every element of it (storing the sums, or zeroing its
   * copy before accumulating). The values are those of accumulating into zeros: a sum that starts
   * from +0 is never -0, and 0 + s = s. Omitted or `false`: `dx` is accumulated into.
   */
  dxZero?: boolean;
}

/** `dW += sum_b dy[b] @ im2col(x[b])^T`: accumulates into `dW` (`[cout, channels*kernelH*kernelW]`). */
export interface Conv2dBackwardWeightArgs extends Conv2dBatchArgs {
  dy: TypedArray;
  x: TypedArray;
  dW: TypedArray;
}

/**
 * Both gradients of one convolution in one call: `dx` as {@link Conv2dBackwardDataArgs} (added to,
 * or stored when `dxZero`) and `dW` as {@link Conv2dBackwardWeightArgs} (added to). The results are
 * the two separate kernels' bit for bit; a backend with threads may compute them concurrently.
 */
export interface Conv2dBackwardArgs extends Conv2dBatchArgs {
  dy: TypedArray;
  x: TypedArray;
  weight: TypedArray;
  dx: TypedArray;
  dW: TypedArray;
  /** As {@link Conv2dBackwardDataArgs.dxZero}. */
  dxZero?: boolean;
}

/**
 * `out[i] = a[i] + b[i]` for every element, rounded once to the dtype (what a JavaScript loop over
 * typed arrays gives). The three have one length; `out` may be `a` or `b`.
 */
export interface AddArgs {
  a: TypedArray;
  b: TypedArray;
  out: TypedArray;
}

/** `y[i] = x[i] > 0 ? x[i] : 0` for every element (NaN, -0 and +0 give +0), as `torch.relu`. */
export interface ReluForwardArgs {
  x: TypedArray;
  /** Same length as `x`; overwritten. */
  y: TypedArray;
}

/** `dx[i] = y[i] > 0 ? dy[i] : 0` from ReLU's output `y` (PyTorch's `threshold_backward`). */
export interface ReluBackwardArgs {
  dy: TypedArray;
  y: TypedArray;
  /** Same length as `dy` and `y`; overwritten. */
  dx: TypedArray;
}

/**
 * An NCHW tensor as the per-channel kernels see it: `batch x channels x plane` contiguous elements
 * from offset 0 (`plane = H*W`), element `(b, ch, i)` at `(b*channels + ch)*plane + i`.
 */
export interface ChannelLayout {
  batch: number;
  channels: number;
  plane: number;
}

/**
 * BatchNorm's per-channel batch statistics, as `batchNormStatistics` of @unetkit/layers computes
 * them: over the `batch*plane` elements of each channel, in float64 on values shifted by the
 * channel's first element `x[0, ch, 0]`, `mean = shift + s/count` and the biased
 * `variance = max(0, s2/count - (s/count)^2)` (`s`, `s2` the sums of the shifted values and of their
 * squares). Writes `mean[ch]` and `variance[ch]`; channels with no elements get 0 and 0.
 */
export interface BatchNormStatisticsArgs extends ChannelLayout {
  x: TypedArray;
  /** Length at least `channels`; overwritten. */
  mean: Float64Array;
  /** Length at least `channels`; overwritten. */
  variance: Float64Array;
}

/**
 * BatchNorm's per-channel affine normalisation `y = (x - mean[ch]) * scale[ch] + shift[ch]`,
 * computed in float64 and rounded once (training: the batch mean and `scale = weight * invstd`;
 * eval: the running mean and `weight / sqrt(runningVar + eps)`).
 */
export interface BatchNormNormalizeArgs extends ChannelLayout {
  x: TypedArray;
  /** Same length as `x`; overwritten. */
  y: TypedArray;
  mean: Float64Array;
  scale: Float64Array;
  shift: Float64Array;
  /** Then ReLU: `y = y > 0 ? y : 0` on the rounded values (`BatchNorm2D.forwardReLU`). Default false. */
  relu?: boolean;
}

/**
 * BatchNorm's whole training-mode forward in one call: the batch statistics of
 * {@link BatchNormStatisticsArgs}, then per channel `invstd = 1 / sqrt(variance + eps)` and the
 * normalisation of {@link BatchNormNormalizeArgs} with `scale = weight[ch] * invstd` (weight 1 when
 * null) and `shift = bias[ch]` (0 when null), all in float64 as `BatchNorm2D.forward` computes them
 * (the same bits as the two calls). A backend can then compute each channel's statistics and its
 * normalisation while the channel is in cache, and share the channels among threads in one hand-off.
 * `batch * plane` must be at least 1.
 */
export interface BatchNormForwardArgs extends ChannelLayout {
  x: TypedArray;
  /** Same length as `x`; overwritten. */
  y: TypedArray;
  /** The per-channel scale (length at least `channels`), or null for none. */
  weight: TypedArray | null;
  /** The per-channel shift (length at least `channels`), or null for none. */
  bias: TypedArray | null;
  /** Added to the variance before the square root (finite, at least 0). */
  eps: number;
  /** Then ReLU, as {@link BatchNormNormalizeArgs.relu}. Default false. */
  relu?: boolean;
  /** Length at least `channels`; overwritten with the batch mean. */
  mean: Float64Array;
  /** Length at least `channels`; overwritten with the biased batch variance. */
  variance: Float64Array;
  /** Length at least `channels`; overwritten with `1 / sqrt(variance + eps)`. */
  invstd: Float64Array;
}

/**
 * BatchNorm's backward, as `BatchNorm2D.backward` of @unetkit/layers computes it, in float64: per
 * channel `sumDy = sum(dy)` and `sumDyXhat = invstd * sum(dy * (x - mean))` (written to the two
 * outputs: the bias and weight gradients, which the caller adds where they belong), and with
 * `k = weight[ch] * invstd[ch]` (weight 1 when null):
 * - `batchStats` (training): `dx = k*dy + cx*(x - mean) + c0` with `c0 = -k*sumDy/count`,
 *   `cx = -k*invstd*sumDyXhat/count`, `count = batch*plane`;
 * - otherwise (running statistics): `dx = k*dy`.
 */
export interface BatchNormBackwardArgs extends ChannelLayout {
  dy: TypedArray;
  /** The forward input. */
  x: TypedArray;
  /** Same length as `dy`; overwritten. */
  dx: TypedArray;
  mean: Float64Array;
  invstd: Float64Array;
  /** The per-channel scale (length `channels`), or null for no affine weight. */
  weight: TypedArray | null;
  batchStats: boolean;
  /** Length at least `channels`; overwritten. */
  sumDy: Float64Array;
  /** Length at least `channels`; overwritten. */
  sumDyXhat: Float64Array;
  /**
   * The output of a ReLU applied after this BatchNorm (same length as `dy`), whose gradient `dy`
   * then is: every `dy[i]` with `gate[i] > 0` false counts as 0, as ReLU's backward would make it
   * (`BatchNorm2D.backwardReLU`). Default none.
   */
  gate?: TypedArray | null;
}

/**
 * 2x2 max pooling with stride 2 and no padding over `planes` planes of `height x width` (NCHW with
 * `planes = N*C`) into `outH x outW` planes (`2*outH <= height`, `2*outW <= width`; a trailing odd
 * row or column is not read), as `maxPool2dForward` of @unetkit/layers: scan order top-left,
 * top-right, bottom-left, bottom-right, a strictly greater value or a NaN replaces the best (the
 * first maximum wins ties, the last NaN wins). Writes `y` and, per output, the arg-max's index
 * `iy*width + ix` inside its plane to `indices`.
 */
export interface MaxPool2x2Args {
  x: TypedArray;
  /** `planes*outH*outW` elements; overwritten. */
  y: TypedArray;
  /** `planes*outH*outW` elements; overwritten. */
  indices: Int32Array;
  planes: number;
  height: number;
  width: number;
  outH: number;
  outW: number;
}

/**
 * Max pooling's gradient: `dx` (`planes*inPlane` elements) is overwritten with zeros, then every
 * output element `i` of plane `p` whose index `indices[p*outPlane + i]` is not negative adds
 * `dy[p*outPlane + i]` to `dx[p*inPlane + index]`, in ascending `i` (overlapping windows add up).
 */
export interface MaxPoolBackwardArgs {
  /** `planes*outPlane` elements. */
  dy: TypedArray;
  /** `planes*outPlane` indices inside each input plane (`[0, inPlane)`), -1 for none. */
  indices: Int32Array;
  dx: TypedArray;
  planes: number;
  inPlane: number;
  outPlane: number;
}

/**
 * Nearest-neighbour x2 upsampling of `planes` planes of `height x width`: each input element becomes
 * a 2x2 block of `y` (`planes x 2*height x 2*width`, overwritten).
 */
export interface UpsampleNearest2xArgs {
  x: TypedArray;
  y: TypedArray;
  planes: number;
  height: number;
  width: number;
}

/**
 * The gradient of {@link UpsampleNearest2xArgs}: each element of `dx` (`planes x height x width`,
 * overwritten) is the sum of its 2x2 block of `dy` (`planes x 2*height x 2*width`), added in the
 * order +0, top-left, top-right, bottom-left, bottom-right in the arrays' precision.
 */
export interface UpsampleNearest2xBackwardArgs {
  dy: TypedArray;
  dx: TypedArray;
  planes: number;
  height: number;
  width: number;
}

/**
 * How the planes of one operand of {@link UpsampleNearest2xIntoArgs} or
 * {@link UpsampleNearest2xBackwardFromArgs} lie in its array: in runs of `runPlanes` consecutive
 * planes, run `r` starting at element `r * runStride` (a run's planes are contiguous). With
 * `runPlanes` the channels C of an `[N, C, H, W]` tensor and `runStride` the image size of a wider
 * `[N, C', H, W]` one, the array (a view from the first element of channel `c0`) is channels
 * `c0 .. c0+C` of that wider tensor: an upsampled map written straight into its part of a
 * channel concatenation, or its gradient read from there. `planes` must be a multiple of
 * `runPlanes`, and runs must not overlap (`runStride >= runPlanes * plane size`).
 */
export interface PlaneRuns {
  runPlanes: number;
  runStride: number;
}

/**
 * {@link UpsampleNearest2xArgs} with the planes of `y` in runs (see {@link PlaneRuns}); the rest of
 * `y` is left as it is.
 */
export interface UpsampleNearest2xIntoArgs extends UpsampleNearest2xArgs, PlaneRuns {}

/**
 * {@link UpsampleNearest2xBackwardArgs} with the planes of `dy` in runs (see {@link PlaneRuns}); `dx`
 * is contiguous.
 */
export interface UpsampleNearest2xBackwardFromArgs extends UpsampleNearest2xBackwardArgs, PlaneRuns {}

/**
 * One axis of a bilinear resize: output position `o` blends input positions `i0[o]` and `i1[o]`
 * with weights `w0[o]` and `w1[o]` (one entry per output position; `@unetkit/upsampling`'s
 * `linearTable` makes them as PyTorch does).
 */
export interface InterpolationTable {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float64Array;
  w1: Float64Array;
}

/**
 * The sizes and tables of a bilinear resize ({@link BilinearUpsampleArgs},
 * {@link BilinearUpsampleBackwardArgs}): `planes` planes of `inH x inW` to `outH x outW`, a row table
 * of `outH` entries (indices below `inH`) and a column table of `outW` entries (indices below `inW`);
 * optionally the resized operand's planes in runs ({@link PlaneRuns}).
 */
export interface BilinearResize extends Partial<PlaneRuns> {
  planes: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  rows: InterpolationTable;
  cols: InterpolationTable;
}

/**
 * Bilinear resizing of `planes` planes of `inH x inW` (`x`) into `outH x outW` (`y`, overwritten) by
 * a row table (`outH` entries, indices below `inH`) and a column table (`outW` entries, indices below
 * `inW`). In float64, separably: per plane, `t[iy][ox] = cols.w0[ox] * x[iy][c0] + cols.w1[ox] *
 * x[iy][c1]` for every input row, then `y[oy][ox] = rows.w0[oy] * t[r0][ox] + rows.w1[oy] *
 * t[r1][ox]` rounded to the array's precision (the order of `@unetkit/upsampling`'s loops, so a
 * backend gives their bits). With `runPlanes` and `runStride` ({@link PlaneRuns}), y's planes lie
 * in runs (a channel slice of a wider tensor) and the rest of `y` is left as it is.
 */
export interface BilinearUpsampleArgs extends BilinearResize {
  x: TypedArray;
  y: TypedArray;
}

/**
 * The gradient of {@link BilinearUpsampleArgs}: `dx` (`planes x inH x inW`, overwritten) from `dy`
 * (`planes x outH x outW`). Per plane, each output row's gradient is scattered onto its two rows of
 * a float64 scratch (`t[r0] += w0 * v`, `t[r1] += w1 * v`, rows in order), then each scratch row onto
 * its input row (`dx[c0] += cols.w0 * t`, then `dx[c1] += cols.w1 * t`, each sum rounded to the
 * array's precision), starting from zeros. With `runPlanes` and `runStride` ({@link PlaneRuns}),
 * dy's planes lie in runs (a channel slice of a wider tensor).
 */
export interface BilinearUpsampleBackwardArgs extends BilinearResize {
  dy: TypedArray;
  dx: TypedArray;
}

/** Integer class labels as the loss kernels take them. */
export type LabelArray = Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | Uint32Array;

/**
 * Softmax cross-entropy with class-index labels, value and gradient (the `"mean"`/`"sum"` path of
 * `crossEntropyLoss` in @unetkit/layers), in float64 per position: logits `[batch, classes,
 * positions]` (positions = H*W..., 1 for `[N, C]`), labels `[batch, positions]` in `[0, classes)`
 * or equal to `ignoreIndex`. With `lse` the log-sum-exp over classes, `w` the class weights (ones
 * when null) and `eps` the label smoothing, each non-ignored position adds
 * `(1-eps)*w[y]*(lse - x_y) + (eps/C)*sum_k w[k]*(lse - x_k)` to the returned total (in position
 * order), and `grad` (the logits' layout, overwritten) gets
 * `scale * ((1-eps)*w[y]*(p_k - [k == y]) + (eps/C)*(sum(w)*p_k - w[k]))`, 0 at ignored positions.
 * The logits must be finite (the caller checks).
 */
export interface SoftmaxCrossEntropyArgs {
  logits: TypedArray;
  labels: LabelArray;
  grad: TypedArray;
  batch: number;
  classes: number;
  positions: number;
  weight: Float64Array | null;
  labelSmoothing: number;
  ignoreIndex: number;
  scale: number;
}

/**
 * A set of compute kernels. Layers never call a backend directly: they call the ops (`matmul`,
 * `im2col`, ...), which ask {@link backendFor} for the active backend that supports the dtype.
 * `gemm` is required; every other kernel is optional, and the ops fall back to the TypeScript
 * reference implementation when a backend leaves one out. A backend lists the dtypes it runs:
 * tensors of any other dtype go to the TypeScript reference backend.
 *
 * @example
 * ```ts
 * const mine: KernelBackend = { name: "mine", dtypes: ["float32"], gemm: (args) => { ... } };
 * setBackend(mine);
 * ```
 */
export interface KernelBackend {
  /** A short name, reported by benchmarks and tests. */
  readonly name: string;
  /** The dtypes this backend computes; others fall back to the TypeScript backend. */
  readonly dtypes: readonly DType[];
  /** `C = alpha * op(A) * op(B) + beta * C`, see {@link GemmArgs}. */
  gemm(args: GemmArgs): void;
  /** Writes the column matrix of one image (overwrites `cols`). */
  im2col?(args: Im2colArgs): void;
  /** Scatter-adds the column matrix of one image into it: `image += col2im(cols)`. */
  col2imAccumulate?(args: Im2colArgs): void;
  /** Fused im2col + GEMM convolution forward over a batch, see {@link Conv2dForwardArgs}. */
  conv2dForward?(args: Conv2dForwardArgs): void;
  /** Fused GEMM + col2im input gradient over a batch, see {@link Conv2dBackwardDataArgs}. */
  conv2dBackwardData?(args: Conv2dBackwardDataArgs): void;
  /** Fused im2col + GEMM weight gradient over a batch, see {@link Conv2dBackwardWeightArgs}. */
  conv2dBackwardWeight?(args: Conv2dBackwardWeightArgs): void;
  /** Both gradients of one convolution at once, see {@link Conv2dBackwardArgs}. */
  conv2dBackward?(args: Conv2dBackwardArgs): void;
  /** Elementwise sum of two same-shape tensors (`add` and `addInPlace`), see {@link AddArgs}. */
  add?(args: AddArgs): void;
  /** ReLU forward, see {@link ReluForwardArgs}. */
  reluForward?(args: ReluForwardArgs): void;
  /** ReLU backward, see {@link ReluBackwardArgs}. */
  reluBackward?(args: ReluBackwardArgs): void;
  /** BatchNorm batch statistics (float64 mean and biased variance), see {@link BatchNormStatisticsArgs}. */
  batchNormStatistics?(args: BatchNormStatisticsArgs): void;
  /** BatchNorm per-channel normalisation, see {@link BatchNormNormalizeArgs}. */
  batchNormNormalize?(args: BatchNormNormalizeArgs): void;
  /** BatchNorm's training forward (statistics, then normalisation) in one call, see {@link BatchNormForwardArgs}. */
  batchNormForward?(args: BatchNormForwardArgs): void;
  /** BatchNorm input gradient and parameter-gradient sums, see {@link BatchNormBackwardArgs}. */
  batchNormBackward?(args: BatchNormBackwardArgs): void;
  /** 2x2 stride-2 max pooling with arg-max indices, see {@link MaxPool2x2Args}. */
  maxPool2x2?(args: MaxPool2x2Args): void;
  /** Max pooling's gradient scattered through the arg-max indices, see {@link MaxPoolBackwardArgs}. */
  maxPoolBackward?(args: MaxPoolBackwardArgs): void;
  /** Nearest-neighbour x2 upsampling, see {@link UpsampleNearest2xArgs}. */
  upsampleNearest2x?(args: UpsampleNearest2xArgs): void;
  /** Nearest-neighbour x2 upsampling's gradient, see {@link UpsampleNearest2xBackwardArgs}. */
  upsampleNearest2xBackward?(args: UpsampleNearest2xBackwardArgs): void;
  /** {@link KernelBackend.upsampleNearest2x} into planes in runs (a channel slice), see {@link UpsampleNearest2xIntoArgs}. */
  upsampleNearest2xInto?(args: UpsampleNearest2xIntoArgs): void;
  /** {@link KernelBackend.upsampleNearest2xBackward} from planes in runs (a channel slice), see {@link UpsampleNearest2xBackwardFromArgs}. */
  upsampleNearest2xBackwardFrom?(args: UpsampleNearest2xBackwardFromArgs): void;
  /** Bilinear resizing by row and column tables, see {@link BilinearUpsampleArgs}. */
  bilinearUpsample?(args: BilinearUpsampleArgs): void;
  /** Bilinear resizing's gradient, see {@link BilinearUpsampleBackwardArgs}. */
  bilinearUpsampleBackward?(args: BilinearUpsampleBackwardArgs): void;
  /** Softmax cross-entropy value (returned: the sum over positions) and gradient, see {@link SoftmaxCrossEntropyArgs}. */
  softmaxCrossEntropy?(args: SoftmaxCrossEntropyArgs): number;
  /**
   * Memory for an {@link Arena}'s chunks: `length` float32 elements that this backend's kernels read
   * and write where they are, without copying them (the wasm backend hands out views of its
   * WebAssembly memory). The contents are unspecified (the arena zero-fills what it hands out).
   * Returns `null` when there is no room; the arena then uses an ordinary `Float32Array`.
   */
  allocateBlock?(length: number): Float32Array | null;
  /** Gives back a block from {@link KernelBackend.allocateBlock}; nothing may use it afterwards. */
  freeBlock?(block: Float32Array): void;
  /**
   * Opens a scope in which {@link KernelBackend.conv2dBackward} and
   * {@link KernelBackend.conv2dBackwardWeight} may return before their weight gradient is in `dW`:
   * the backend finishes it on another thread while the caller goes on (a backward pass computes
   * the next layer's input gradient meanwhile). Inside the scope, the `x`, `dy` and `dW` of every
   * such call must be left as they are (neither written nor freed, and `dW` not read) until the
   * scope ends. Scopes nest: only the outermost {@link KernelBackend.endDeferred} waits. Use
   * {@link withDeferredWeightGradients}, which keeps the pairing.
   */
  beginDeferred?(): void;
  /** Closes the scope of {@link KernelBackend.beginDeferred}: when the outermost one returns, every weight gradient of the scope is in its `dW`. */
  endDeferred?(): void;
}
