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
}

/** `dW += sum_b dy[b] @ im2col(x[b])^T`: accumulates into `dW` (`[cout, channels*kernelH*kernelW]`). */
export interface Conv2dBackwardWeightArgs extends Conv2dBatchArgs {
  dy: TypedArray;
  x: TypedArray;
  dW: TypedArray;
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
}
