import {
  ArgumentError,
  checkGemmArgs,
  type ConvGeometry,
  type Conv2dBackwardArgs,
  type Conv2dBackwardDataArgs,
  type Conv2dBackwardWeightArgs,
  type Conv2dBatchArgs,
  type Conv2dForwardArgs,
  type GemmArgs,
  type Im2colArgs,
  type KernelBackend,
  type TypedArray,
} from "@unetkit/tensor";
import { isNode, loadKernelsModule, relaxedSimdSupported } from "./load-module.js";
import { CALLABLE_KERNELS, WORKER_SOURCE, type CallableKernel } from "./worker-source.js";
import { atomicsWaitAllowed, defaultWebThreads, startWebWorkers, webThreadsAvailable } from "./web-workers.js";
import type {
  BatchNormBackwardArgs,
  BatchNormForwardArgs, BatchNormNormalizeArgs, BatchNormStatisticsArgs, MaxPool2x2Args, MaxPoolBackwardArgs, ReluBackwardArgs,
  AddArgs, ReluForwardArgs, SoftmaxCrossEntropyArgs, UpsampleNearest2xArgs, UpsampleNearest2xBackwardArgs,
  UpsampleNearest2xIntoArgs, UpsampleNearest2xBackwardFromArgs, BilinearUpsampleArgs, BilinearUpsampleBackwardArgs,
} from "@unetkit/tensor";
import * as elementwise from "./elementwise-kernels.js";

/** Options of {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * GEMM threads including the calling one: 1 runs everything on the calling thread (on a shared
   * memory where there is one, so that tensors can live in it, see {@link WasmBackend.allocateBlock}); more start
   * `threads - 1` worker threads over a shared WebAssembly memory: `worker_threads` in Node.js, Web
   * Workers in a browser context that is cross-origin isolated (`crossOriginIsolated === true`: the
   * page is served with `Cross-Origin-Opener-Policy: same-origin` and
   * `Cross-Origin-Embedder-Policy: require-corp`). A browser context that is not isolated has no
   * shared memory and always runs 1 thread, whatever is asked. Defaults to
   * `os.availableParallelism()` in Node and `navigator.hardwareConcurrency` in an isolated browser
   * context. On a page's main thread, where `Atomics.wait` is forbidden, the calling thread waits for
   * the workers by spinning after computing its own share.
   */
  threads?: number;
  /**
   * Use the relaxed-SIMD build, whose GEMM micro-kernel does fused multiply-adds
   * (`f32x4.relaxed_madd`): about 1.3x the GEMM throughput on x86 CPUs with FMA, and results that
   * differ from the plain build in the last bits (one rounding per multiply-add instead of two).
   * Defaults to {@link relaxedSimdSupported}: on where the engine has relaxed SIMD (Node 22, or Node
   * 20 after {@link enableRelaxedSimd}). `true` where it is missing throws.
   */
  fma?: boolean;
  /**
   * Run 3x3, stride-1, dilation-1 convolutions by Winograd F(2x2, 3x3), which does 2.25x fewer
   * multiplies than the direct kernels, wherever it is the faster of the two: `conv2dForward` and
   * `conv2dBackwardData` when the convolution the kernel computes has at least 4 input channels
   * (for an input gradient: the forward convolution's output channels), `conv2dBackwardWeight`
   * from 2 input channels. The results differ from
   * the direct kernel's in the last bits; the worst-case rounding error bound is larger (the
   * transforms add up terms that cancel exactly), while the measured errors are about the same
   * (0.7-1.2x the direct kernel's against a float64 reference). `false` forces the direct kernels
   * everywhere, e.g. to compare. Defaults to `true`. Either way the results are deterministic and
   * bit-identical across thread counts.
   */
  winograd?: boolean;
  /**
   * The compiled single-threaded kernels (`build/kernels.wasm`, or `build/kernels-relaxed.wasm` when
   * `fma`), or its bytes, instead of loading it.
   */
  module?: WebAssembly.Module | BufferSource;
  /**
   * The compiled shared-memory kernels (`build/kernels-shared.wasm`, or
   * `build/kernels-relaxed-shared.wasm` when `fma`), or its bytes, instead of loading it.
   */
  sharedModule?: WebAssembly.Module | BufferSource;
}

/** The wasm backend: a {@link KernelBackend} for float32 that owns worker threads until {@link WasmBackend.dispose}. */
export interface WasmBackend extends KernelBackend {
  /** Threads the GEMM runs on (the calling thread included). */
  readonly threads: number;
  /** Whether the kernels are the relaxed-SIMD (fused multiply-add) build. */
  readonly fma: boolean;
  /**
   * Whether 3x3 stride-1 convolutions (forward, input and weight gradients) run by Winograd
   * F(2x2, 3x3) where it is faster (the `winograd` option of {@link createWasmBackend}); `false`:
   * always the direct kernels.
   */
  readonly winograd: boolean;
  /** im2col of one image, bit-identical to the TypeScript kernel (see {@link Im2colArgs}). */
  im2col(args: Im2colArgs): void;
  /** col2im scatter-add of one image, bit-identical to the TypeScript kernel. */
  col2imAccumulate(args: Im2colArgs): void;
  /** Fused im2col + GEMM forward over a batch: the column matrix stays in wasm memory. */
  conv2dForward(args: Conv2dForwardArgs): void;
  /** Fused GEMM + col2im input gradient over a batch (accumulates into `dx`). */
  conv2dBackwardData(args: Conv2dBackwardDataArgs): void;
  /** Fused im2col + GEMM weight gradient over a batch (accumulates into `dW`). */
  conv2dBackwardWeight(args: Conv2dBackwardWeightArgs): void;
  /**
   * Both gradients of one convolution (see {@link Conv2dBackwardArgs}). With threads, a 3x3
   * stride-1 convolution runs its weight gradient on a worker while the calling thread computes
   * the input gradient; otherwise (and always with the same bits) the two kernels one after the other.
   */
  conv2dBackward(args: Conv2dBackwardArgs): void;
  /** Elementwise sum in wasm, bit-identical to the TypeScript loop for non-NaN results (see {@link AddArgs}). */
  add(args: AddArgs): void;
  /** ReLU forward in wasm, bit-identical to the TypeScript loop (see {@link ReluForwardArgs}). */
  reluForward(args: ReluForwardArgs): void;
  /** ReLU backward in wasm, bit-identical to the TypeScript loop (see {@link ReluBackwardArgs}). */
  reluBackward(args: ReluBackwardArgs): void;
  /** BatchNorm batch statistics in wasm (f64x2 sums), bit-identical to the TypeScript loop. */
  batchNormStatistics(args: BatchNormStatisticsArgs): void;
  /** BatchNorm normalisation in wasm (f64 arithmetic), bit-identical to the TypeScript loop. */
  batchNormNormalize(args: BatchNormNormalizeArgs): void;
  /**
   * BatchNorm's training forward in wasm (statistics then normalisation, per group of channels while
   * it is in cache, the groups shared among the threads), bit-identical to the TypeScript loops.
   */
  batchNormForward(args: BatchNormForwardArgs): void;
  /** BatchNorm backward in wasm (f64 sums and arithmetic), bit-identical to the TypeScript loop. */
  batchNormBackward(args: BatchNormBackwardArgs): void;
  /** 2x2 stride-2 max pooling in wasm, identical to the TypeScript loop (see {@link MaxPool2x2Args}). */
  maxPool2x2(args: MaxPool2x2Args): void;
  /** Max pooling's gradient in wasm, identical to the TypeScript loop (see {@link MaxPoolBackwardArgs}). */
  maxPoolBackward(args: MaxPoolBackwardArgs): void;
  /** Nearest x2 upsampling in wasm (see {@link UpsampleNearest2xArgs}). */
  upsampleNearest2x(args: UpsampleNearest2xArgs): void;
  /** Nearest x2 upsampling's gradient in wasm, identical to the TypeScript loop. */
  upsampleNearest2xBackward(args: UpsampleNearest2xBackwardArgs): void;
  /** Nearest x2 upsampling in wasm into planes in runs, a channel slice (see {@link UpsampleNearest2xIntoArgs}). */
  upsampleNearest2xInto(args: UpsampleNearest2xIntoArgs): void;
  /** Nearest x2 upsampling's gradient in wasm from planes in runs, a channel slice (see {@link UpsampleNearest2xBackwardFromArgs}). */
  upsampleNearest2xBackwardFrom(args: UpsampleNearest2xBackwardFromArgs): void;
  /** Bilinear resizing in wasm by row and column tables, the TypeScript loop's bits (see {@link BilinearUpsampleArgs}). */
  bilinearUpsample(args: BilinearUpsampleArgs): void;
  /** Bilinear resizing's gradient in wasm, the TypeScript loop's bits (see {@link BilinearUpsampleBackwardArgs}). */
  bilinearUpsampleBackward(args: BilinearUpsampleBackwardArgs): void;
  /** Softmax cross-entropy in wasm, the TypeScript loop's f64 math with AssemblyScript's exp/log (last-bit differences). */
  softmaxCrossEntropy(args: SoftmaxCrossEntropyArgs): number;
  /**
   * `length` floats of the shared WebAssembly memory as a Float32Array (see
   * {@link KernelBackend.allocateBlock}): every kernel of this backend reads and writes tensors
   * inside blocks where they are, without copying them in and out. `null` when the memory is not
   * shared (a browser page that is not cross-origin isolated, or a single-threaded `module` given),
   * when it is full, or once disposed. Blocks start on 64-byte boundaries.
   */
  allocateBlock(length: number): Float32Array | null;
  /** Gives a block of {@link WasmBackend.allocateBlock} back for reuse. Throws for anything else; a no-op once disposed. */
  freeBlock(block: Float32Array): void;
  /**
   * Opens a deferred scope (see KernelBackend.beginDeferred; use `withDeferredWeightGradients` from
   * `@unetkit/tensor`). With threads and shared memory, the workers then serve a queue: every 3x3
   * stride-1 weight gradient (Winograd) whose `x` and `dy` lie in blocks is queued for them, and the
   * calling thread goes on alone with everything else (the input gradients, the elementwise
   * kernels), taking what is left of the queue when the scope ends. Same bits as without the scope.
   * On one thread, or without shared memory, the scope changes nothing.
   */
  beginDeferred(): void;
  /** Closes the scope of {@link WasmBackend.beginDeferred}; the outermost call returns with every queued weight gradient in its `dW`. */
  endDeferred(): void;
  /** Bytes of WebAssembly memory currently reserved (grows to the largest GEMM seen, and with blocks). */
  memoryBytes(): number;
  /** Counters since creation: GEMM calls, and those split across more than one thread. */
  stats(): { gemms: number; parallelGemms: number };
  /** Stops the worker threads. Idempotent; the backend throws on use afterwards. */
  dispose(): void;
}

interface Kernels {
  gemm(
    transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, lda: number,
    b: number, ldb: number, beta: number, c: number, ldc: number, scratch: number,
  ): void;
  gemmScratchBytes(): number;
  loadTransposed(t: number, c: number, ldc: number, m: number, n: number, beta: number): void;
  storeTransposed(c: number, ldc: number, t: number, m: number, n: number): void;
  im2col(image: number, cols: number, ...geometry: number[]): void;
  col2imAccumulate(image: number, cols: number, ...geometry: number[]): void;
  packDirectWeights(w: number, M: number, N: number, kh: number, kw: number, transposeFlip: number, dst: number): void;
  directWeightsBytes(M: number, K: number): number;
  directScratchBytes(N: number, H: number, W: number, padH: number, padW: number, kh: number, kw: number): number;
  convDirect(...args: number[]): void;
  packWinogradWeights(w: number, M: number, N: number, transposeFlip: number, dst: number): void;
  winogradWeightsBytes(M: number, N: number): number;
  winogradScratchBytes(N: number, H: number, W: number, padH: number, padW: number): number;
  convWinograd(...args: number[]): void;
  padImages(x: number, ldx: number, N: number, H: number, W: number, padH: number, padW: number, b0: number, b1: number, P: number, ldp: number): void;
  directOffsets(N: number, Hp: number, Wp: number, kh: number, kw: number, dh: number, dw: number, offs: number): void;
  convDirectWeightGradT(...args: number[]): void;
  zeroBytes(at: number, bytes: number): void;
  weightGradChunkBytes(M: number, outW: number): number;
  winogradPadPlanes(src: number, planes: number, H: number, W: number, top: number, left: number, Hq: number, Wq: number, dst: number): void;
  winogradWeightGrad(...args: number[]): void;
  winogradWeightGradFinish(acc: number, M: number, N: number, dW: number): void;
  winogradWgradAccBytes(M: number, N: number): number;
  winogradWgradRowsM(M: number): number;
  winogradWgradColsN(N: number): number;
  winogradWgradScratchBytes(M: number, N: number, rows: number, Gc: number): number;
  heapBase(): number;
}

/**
 * A stride-1 convolution as {@link WasmKernels.directConv} runs it: `M` output channels from `N`
 * input channels of `H x W`, zero padding `padH`/`padW`, kernel `kh x kw`, dilation `dh`/`dw`.
 */
interface DirectConv {
  N: number; H: number; W: number; padH: number; padW: number; kh: number; kw: number; dh: number; dw: number;
  M: number; outH: number; outW: number;
}

/**
 * Work every thread does before a convolution's work items (see WasmKernels.directConv): `record`
 * holds worker 1's part (the arguments of winogradWeightGrad and the index of the shared row
 * counter), `run` does the calling thread's.
 */
interface ConvLead {
  record: number[];
  run: () => void;
}

/**
 * A weight gradient queued in a deferred scope: the kernel calls that compute it (their operands
 * in `block` and in the caller's blocks), and where its result goes when the scope ends.
 */
interface DeferredJob {
  calls: [CallableKernel, number[]][];
  /** The job's own memory: its record, dW's copy, the padded planes, accumulators and scratch. */
  block: Float32Array;
  /** The caller's dW, and the byte address of its copy (which the job accumulates into); null for a job without one. */
  dW: Float32Array | null;
  dwAt: number;
}

/** An open deferred scope: its nesting depth, the workers serving its queue, their request and its jobs (by ticket). */
interface DeferredScope {
  depth: number;
  workers: number;
  seq: number;
  jobs: DeferredJob[];
  /** Jobs before this one have been copied out and freed. */
  settled: number;
}

const PAGE = 65536;
/** Maximum pages of the shared memory: must equal `--maximumMemory` in scripts/build-wasm.mjs. */
const SHARED_MAX_PAGES = 32768;
/** Worker commands (control slot word 3): see worker-source.ts. */
const CMD_GEMM = 1;
const CMD_CONV_FORWARD = 3;
const CMD_CONV_BACKWARD_DATA = 4;
const CMD_CONV_DIRECT = 5;
const CMD_CONV_DIRECT_WEIGHT_GRAD = 6;
const CMD_CONV_DIRECT_IMAGES = 7;
/** Kernel selector of commands 5 and 7 (control slot word 28): see worker-source.ts. */
const KERNEL_DIRECT = 0;
const KERNEL_WINOGRAD = 1;
/**
 * Winograd F(2x2, 3x3) runs a 3x3 stride-1 dilation-1 convolution when its input channels (as the
 * kernel sees them: for an input gradient, the forward convolution's output channels) are at least
 * this many. Measured (fma build, 1 thread, batch 8, 64x64 and 32x32, kernel only): with 1-3
 * input channels the direct kernel is faster (1->16: 16 vs 10 GFLOP/s, 3->16: 23 vs 21); from 4 on
 * Winograd is as fast or faster whatever the output channels (4->4 21-22 both, 4->16 25 vs 27,
 * 16->1 6.3 vs 7.1, 8->16 27 vs 37). Exported for the tests; not part of the package's API.
 *
 * @example
 * ```ts
 * const winograd = backend.winograd && kernelH === 3 && kernelW === 3 && channels >= WINOGRAD_MIN_CHANNELS; // forward, stride and dilation 1
 * ```
 */
export const WINOGRAD_MIN_CHANNELS = 4;
const CMD_WINOGRAD_WEIGHT_GRAD = 8;
const CMD_CALLS = 9;
/**
 * Rows of transform positions (of 4) per work item of a concurrent backward's Winograd weight
 * gradient. Every call reads all the tiles, so fewer, larger items read less: measured on the
 * SimpleUNet's ten 3x3 layers (batch 8, operands in blocks, 2 threads, conv2dBackward only), 1 row
 * per item 52-54 ms, 2 rows 50-52, 4 rows (one thread takes the whole weight gradient while the
 * other starts on the input gradient's work items, which both finish) 48-50; 1 thread 89-93.
 */
const WGRAD_ROWS_PER_ITEM = 4;
const CMD_ROWS_THEN_CONV_IMAGES = 11;
const CMD_DEFERRED_JOBS = 13;
/**
 * Jobs one deferred scope can queue (see WasmKernels.beginDeferred); past that, weight gradients run
 * at once. The queue's int32 words: the posted count (with {@link QUEUE_CLOSED} once the scope
 * ends), the ticket counter, the finished count, a failure flag, then each job's record address.
 */
const JOB_QUEUE_JOBS = 256;
const JOB_QUEUE_WORDS = 4 + JOB_QUEUE_JOBS;
const QUEUE_CLOSED = 1 << 30;
/** Kinds of a deferred job's record (its first word): kernel calls in order, or a convolution's work items. */
const JOB_CALLS = 0;
const JOB_CONV_ITEMS = 1;
const JOB_CALL_ITEMS = 2;
/** Int32 words of a call-items job's record before its item starts and argument rows (the last two: the item counter and the finished count). */
const CALL_JOB_WORDS = 10;
/** Int32 words of a convolution work-item job's record before its item table (the last two: the item counter and the finished count). */
const CONV_JOB_WORDS = 32;
/** Int32 words of the argument table of {@link WasmKernels.calls} (below the operand area). */
const CALL_TABLE_WORDS = 4096;
/**
 * Below this many elements an elementwise kernel's calls stay on the calling thread: waking a worker
 * (12-110 µs measured) costs more than the work.
 */
const MIN_PARALLEL_ELEMENTS = 1 << 16;
/**
 * Row bands each of the last `threads` images of a direct or Winograd convolution is cut into when
 * the threads share a batch through the work counter: whole images before them keep the per-call
 * overhead low, and the bands let the threads finish within about a quarter image of each other.
 */
const TAIL_BANDS = 4;

/**
 * Writes the table of {@link WasmKernels.calls}' items at int32 word `starts`: the first row of each
 * item (items.length + 1 words, in rows), then the rows (`width` words each) from word `table`.
 */
function writeCallTable(ctl: Int32Array, starts: number, table: number, items: number[][][], width: number): void {
  let row = 0;
  for (let u = 0; u < items.length; u++) {
    ctl[starts + u] = row;
    for (const r of items[u]) ctl.set(r, table + width * row++);
  }
  ctl[starts + items.length] = row;
}

/**
 * Adds the calling thread's `mine` finished items to the finished count at int32 word `done` and
 * waits until all `count` items of a queued job are finished (those a worker took included).
 */
function waitForItems(ctl: Int32Array, done: number, mine: number, count: number): void {
  const canWait = atomicsWaitAllowed();
  for (let v = Atomics.add(ctl, done, mine) + mine; v < count; v = Atomics.load(ctl, done)) {
    if (canWait) Atomics.wait(ctl, done, v);
  }
}

/**
 * Takes work items (see {@link convWorkItems}) from the shared counter at int32 word `counter` until
 * none is left, running `conv` with arguments `a` (convDirect's, patched with each item's image and
 * rows) on each; returns how many this thread ran.
 */
function takeConvItems(conv: (...args: number[]) => void, a: number[], items: number[], ctl: Int32Array, counter: number): number {
  const count = items.length / 3;
  let mine = 0;
  for (let u = Atomics.add(ctl, counter, 1); u < count; u = Atomics.add(ctl, counter, 1)) {
    a[17] = items[3 * u];
    a[18] = items[3 * u] + 1;
    a[19] = items[3 * u + 1];
    a[20] = items[3 * u + 2];
    conv(...a);
    mine++;
  }
  return mine;
}

/**
 * The work items (image, first output row, end row: 3 numbers each) of a convolution that `T`
 * threads share through a counter: whole images first, then the last T images in
 * {@link TAIL_BANDS} row bands (whole units of `unit` rows), so that the threads finish within a
 * band of each other.
 */
function convWorkItems(batch: number, outH: number, unit: number, T: number): number[] {
  const units = Math.ceil(outH / unit);
  const bands = Math.min(TAIL_BANDS, units);
  const bandRows = Math.ceil(units / bands) * unit;
  const items: number[] = [];
  for (let b = 0; b < batch; b++) {
    if (b < batch - T) items.push(b, 0, outH);
    else for (let y0 = 0; y0 < outH; y0 += bandRows) items.push(b, y0, Math.min(outH, y0 + bandRows));
  }
  return items;
}
/**
 * Bytes the operand area (where operands that are not in blocks are copied) may take once blocks
 * exist: blocks start this far above it. Untouched pages cost address space only.
 */
const OPERAND_WINDOW = 512 * 1024 * 1024;
/** Int32 words per worker control slot. */
const SLOT_WORDS = 32;
/** Below this many flops (2mnk) a GEMM stays on the calling thread: waking workers costs more. */
const MIN_PARALLEL_FLOPS = 1 << 21;
const MR = 4;
const NR = 8;

const describeGeometry = (g: ConvGeometry) =>
  `input ${g.channels}x${g.height}x${g.width}, kernel ${g.kernelH}x${g.kernelW}, output ${g.outH}x${g.outW}`;

/**
 * Whether {@link WasmKernels.run} computes C^T = op(B)^T op(A)^T instead: for `A * B^T` with
 * m < n and a long k (the convolution's weight gradient `dY[Cout,L] @ cols[K,L]^T`), so that the large
 * B is read in place as the left operand and only the small A is packed. Needs m*n floats of room.
 */
const swapsOperands = (transA: boolean, transB: boolean, m: number, n: number, k: number) =>
  transB && !transA && m < n && k >= 4 * n;

/** A byte range `[address, bytes]` in WebAssembly memory. */
type Range = readonly [number, number];

/** Whether two byte ranges share a byte. */
const overlaps = (x: Range, y: Range) => x[0] < y[0] + y[1] && y[0] < x[0] + x[1];

const align = (x: number, to: number) => Math.ceil(x / to) * to;

/**
 * Whether a stride-1 weight gradient runs by Winograd F(2x2, 3x3) (conv-winograd-wgrad.ts) rather
 * than the direct kernel: 3x3 kernels of dilation 1 with at least 2 input channels. Measured (fma
 * build, 1 thread, batch 8, 64x64, 16 output channels, CPU ms direct / Winograd): 1 input channel
 * 1.27 / 1.66, 2 channels 1.49 / 1.46, 3 channels 1.69 / 1.42; 16 and more: 1.5-2x faster.
 */
const usesWinogradWeightGrad = (g: ConvGeometry) =>
  g.kernelH === 3 && g.kernelW === 3 && g.dilationH === 1 && g.dilationW === 1 && g.strideH === 1 && g.strideW === 1 && g.channels > 1;
/**
 * The Winograd weight gradient's chunks: a thread's Z and V panels of one chunk take about this
 * many bytes (the L2 of a Zen 1 core; measured 128 KiB to 4 MiB: 512 KiB to 1 MiB was fastest),
 * and at most this many groups of 4 tiles.
 */
const WINOGRAD_PANEL_BYTES = 512 * 1024;
const WINOGRAD_MAX_GROUPS = 256;

/**
 * The Winograd weight gradient's planes (see conv-winograd-wgrad.ts): TH tile rows and TW4 tiles per
 * row (a multiple of 4), the zero-bordered image planes (Hq x Wq) and dy planes (Hd x Wd), and
 * whether dy is already laid out so (its rows whole groups of 4 tiles, its height even).
 */
function winogradWgradPlanes(g: ConvGeometry) {
  const TH = Math.ceil(g.outH / 2);
  const TW4 = Math.ceil(g.outW / 8) * 4;
  const Hd = 2 * TH;
  const Wd = 2 * TW4;
  return { TH, TW4, Hq: Hd + 2, Wq: Wd + 2, Hd, Wd, dyAligned: g.outW === Wd && g.outH === Hd };
}

/** Groups of 4 tiles per chunk of a thread computing `rows` transform rows: its Z and V panels take about {@link WINOGRAD_PANEL_BYTES}. */
function winogradWgradGroups(Mp: number, Np: number, rows: number): number {
  return Math.max(4, Math.min(WINOGRAD_MAX_GROUPS, Math.floor(WINOGRAD_PANEL_BYTES / (rows * 4 * (Mp + Np) * 16))));
}

/** Elements spanned by a `rows x cols` matrix with leading dimension `ld` (0 when empty). */
const span = (rows: number, cols: number, ld: number) => (rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols);

/**
 * Creates the WebAssembly SIMD backend: a register-blocked, cache-blocked f32x4 GEMM (4x8 micro-kernel,
 * packed B panels, A read in place), split across `threads` worker threads over shared memory, and
 * im2col/col2im kernels. It computes float32 only (`dtypes: ["float32"]`); float64 stays on the
 * TypeScript backend. Operands that lie in blocks of its memory ({@link WasmBackend.allocateBlock},
 * as `UNet`'s arena allocates them) are used in place; others are copied in on each call (one `set`
 * per matrix) and the results copied back; see the README for what each costs.
 *
 * Results do not depend on the thread count: each element of C is summed in the same order whatever
 * the split (bit-identical).
 *
 * @example
 * ```ts
 * const wasm = await createWasmBackend({ threads: 2 });
 * setBackend(wasm);
 * // ... train ...
 * wasm.dispose();
 * ```
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  if (typeof WebAssembly !== "object") throw new Error("@unetkit/backend-wasm: WebAssembly is not available");
  let threads = options.threads;
  if (threads === undefined) {
    threads = 1;
    if (isNode()) {
      const os = await import("node:os");
      threads = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
    } else if (webThreadsAvailable()) {
      threads = defaultWebThreads();
    }
  }
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new ArgumentError("createWasmBackend", `threads must be an integer in [1, 256] (got ${threads})`);
  }
  if (threads > 1 && !(isNode() ? typeof SharedArrayBuffer === "function" : webThreadsAvailable())) threads = 1;
  const fma = options.fma ?? relaxedSimdSupported();
  if (typeof fma !== "boolean") throw new ArgumentError("createWasmBackend", `fma must be a boolean (got ${String(fma)})`);
  const winograd = options.winograd ?? true;
  if (typeof winograd !== "boolean") throw new ArgumentError("createWasmBackend", `winograd must be a boolean (got ${String(winograd)})`);
  if (fma && !relaxedSimdSupported()) {
    throw new ArgumentError(
      "createWasmBackend",
      "fma: true needs WebAssembly relaxed SIMD, which this engine lacks (Node 20: call enableRelaxedSimd() at startup)",
    );
  }
  // one thread runs on a shared memory too where there is one (so that tensors can live in it: a
  // shared memory never detaches its views when it grows), unless a single-threaded module is given
  const sharedOk = isNode() ? typeof SharedArrayBuffer === "function" : webThreadsAvailable();
  if (threads === 1 && (options.module !== undefined || !sharedOk)) {
    const module = await loadKernelsModule(fma ? "relaxed" : "single", options.module);
    const instance = await WebAssembly.instantiate(module, {});
    const kernels = instance.exports as unknown as Kernels;
    return new WasmKernels(kernels, instance.exports.memory as WebAssembly.Memory, 1, fma, [], winograd);
  }
  const module = await loadKernelsModule(fma ? "relaxed-shared" : "shared", options.sharedModule);
  const memory = new WebAssembly.Memory({ initial: 32, maximum: SHARED_MAX_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const kernels = instance.exports as unknown as Kernels;
  const backend = new WasmKernels(kernels, memory, threads, fma, [], winograd);
  if (threads === 1) return backend;
  if (!isNode()) {
    await startWebWorkers(backend, module, memory, threads);
    return backend;
  }
  const { Worker } = await import("node:worker_threads");
  const workers = [];
  for (let w = 1; w < threads; w++) {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, memory, slot: backend.slotIndex(w), scratch: backend.scratchOf(w) },
    });
    workers.push(worker);
  }
  backend.workers.push(...workers);
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.once("message", () => resolve());
            worker.once("error", reject);
            worker.once("exit", (code) => reject(new Error(`@unetkit/backend-wasm: worker exited with code ${code} while starting`)));
          }),
      ),
    );
  } catch (e) {
    backend.dispose();
    throw e;
  }
  for (const worker of workers) {
    worker.removeAllListeners("exit");
    worker.removeAllListeners("error");
    worker.on("error", () => {}); // a failed GEMM is reported through the control slot
    // a worker that dies (it should not: it catches its own errors) is never waited for again:
    // later GEMMs run on the calling thread
    worker.on("exit", () => backend.workerLost());
    worker.unref();
  }
  return backend;
}

class WasmKernels implements WasmBackend {
  readonly name: string;
  readonly dtypes = Object.freeze(["float32"] as const);
  private readonly ctlBase: number; // byte address of the control slots
  private readonly scratchBase: number;
  private readonly scratchBytes: number;
  private readonly opBase: number; // first byte of the operand area
  private readonly callTable: number; // byte address of the argument table of calls()
  private readonly jobQueue: number; // byte address of the deferred scope's job queue
  private deferred: DeferredScope | null = null;
  private f32: Float32Array;
  private i32: Int32Array;
  private seq = 0;
  private disposed = false;
  private workersLost = false;
  private gemms = 0;
  private parallelGemms = 0;
  /** Whether the memory is shared: only a shared memory keeps its views when it grows, so only it has blocks. */
  private readonly sharedMemory: boolean;
  /** First byte of the block region (-1 until the first block), and its end. */
  private blockBase = -1;
  private blockTop = 0;
  /** Free ranges of the block region, by address, never adjacent (merged when freed). */
  private freeRanges: { at: number; bytes: number }[] = [];
  /** Live blocks: byte address -> bytes. */
  private readonly liveBlocks = new Map<number, number>();
  /** The SharedArrayBuffer objects block views were made over (one per memory size). */
  private readonly blockBuffers = new Set<ArrayBufferLike>();

  constructor(
    private readonly k: Kernels,
    private readonly memory: WebAssembly.Memory,
    readonly threads: number,
    readonly fma: boolean,
    readonly workers: { terminate(): unknown }[],
    readonly winograd = true,
  ) {
    this.name = `wasm-simd${fma ? "-fma" : ""}${threads === 1 ? "" : `-${threads}t`}${winograd ? "" : "-nowinograd"}`;
    // ops may call a kernel detached from the backend (`const k = backend.im2col ?? im2colTs; k(args)`)
    this.gemm = this.gemm.bind(this);
    this.im2col = this.im2col.bind(this);
    this.col2imAccumulate = this.col2imAccumulate.bind(this);
    this.conv2dForward = this.conv2dForward.bind(this);
    this.conv2dBackwardData = this.conv2dBackwardData.bind(this);
    this.conv2dBackwardWeight = this.conv2dBackwardWeight.bind(this);
    this.conv2dBackward = this.conv2dBackward.bind(this);
    this.add = this.add.bind(this);
    this.reluForward = this.reluForward.bind(this);
    this.reluBackward = this.reluBackward.bind(this);
    this.batchNormStatistics = this.batchNormStatistics.bind(this);
    this.batchNormNormalize = this.batchNormNormalize.bind(this);
    this.batchNormBackward = this.batchNormBackward.bind(this);
    this.maxPool2x2 = this.maxPool2x2.bind(this);
    this.maxPoolBackward = this.maxPoolBackward.bind(this);
    this.upsampleNearest2x = this.upsampleNearest2x.bind(this);
    this.upsampleNearest2xBackward = this.upsampleNearest2xBackward.bind(this);
    this.upsampleNearest2xInto = this.upsampleNearest2xInto.bind(this);
    this.upsampleNearest2xBackwardFrom = this.upsampleNearest2xBackwardFrom.bind(this);
    this.bilinearUpsample = this.bilinearUpsample.bind(this);
    this.bilinearUpsampleBackward = this.bilinearUpsampleBackward.bind(this);
    this.softmaxCrossEntropy = this.softmaxCrossEntropy.bind(this);
    this.allocateBlock = this.allocateBlock.bind(this);
    this.freeBlock = this.freeBlock.bind(this);
    this.beginDeferred = this.beginDeferred.bind(this);
    this.endDeferred = this.endDeferred.bind(this);
    this.ctlBase = align(k.heapBase(), 64);
    this.scratchBytes = align(k.gemmScratchBytes(), 64);
    this.scratchBase = this.ctlBase + threads * SLOT_WORDS * 4;
    this.callTable = align(this.scratchBase + threads * this.scratchBytes, 64);
    this.jobQueue = align(this.callTable + CALL_TABLE_WORDS * 4, 64);
    this.opBase = align(this.jobQueue + JOB_QUEUE_WORDS * 4, 64);
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.sharedMemory = typeof SharedArrayBuffer === "function" && (memory.buffer as ArrayBufferLike) instanceof SharedArrayBuffer;
    this.reserve(0);
  }

  /** Called when a worker thread exits on its own: stop splitting GEMMs across threads. */
  workerLost(): void {
    this.workersLost = true;
  }

  /**
   * Whether kernels are not split across the threads' control slots: a worker was lost, or the
   * workers are serving a deferred scope's queue (where {@link calls} shares items through jobs).
   */
  private get solo(): boolean {
    return this.workersLost || (this.deferred !== null && this.deferred.workers > 0);
  }

  /** Index (in int32 words) of worker `w`'s control slot. */
  slotIndex(w: number): number {
    return (this.ctlBase >> 2) + w * SLOT_WORDS;
  }

  /** Byte address of thread `t`'s GEMM scratch. */
  scratchOf(t: number): number {
    return this.scratchBase + t * this.scratchBytes;
  }

  stats(): { gemms: number; parallelGemms: number } {
    return { gemms: this.gemms, parallelGemms: this.parallelGemms };
  }

  memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  allocateBlock(length: number): Float32Array | null {
    if (!Number.isInteger(length) || length < 0) {
      throw new ArgumentError("allocateBlock", `length must be a non-negative integer (got ${length})`);
    }
    if (this.disposed || !this.sharedMemory) return null;
    const bytes = align(Math.max(1, length) * 4, 64);
    if (this.blockBase < 0) {
      this.blockBase = align(Math.max(this.memory.buffer.byteLength, this.opBase + OPERAND_WINDOW), PAGE);
      this.blockTop = this.blockBase;
    }
    let at = -1;
    const i = this.freeRanges.findIndex((r) => r.bytes >= bytes);
    if (i >= 0) {
      const r = this.freeRanges[i];
      at = r.at;
      if (r.bytes === bytes) this.freeRanges.splice(i, 1);
      else this.freeRanges[i] = { at: r.at + bytes, bytes: r.bytes - bytes };
    } else {
      const end = this.blockTop + bytes;
      const have = this.memory.buffer.byteLength;
      if (end > have) {
        try {
          this.memory.grow(Math.ceil((end - have) / PAGE));
        } catch {
          return null;
        }
      }
      at = this.blockTop;
      this.blockTop = end;
    }
    this.liveBlocks.set(at, bytes);
    const buffer = this.memory.buffer;
    this.blockBuffers.add(buffer);
    return new Float32Array(buffer, at, length);
  }

  freeBlock(block: Float32Array): void {
    if (this.disposed) return;
    const at = block?.byteOffset;
    const bytes = this.liveBlocks.get(at);
    if (!(block instanceof Float32Array) || !this.blockBuffers.has(block.buffer) || bytes === undefined) {
      throw new ArgumentError("freeBlock", "not a live block of this backend's allocateBlock");
    }
    this.liveBlocks.delete(at);
    const ranges = this.freeRanges;
    let i = 0;
    while (i < ranges.length && ranges[i].at < at) i++;
    ranges.splice(i, 0, { at, bytes });
    // merge with the next range, then with the previous one
    if (i + 1 < ranges.length && at + bytes === ranges[i + 1].at) {
      ranges[i].bytes += ranges[i + 1].bytes;
      ranges.splice(i + 1, 1);
    }
    if (i > 0 && ranges[i - 1].at + ranges[i - 1].bytes === at) {
      ranges[i - 1].bytes += ranges[i].bytes;
      ranges.splice(i, 1);
    }
  }

  /** The byte address of `a` when it lies in a block (kernels then use it where it is), else -1. */
  private resident(a: TypedArray): number {
    return this.blockBuffers.has(a.buffer) ? a.byteOffset : -1;
  }

  /** Bytes of operand area a copy of `n` floats of `a` takes: none when `a` lies in a block (it is used in place). */
  private room(a: TypedArray, n: number): number {
    return this.resident(a) >= 0 ? 0 : align(n * 4, 64);
  }

  /** The byte address of `a`'s first `n` floats in memory: where it is when in a block, else copied to `ptr`. */
  private place(a: Float32Array, n: number, ptr: number): number {
    const at = this.resident(a);
    if (at >= 0) return at;
    this.f32.set(a.subarray(0, n), ptr >> 2);
    return ptr;
  }

  /** Grows the memory so `bytes` fit above the operand base, and re-derives the views (growth detaches them). */
  private reserve(bytes: number): void {
    const need = this.opBase + bytes;
    if (this.blockBase >= 0 && need > this.blockBase) {
      throw new ArgumentError(
        "wasm backend",
        `an operation needs ${bytes} bytes of operand memory, more than the ${this.blockBase - this.opBase} left below the tensors kept in WebAssembly memory`,
      );
    }
    const have = this.memory.buffer.byteLength;
    if (need > have) {
      const pages = Math.ceil((need - have) / PAGE);
      try {
        this.memory.grow(pages);
      } catch {
        throw new ArgumentError("wasm backend", `cannot grow WebAssembly memory to ${need} bytes`);
      }
    }
    if (this.f32.byteLength !== this.memory.buffer.byteLength) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
  }

  private live(op: string): void {
    if (this.disposed) throw new ArgumentError(op, "the wasm backend was disposed");
  }

  gemm(args: GemmArgs): void {
    this.live("gemm");
    checkGemmArgs("gemm", args);
    const { transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc } = args;
    if (!(c instanceof Float32Array)) {
      throw new ArgumentError("gemm", `the wasm backend computes float32 only (got ${c.constructor.name})`);
    }
    this.gemms++;
    if (m === 0 || n === 0) return;
    const useAB = k > 0 && alpha !== 0;
    const aSpan = useAB ? span(transA ? k : m, transA ? m : k, lda) : 0;
    const bSpan = useAB ? span(transB ? n : k, transB ? k : n, ldb) : 0;
    const cSpan = span(m, n, ldc);
    // Operands in blocks (arena tensors) are used where they are; the others are copied into the
    // operand area. C is written in place only when it overlaps neither A nor B, so an aliased call
    // computes what the copying path computes.
    const aAt = useAB ? this.resident(a) : -1;
    const bAt = useAB ? this.resident(b) : -1;
    const cRes = this.resident(c);
    const aRange: Range = [aAt + aOffset * 4, aSpan * 4];
    const bRange: Range = [bAt + bOffset * 4, bSpan * 4];
    const cRange: Range = [cRes + cOffset * 4, cSpan * 4];
    const cAt = cRes >= 0 && !(aAt >= 0 && overlaps(cRange, aRange)) && !(bAt >= 0 && overlaps(cRange, bRange)) ? cRes : -1;
    let next = this.opBase;
    const aPtr = aAt >= 0 ? aRange[0] : next;
    if (aAt < 0) next += align(aSpan * 4, 64);
    const bPtr = bAt >= 0 ? bRange[0] : next;
    if (bAt < 0) next += align(bSpan * 4, 64);
    const cPtr = cAt >= 0 ? cRange[0] : next;
    if (cAt < 0) next += align(cSpan * 4, 64);
    const tmpPtr = next;
    this.reserve(tmpPtr + (swapsOperands(transA, transB, m, n, k) ? m * n * 4 : 0) - this.opBase);
    const f = this.f32;
    if (useAB) {
      if (aAt < 0) f.set(a.subarray(aOffset, aOffset + aSpan), aPtr >> 2);
      if (bAt < 0) f.set(b.subarray(bOffset, bOffset + bSpan), bPtr >> 2);
    }
    // C is read when beta != 0; when rows have gaps (ldc > n) it is copied in too so that copying the
    // whole span back leaves the gaps as they were
    if (cAt < 0 && (beta !== 0 || ldc !== n)) f.set(c.subarray(cOffset, cOffset + cSpan), cPtr >> 2);
    this.run(transA, transB, m, n, k, alpha, aPtr, lda, bPtr, ldb, beta, cPtr, ldc, tmpPtr);
    if (cAt < 0) c.set(f.subarray(cPtr >> 2, (cPtr >> 2) + cSpan), cOffset);
  }

  /**
   * Runs a GEMM on operands already in memory, split across the threads when it is big enough. `tmp`:
   * room for m*n floats, used when {@link swapsOperands} (the choice depends only on the shape, so
   * results stay independent of the thread count).
   */
  private run(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: number, lda: number,
    b: number, ldb: number, beta: number, c: number, ldc: number, tmp: number,
  ): void {
    if (k > 0 && alpha !== 0 && swapsOperands(transA, transB, m, n, k)) {
      // T[n x m] = op(B)^T op(A)^T: B stored n x k read in place, A stored m x k packed as "B^T".
      // With beta != 0, T starts as (C * beta)^T and takes beta = 1, so each KC block's sum is added
      // to C * beta in the same order as without the swap: the same bits whichever path a shape takes.
      if (beta !== 0) this.k.loadTransposed(tmp, c, ldc, m, n, beta);
      this.split(false, true, n, m, k, alpha, b, ldb, a, lda, beta !== 0 ? 1 : 0, tmp, m);
      this.k.storeTransposed(c, ldc, tmp, m, n);
      return;
    }
    this.split(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }

  private split(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: number, lda: number,
    b: number, ldb: number, beta: number, c: number, ldc: number,
  ): void {
    const tA = transA ? 1 : 0;
    const tB = transB ? 1 : 0;
    const T = this.threads;
    const splitRows = m >= n;
    const units = splitRows ? Math.ceil(m / MR) : Math.ceil(n / NR);
    const parts = Math.min(T, units);
    if (parts <= 1 || this.solo || 2 * m * n * k < MIN_PARALLEL_FLOPS || !(alpha !== 0 && k > 0)) {
      this.k.gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, this.scratchOf(0));
      return;
    }
    this.parallelGemms++;
    const per = Math.ceil(units / parts) * (splitRows ? MR : NR);
    const total = splitRows ? m : n;
    const seq = ++this.seq;
    let used = 0;
    for (let w = 1; w < parts; w++) {
      const lo = w * per;
      if (lo >= total) break;
      const hi = Math.min(total, lo + per);
      // words 4..16: the gemm arguments, alpha (word 9) and beta (word 14) as float32 bits
      this.post(w, seq, CMD_GEMM, [
        tA, tB, splitRows ? hi - lo : m, splitRows ? n : hi - lo, k, 0,
        splitRows ? a + (transA ? lo * 4 : lo * lda * 4) : a, lda,
        splitRows ? b : b + (transB ? lo * ldb * 4 : lo * 4), ldb, 0,
        splitRows ? c + lo * ldc * 4 : c + lo * 4, ldc,
      ], [[9, alpha], [14, beta]]);
      used = w;
    }
    const first = Math.min(total, per);
    this.k.gemm(tA, tB, splitRows ? first : m, splitRows ? n : first, k, alpha, a, lda, b, ldb, beta, c, ldc, this.scratchOf(0));
    this.waitWorkers(seq, used);
  }

  im2col(args: Im2colArgs): void {
    this.live("im2col");
    this.im2colLike(args, false);
  }

  col2imAccumulate(args: Im2colArgs): void {
    this.live("col2imAccumulate");
    this.im2colLike(args, true);
  }

  private im2colLike(args: Im2colArgs, accumulate: boolean): void {
    const g = args.geometry;
    const op = accumulate ? "col2imAccumulate" : "im2col";
    if (!(args.image instanceof Float32Array) || !(args.cols instanceof Float32Array)) {
      throw new ArgumentError(op, "the wasm backend computes float32 only");
    }
    const imageLen = g.channels * g.height * g.width;
    const colsLen = g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
    if (args.imageOffset + imageLen > args.image.length || args.colsOffset + colsLen > args.cols.length) {
      throw new ArgumentError(
        op,
        `image needs ${imageLen} elements from ${args.imageOffset} (has ${args.image.length}), cols ${colsLen} from ${args.colsOffset} (has ${args.cols.length})`,
      );
    }
    const imagePtr = this.opBase;
    const colsPtr = imagePtr + align(imageLen * 4, 64);
    this.reserve(colsPtr + colsLen * 4 - this.opBase);
    const f = this.f32;
    const geometry = [g.channels, g.height, g.width, g.kernelH, g.kernelW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, g.outH, g.outW];
    if (accumulate) {
      f.set(args.image.subarray(args.imageOffset, args.imageOffset + imageLen), imagePtr >> 2);
      f.set(args.cols.subarray(args.colsOffset, args.colsOffset + colsLen), colsPtr >> 2);
      this.k.col2imAccumulate(imagePtr, colsPtr, ...geometry);
      args.image.set(f.subarray(imagePtr >> 2, (imagePtr >> 2) + imageLen), args.imageOffset);
    } else {
      f.set(args.image.subarray(args.imageOffset, args.imageOffset + imageLen), imagePtr >> 2);
      this.k.im2col(imagePtr, colsPtr, ...geometry);
      args.cols.set(f.subarray(colsPtr >> 2, (colsPtr >> 2) + colsLen), args.colsOffset);
    }
  }

  /** Threads a fused conv call splits its images over (1: split each image's GEMM instead). */
  private imageParts(batch: number): number {
    return this.solo ? 1 : Math.min(this.threads, batch);
  }

  /**
   * Runs images [0, batch) in `parts` contiguous ranges: range t > 0 on worker t (command `cmd` with
   * `args`, its column scratch at `colsPtr + t*colsBytes`, `beta`, the geometry), range 0 with
   * `local` on the calling thread, then waits for the workers.
   */
  private splitImages(
    batch: number, parts: number, cmd: number, args: number[], colsPtr: number, colsBytes: number, beta: number,
    geometry: number[], local: (b0: number, b1: number, cols: number) => void,
  ): void {
    const per = Math.ceil(batch / parts);
    const seq = ++this.seq;
    let used = 0;
    for (let w = 1; w < parts; w++) {
      const b0 = w * per;
      if (b0 >= batch) break;
      // words 4..10 args, 11..12 the image range, 13 the column scratch, 14 beta, 15.. the geometry
      this.post(w, seq, cmd, [...args, b0, Math.min(batch, b0 + per), colsPtr + w * colsBytes, 0, ...geometry], [[14, beta]]);
      used = w;
    }
    this.parallelGemms += used > 0 ? 1 : 0;
    local(0, Math.min(batch, per), colsPtr);
    this.waitWorkers(seq, used);
  }

  /**
   * Posts request `seq` to worker `w`: command `cmd`, then `ints` from word 4 of its control slot,
   * then `floats` as [word, value] pairs stored as float32 bits, and wakes it. Everything is written
   * before the sequence word, which the worker waits on.
   */
  private post(w: number, seq: number, cmd: number, ints: readonly number[], floats: readonly (readonly [number, number])[] = []): void {
    const ctl = this.i32;
    const s = this.slotIndex(w);
    ctl[s + 3] = cmd;
    for (let i = 0; i < ints.length; i++) ctl[s + 4 + i] = ints[i];
    for (const [word, value] of floats) this.f32[s + word] = value;
    Atomics.store(ctl, s, seq);
    Atomics.notify(ctl, s);
  }

  /** Waits until workers 1..used have finished request `seq`; throws if one failed. */
  private waitWorkers(seq: number, used: number): void {
    const ctl = this.i32;
    const canWait = atomicsWaitAllowed();
    let failed = false;
    for (let w = 1; w <= used; w++) {
      const s = this.slotIndex(w);
      for (;;) {
        const done = Atomics.load(ctl, s + 1);
        if (done === seq) break;
        // a page's main thread may not block: spin (it computed its own share first, so this is short)
        if (canWait) Atomics.wait(ctl, s + 1, done);
      }
      if (ctl[s + 2] !== 0) failed = true;
    }
    if (failed) throw new Error("@unetkit/backend-wasm: a worker thread failed");
  }

  /**
   * Checks a fused conv call: float32 arrays long enough for the batch. Returns the sizes
   * (image CHW, K = C*kh*kw, L = outH*outW) and the geometry as the wasm kernels take it.
   */
  private convSizes(op: string, a: Conv2dBatchArgs, arrays: [string, TypedArray, number][]) {
    this.live(op);
    const g = a.geometry;
    const { batch, cout } = a;
    if (!Number.isInteger(batch) || batch < 0 || !Number.isInteger(cout) || cout < 1) {
      throw new ArgumentError(op, `batch must be a non-negative integer and cout a positive one (got ${batch}, ${cout})`);
    }
    const image = g.channels * g.height * g.width;
    const K = g.channels * g.kernelH * g.kernelW;
    const L = g.outH * g.outW;
    for (const [name, arr, per] of arrays) {
      if (!(arr instanceof Float32Array)) throw new ArgumentError(op, `the wasm backend computes float32 only (${name} is ${arr?.constructor?.name})`);
      if (arr.length < per) {
        throw new ArgumentError(op, `${name} has ${arr.length} elements, needs ${per} (batch ${batch}, cout ${cout}, ${describeGeometry(g)})`);
      }
    }
    const geometry = [g.channels, g.height, g.width, g.kernelH, g.kernelW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, g.outH, g.outW];
    return { image, K, L, geometry };
  }

  /**
   * Runs {@link DirectConv} `d` over `batch` images already in memory (`xPtr`, `outPtr`), with the
   * weights packed at `wpk`. With at least as many images as threads, every thread (the calling one
   * included) takes the next work item from a shared counter until none is left, so a thread that
   * runs slower simply does fewer: whole images first, then the last `threads` images in
   * {@link TAIL_BANDS} row bands each, so that no thread waits long for the others' last image. With
   * fewer images than threads, each image's output rows are split evenly. `table`: room for the
   * work items (3 int32 per item, up to batch * TAIL_BANDS items), which every thread reads.
   * `accumulate`: add to `out` instead of overwriting it. `winograd`: run convWinograd (weights
   * packed by packWinogradWeights) instead of convDirect; its row split gives each thread an even
   * number of rows, so that no 2x2 tile row is shared. Bit-identical for any split or thread count
   * (every output element is computed in the same order, whichever thread computes it). `lead`:
   * work every thread does first, before taking work items (always used then, even for one image):
   * the Winograd weight gradient rows of a concurrent backward, `record` being worker 1's arguments
   * of it (see worker-source.ts, command 11) and `run` the calling thread's.
   */
  private directConv(
    d: DirectConv, batch: number, xPtr: number, wpk: number, outPtr: number, accumulate: boolean, scratch: number, scratchBytes: number,
    winograd: boolean, threads: number, table: number, lead?: ConvLead,
  ): void {
    const conv = winograd ? this.k.convWinograd : this.k.convDirect;
    const ldx = d.N * d.H * d.W * 4;
    const ldo = d.M * d.outH * d.outW * 4;
    const acc = accumulate ? 1 : 0;
    const args = (b0: number, b1: number, oy0: number, oy1: number, t: number) => [
      xPtr, ldx, d.N, d.H, d.W, d.padH, d.padW, d.kh, d.kw, d.dh, d.dw, wpk, d.M, outPtr, ldo, d.outH, d.outW,
      b0, b1, oy0, oy1, acc, scratch + t * scratchBytes,
    ];
    const flops = 2 * batch * d.M * d.N * d.kh * d.kw * d.outH * d.outW;
    // in a deferred scope the workers serve the queue: the work items go there as a job, which a
    // worker joins when it has no weight gradient to compute
    if (lead === undefined && flops >= MIN_PARALLEL_FLOPS && this.queueWorkers() > 0) {
      const unit = winograd ? 2 : 1;
      const items = convWorkItems(batch, d.outH, unit, 1 + this.queueWorkers());
      const count = items.length / 3;
      const block = this.allocateBlock(CONV_JOB_WORDS + items.length);
      if (block !== null) {
        this.reserve(0); // the block may have grown the memory
        const ctl = this.i32;
        const rec = block.byteOffset >> 2;
        const counter = rec + CONV_JOB_WORDS - 2;
        const done = rec + CONV_JOB_WORDS - 1;
        // the record (see worker-source.ts, command 13): kind 1, the kernel, its arguments (thread 0's
        // scratch), the scratch stride, the counter, the item table, the item count, the finished count
        ctl.set([JOB_CONV_ITEMS, winograd ? KERNEL_WINOGRAD : KERNEL_DIRECT, ...args(0, 1, 0, d.outH, 0), scratchBytes, counter, rec + CONV_JOB_WORDS, count, done], rec);
        ctl[counter] = 0;
        ctl[done] = 0;
        ctl.set(items, rec + CONV_JOB_WORDS);
        this.postJob({ calls: [], block, dW: null, dwAt: 0 }, rec);
        this.parallelGemms++;
        const mine = takeConvItems(conv, args(0, 1, 0, d.outH, 0), items, ctl, counter);
        waitForItems(ctl, done, mine, count);
        return;
      }
    }
    const T = this.solo || (flops < MIN_PARALLEL_FLOPS && lead === undefined) ? 1 : threads;
    if (T === 1) {
      lead?.run();
      conv(...args(0, batch, 0, d.outH, 0));
      return;
    }
    const byImages = batch >= T || lead !== undefined;
    // rows go in units of 2 (a Winograd tile row) or 1
    const unit = winograd ? 2 : 1;
    const units = Math.ceil(d.outH / unit);
    const parts = byImages ? T : Math.min(T, units);
    const per = Math.ceil(units / parts) * unit; // rows per thread when splitting rows
    const ctl = this.i32;
    // shared counter (byImages): work items (image, first row, end row) in a table at `table`: whole
    // images first, then the last T images in row bands, so that the threads finish within a band of
    // each other
    const items = byImages ? convWorkItems(batch, d.outH, unit, T) : [];
    if (byImages) ctl.set(items, table >> 2);
    const count = items.length / 3;
    const counter = this.slotIndex(0); // slot 0 belongs to the calling thread: its first word is free
    if (byImages) Atomics.store(ctl, counter, 0);
    const seq = ++this.seq;
    let used = 0;
    if (lead !== undefined) this.i32.set(lead.record, this.callTable >> 2);
    for (let w = 1; w < parts; w++) {
      if (!byImages && w * per >= d.outH) break;
      const a = byImages ? args(0, batch, 0, d.outH, w) : args(0, batch, w * per, Math.min(d.outH, (w + 1) * per), w);
      // words 4..26: convDirect's arguments; 27: the work counter; 28: the kernel; 29, 30: the item
      // table, its length; 31: where the lead's record is (worker 1 only)
      const cmd = lead !== undefined && w === 1 ? CMD_ROWS_THEN_CONV_IMAGES : byImages ? CMD_CONV_DIRECT_IMAGES : CMD_CONV_DIRECT;
      this.post(w, seq, cmd, [...a, counter, winograd ? KERNEL_WINOGRAD : KERNEL_DIRECT, table >> 2, count, this.callTable >> 2]);
      used = w;
    }
    if (used > 0) this.parallelGemms++;
    try {
      lead?.run();
    } catch (e) {
      this.waitWorkers(seq, used);
      throw e;
    }
    if (byImages) {
      takeConvItems(conv, args(0, 1, 0, d.outH, 0), items, ctl, counter);
    } else {
      conv(...args(0, batch, 0, Math.min(d.outH, per), 0));
    }
    this.waitWorkers(seq, used);
  }

  /**
   * Copies `batch` images and the weights in, packs the weights (`transposeFlip` for an input
   * gradient), initialises the output (`init`: bias planes, the current `out` to accumulate into, or
   * nothing), runs {@link directConv} (by Winograd where {@link usesWinograd}) and copies the output
   * back. Its operands start at `base` (default: the operand area's start) and it runs on up to
   * `threads` threads (default: all), each doing its part of `lead` first (see {@link directConv}).
   */
  private directConvCall(
    d: DirectConv, batch: number, x: Float32Array, weight: Float32Array, transposeFlip: boolean,
    out: Float32Array, init: Float32Array | "accumulate" | null, base = this.opBase, threads = this.threads, lead?: ConvLead,
  ): void {
    const K = d.N * d.kh * d.kw;
    const image = d.N * d.H * d.W;
    const outImage = d.M * d.outH * d.outW;
    const winograd = this.usesWinograd(d);
    const wBytes = align(winograd ? this.k.winogradWeightsBytes(d.M, d.N) : this.k.directWeightsBytes(d.M, K), 64);
    const scratchBytes = align(
      winograd ? this.k.winogradScratchBytes(d.N, d.H, d.W, d.padH, d.padW) : this.k.directScratchBytes(d.N, d.H, d.W, d.padH, d.padW, d.kh, d.kw),
      64,
    );
    const wpk = base;
    const wRaw = wpk + wBytes;
    const xPtr = wRaw + align(d.M * K * 4, 64);
    const outPtr = xPtr + this.room(x, batch * image);
    const scratch = outPtr + this.room(out, batch * outImage);
    const table = scratch + threads * scratchBytes; // directConv's work items: 3 int32 each
    this.reserve(table + batch * TAIL_BANDS * 12 - this.opBase);
    const f = this.f32;
    f.set(weight.subarray(0, d.M * K), wRaw >> 2);
    if (winograd) this.k.packWinogradWeights(wRaw, d.M, d.N, transposeFlip ? 1 : 0, wpk);
    else this.k.packDirectWeights(wRaw, d.M, d.N, d.kh, d.kw, transposeFlip ? 1 : 0, wpk);
    const xAt = this.place(x, batch * image, xPtr);
    // an output in a block is written where it is; otherwise in the operand area, then copied out
    const outIn = this.resident(out);
    const outAt = outIn >= 0 ? outIn : outPtr;
    if (init === "accumulate") {
      if (outIn < 0) f.set(out.subarray(0, batch * outImage), outPtr >> 2);
    } else if (init !== null) {
      const plane = d.outH * d.outW;
      for (let b = 0; b < batch; b++) {
        for (let m = 0; m < d.M; m++) {
          const at = (outAt >> 2) + (b * d.M + m) * plane;
          f.fill(init[m], at, at + plane);
        }
      }
    }
    this.gemms += batch;
    this.directConv(d, batch, xAt, wpk, outAt, init !== null, scratch, scratchBytes, winograd, threads, table, lead);
    if (outIn < 0) out.set(f.subarray(outPtr >> 2, (outPtr >> 2) + batch * outImage), 0);
  }

  /**
   * Whether {@link directConvCall} runs `d` by Winograd F(2x2, 3x3): the `winograd` option is on,
   * the kernel is 3x3 with dilation 1, and it has at least {@link WINOGRAD_MIN_CHANNELS} input
   * channels. Depends on the shape only (never on the thread count).
   */
  private usesWinograd(d: DirectConv): boolean {
    return this.winograd && d.kh === 3 && d.kw === 3 && d.dh === 1 && d.dw === 1 && d.N >= WINOGRAD_MIN_CHANNELS;
  }

  conv2dForward(args: Conv2dForwardArgs): void {
    const { batch, cout, x, weight, bias, out } = args;
    const g = args.geometry;
    const K0 = g.channels * g.kernelH * g.kernelW;
    const L0 = g.outH * g.outW;
    const checks: [string, TypedArray, number][] = [
      ["x", x, batch * g.channels * g.height * g.width],
      ["weight", weight, cout * K0],
      ["out", out, batch * cout * L0],
    ];
    if (bias !== null) checks.push(["bias", bias, cout]);
    const { image, K, L, geometry } = this.convSizes("conv2dForward", args, checks);
    if (batch === 0 || L === 0) return;
    if (g.strideH === 1 && g.strideW === 1) {
      const d: DirectConv = {
        N: g.channels, H: g.height, W: g.width, padH: g.padH, padW: g.padW, kh: g.kernelH, kw: g.kernelW,
        dh: g.dilationH, dw: g.dilationW, M: cout, outH: g.outH, outW: g.outW,
      };
      this.directConvCall(d, batch, x as Float32Array, weight as Float32Array, false, out as Float32Array, bias as Float32Array | null);
      return;
    }
    const parts = this.imageParts(batch);
    if (parts > 1) {
      // whole images per thread (im2col included): every image's GEMM runs on one thread, so the
      // results equal the one-thread path's bit for bit
      const wPtr = this.opBase;
      const xPtr = wPtr + align(cout * K * 4, 64);
      const outPtr = xPtr + align(batch * image * 4, 64);
      const colsPtr = outPtr + align(batch * cout * L * 4, 64);
      const colsBytes = align(K * L * 4, 64);
      this.reserve(colsPtr + parts * colsBytes - this.opBase);
      const f = this.f32;
      f.set(weight.subarray(0, cout * K), wPtr >> 2);
      f.set(x.subarray(0, batch * image), xPtr >> 2);
      if (bias !== null) {
        for (let b = 0; b < batch; b++) {
          for (let co = 0; co < cout; co++) f.fill(bias[co], (outPtr >> 2) + (b * cout + co) * L, (outPtr >> 2) + (b * cout + co + 1) * L);
        }
      }
      const beta = bias !== null ? 1 : 0;
      this.gemms += batch;
      this.splitImages(batch, parts, CMD_CONV_FORWARD, [wPtr, K, cout, L, xPtr, image, outPtr], colsPtr, colsBytes, beta, geometry, (b0, b1, cols) => {
        for (let b = b0; b < b1; b++) {
          this.k.im2col(xPtr + b * image * 4, cols, ...geometry);
          this.k.gemm(0, 0, cout, L, K, 1, wPtr, K, cols, L, beta, outPtr + b * cout * L * 4, L, this.scratchOf(0));
        }
      });
      out.set(f.subarray(outPtr >> 2, (outPtr >> 2) + batch * cout * L), 0);
      return;
    }
    const wPtr = this.opBase;
    const xPtr = wPtr + align(cout * K * 4, 64);
    const colsPtr = xPtr + align(image * 4, 64);
    const cPtr = colsPtr + align(K * L * 4, 64);
    this.reserve(cPtr + cout * L * 4 - this.opBase);
    const f = this.f32;
    f.set(weight.subarray(0, cout * K), wPtr >> 2);
    for (let b = 0; b < batch; b++) {
      f.set(x.subarray(b * image, (b + 1) * image), xPtr >> 2);
      this.k.im2col(xPtr, colsPtr, ...geometry);
      if (bias !== null) for (let co = 0; co < cout; co++) f.fill(bias[co], (cPtr >> 2) + co * L, (cPtr >> 2) + (co + 1) * L);
      this.gemms++;
      this.run(false, false, cout, L, K, 1, wPtr, K, colsPtr, L, bias !== null ? 1 : 0, cPtr, L, -1);
      out.set(f.subarray(cPtr >> 2, (cPtr >> 2) + cout * L), b * cout * L);
    }
  }

  conv2dBackwardData(args: Conv2dBackwardDataArgs): void {
    const { batch, cout, dy, weight, dx } = args;
    const g = args.geometry;
    const K0 = g.channels * g.kernelH * g.kernelW;
    const L0 = g.outH * g.outW;
    const { image, K, L, geometry } = this.convSizes("conv2dBackwardData", args, [
      ["dy", dy, batch * cout * L0],
      ["weight", weight, cout * K0],
      ["dx", dx, batch * g.channels * g.height * g.width],
    ]);
    if (batch === 0 || L === 0) return;
    // stride 1: dx += conv(dy, W transposed and flipped), padded by dilation*(kernel-1) - pad
    const padH = g.dilationH * (g.kernelH - 1) - g.padH;
    const padW = g.dilationW * (g.kernelW - 1) - g.padW;
    if (g.strideH === 1 && g.strideW === 1 && padH >= 0 && padW >= 0) {
      const d: DirectConv = {
        N: cout, H: g.outH, W: g.outW, padH, padW, kh: g.kernelH, kw: g.kernelW,
        dh: g.dilationH, dw: g.dilationW, M: g.channels, outH: g.height, outW: g.width,
      };
      // a fresh (all-zero) dx is overwritten instead of copied in and added to
      this.directConvCall(d, batch, dy as Float32Array, weight as Float32Array, true, dx as Float32Array, args.dxZero === true ? null : "accumulate");
      return;
    }
    const parts = this.imageParts(batch);
    if (parts > 1) {
      const wPtr = this.opBase;
      const dyPtr = wPtr + align(cout * K * 4, 64);
      const dxPtr = dyPtr + align(batch * cout * L * 4, 64);
      const colsPtr = dxPtr + align(batch * image * 4, 64);
      const colsBytes = align(K * L * 4, 64);
      this.reserve(colsPtr + parts * colsBytes - this.opBase);
      const f = this.f32;
      f.set(weight.subarray(0, cout * K), wPtr >> 2);
      f.set(dy.subarray(0, batch * cout * L), dyPtr >> 2);
      // a fresh dx (dxZero) is taken as zeros whatever it holds
      if (args.dxZero === true) f.fill(0, dxPtr >> 2, (dxPtr >> 2) + batch * image);
      else f.set(dx.subarray(0, batch * image), dxPtr >> 2);
      this.gemms += batch;
      this.splitImages(batch, parts, CMD_CONV_BACKWARD_DATA, [wPtr, K, cout, L, dyPtr, image, dxPtr], colsPtr, colsBytes, 0, geometry, (b0, b1, cols) => {
        for (let b = b0; b < b1; b++) {
          this.k.gemm(1, 0, K, L, cout, 1, wPtr, K, dyPtr + b * cout * L * 4, L, 0, cols, L, this.scratchOf(0));
          this.k.col2imAccumulate(dxPtr + b * image * 4, cols, ...geometry);
        }
      });
      dx.set(f.subarray(dxPtr >> 2, (dxPtr >> 2) + batch * image), 0);
      return;
    }
    const wPtr = this.opBase;
    const dyPtr = wPtr + align(cout * K * 4, 64);
    const colsPtr = dyPtr + align(cout * L * 4, 64);
    const dxPtr = colsPtr + align(K * L * 4, 64);
    this.reserve(dxPtr + image * 4 - this.opBase);
    const f = this.f32;
    f.set(weight.subarray(0, cout * K), wPtr >> 2);
    for (let b = 0; b < batch; b++) {
      f.set(dy.subarray(b * cout * L, (b + 1) * cout * L), dyPtr >> 2);
      this.gemms++;
      this.run(true, false, K, L, cout, 1, wPtr, K, dyPtr, L, 0, colsPtr, L, -1);
      if (args.dxZero === true) f.fill(0, dxPtr >> 2, (dxPtr >> 2) + image);
      else f.set(dx.subarray(b * image, (b + 1) * image), dxPtr >> 2);
      this.k.col2imAccumulate(dxPtr, colsPtr, ...geometry);
      dx.set(f.subarray(dxPtr >> 2, (dxPtr >> 2) + image), b * image);
    }
  }

  conv2dBackwardWeight(args: Conv2dBackwardWeightArgs): void {
    const { batch, cout, dy, x, dW } = args;
    const g = args.geometry;
    const K0 = g.channels * g.kernelH * g.kernelW;
    const L0 = g.outH * g.outW;
    const { image, K, L, geometry } = this.convSizes("conv2dBackwardWeight", args, [
      ["dy", dy, batch * cout * L0],
      ["x", x, batch * g.channels * g.height * g.width],
      ["dW", dW, cout * K0],
    ]);
    if (batch === 0 || L === 0) return;
    if (g.strideH === 1 && g.strideW === 1) {
      if (this.deferWeightGrad(g, batch, cout, dy as Float32Array, x as Float32Array, dW as Float32Array)) return;
      this.directWeightGrad(g, batch, cout, dy as Float32Array, x as Float32Array, dW as Float32Array);
      return;
    }
    const dwPtr = this.opBase;
    const xPtr = dwPtr + align(cout * K * 4, 64);
    const colsPtr = xPtr + align(image * 4, 64);
    const dyPtr = colsPtr + align(K * L * 4, 64);
    const tmpPtr = dyPtr + align(cout * L * 4, 64);
    this.reserve(tmpPtr + cout * K * 4 - this.opBase);
    const f = this.f32;
    f.set(dW.subarray(0, cout * K), dwPtr >> 2);
    for (let b = 0; b < batch; b++) {
      f.set(x.subarray(b * image, (b + 1) * image), xPtr >> 2);
      this.k.im2col(xPtr, colsPtr, ...geometry);
      f.set(dy.subarray(b * cout * L, (b + 1) * cout * L), dyPtr >> 2);
      this.gemms++;
      this.run(false, true, cout, K, L, 1, dyPtr, L, colsPtr, L, 1, dwPtr, K, tmpPtr);
    }
    dW.set(f.subarray(dwPtr >> 2, (dwPtr >> 2) + cout * K), 0);
  }

  /**
   * The weight gradient of a stride-1 convolution without a column matrix: the images are padded
   * once, then the taps are split across the threads (each owns whole rows of dW^T, so the split
   * never changes a sum), see the kernels' convDirectWeightGrad.
   */
  private directWeightGrad(g: ConvGeometry, batch: number, cout: number, dy: Float32Array, x: Float32Array, dW: Float32Array): void {
    if (this.winograd && usesWinogradWeightGrad(g)) {
      this.winogradWeightGrad(g, batch, cout, dy, x, dW);
      return;
    }
    const N = g.channels;
    const K = N * g.kernelH * g.kernelW;
    const L = g.outH * g.outW;
    const image = N * g.height * g.width;
    const Hp = g.height + 2 * g.padH;
    const Wp = g.width + 2 * g.padW;
    // without padding the images are their own padded copies: the kernel reads x where it is (a
    // 1x1 output convolution copied 2 MB per SimpleUNet step for nothing)
    const unpadded = g.padH === 0 && g.padW === 0;
    const ldp = unpadded ? image * 4 : align(N * Hp * Wp * 4, 64);
    const flops = 2 * batch * cout * K * L;
    const blocks = Math.ceil(K / 4);
    const parts = Math.min(this.solo || flops < MIN_PARALLEL_FLOPS ? 1 : this.threads, blocks);
    const per = Math.ceil(blocks / parts) * 4; // taps per thread, whole blocks of 4
    const accBytes = align((per / 4) * Math.ceil(cout / 8) * 128, 64);
    const chunkBytes = align(this.k.weightGradChunkBytes(cout, g.outW), 64);
    const dwPtr = this.opBase;
    const offs = dwPtr + align(cout * K * 4, 64);
    const dyPtr = offs + align(K * 4, 64);
    const xPtr = dyPtr + this.room(dy, batch * cout * L);
    const padded = xPtr + this.room(x, batch * image);
    const work = unpadded ? padded : padded + batch * ldp + 64;
    this.reserve(work + parts * (accBytes + chunkBytes) - this.opBase);
    const f = this.f32;
    f.set(dW.subarray(0, cout * K), dwPtr >> 2);
    const dyAt = this.place(dy, batch * cout * L, dyPtr);
    const xAt = this.place(x, batch * image, xPtr);
    const P = unpadded ? xAt : padded;
    if (!unpadded) {
      f.fill(0, padded >> 2, work >> 2);
      this.k.padImages(xAt, image * 4, N, g.height, g.width, g.padH, g.padW, 0, batch, padded, ldp);
    }
    this.k.directOffsets(N, Hp, Wp, g.kernelH, g.kernelW, g.dilationH, g.dilationW, offs);
    this.gemms += batch;
    const args = (t: number) => {
      const p0 = Math.min(K, t * per);
      const acc = work + t * (accBytes + chunkBytes);
      return [P, ldp, offs, Wp, dyAt, cout * L * 4, cout, g.outH, g.outW, batch, K, p0, Math.min(K, p0 + per), acc, acc + accBytes, dwPtr];
    };
    const seq = ++this.seq;
    let used = 0;
    for (let w = 1; w < parts; w++) {
      if (w * per >= K) break;
      this.post(w, seq, CMD_CONV_DIRECT_WEIGHT_GRAD, args(w));
      used = w;
    }
    if (used > 0) this.parallelGemms++;
    this.k.convDirectWeightGradT(...args(0));
    this.waitWorkers(seq, used);
    dW.set(f.subarray(dwPtr >> 2, (dwPtr >> 2) + cout * K), 0);
  }

  conv2dBackward(args: Conv2dBackwardArgs): void {
    const { batch, cout, dy, x, weight, dx, dW } = args;
    const g = args.geometry;
    const dataArgs: Conv2dBackwardDataArgs = { geometry: g, batch, cout, dy, weight, dx, dxZero: args.dxZero };
    const weightArgs: Conv2dBackwardWeightArgs = { geometry: g, batch, cout, dy, x, dW };
    const K0 = g.channels * g.kernelH * g.kernelW;
    const L0 = g.outH * g.outW;
    this.convSizes("conv2dBackward", args, [
      ["dy", dy, batch * cout * L0],
      ["x", x, batch * g.channels * g.height * g.width],
      ["weight", weight, cout * K0],
      ["dx", dx, batch * g.channels * g.height * g.width],
      ["dW", dW, cout * K0],
    ]);
    // the input gradient's direct/Winograd path needs a non-negative padding of dy
    const padH = g.dilationH * (g.kernelH - 1) - g.padH;
    const padW = g.dilationW * (g.kernelW - 1) - g.padW;
    const concurrent =
      this.threads > 1 && !this.solo && this.winograd && usesWinogradWeightGrad(g) && padH >= 0 && padW >= 0 &&
      batch > 0 && L0 > 0 && 2 * batch * cout * K0 * L0 >= MIN_PARALLEL_FLOPS;
    // in a deferred scope, the weight gradient goes to the workers' queue first, then this thread
    // computes the input gradient
    if (this.deferWeightGrad(g, batch, cout, dy as Float32Array, x as Float32Array, dW as Float32Array)) {
      this.conv2dBackwardData(dataArgs);
      return;
    }
    if (!concurrent) {
      this.conv2dBackwardData(dataArgs);
      this.conv2dBackwardWeight(weightArgs);
      return;
    }
    const d: DirectConv = {
      N: cout, H: g.outH, W: g.outW, padH, padW, kh: g.kernelH, kw: g.kernelW,
      dh: g.dilationH, dw: g.dilationW, M: g.channels, outH: g.height, outW: g.width,
    };
    // both threads take the weight gradient's rows, then the input gradient's work items
    this.winogradWeightGrad(g, batch, cout, dy as Float32Array, x as Float32Array, dW as Float32Array, (base, lead) =>
      this.directConvCall(d, batch, dy as Float32Array, weight as Float32Array, true, dx as Float32Array, args.dxZero === true ? null : "accumulate", base, this.threads, lead),
    );
  }

  /**
   * The weight gradient of a 3x3, stride-1, dilation-1 convolution by Winograd F(2x2, 3x3) (see the
   * kernels' conv-winograd-wgrad.ts): the images and dy are copied into zero-bordered tile-aligned
   * planes, then the 4 rows of the 4x4 transform positions are split across the threads (each owns
   * its positions' accumulators, so the split never changes a sum), and the calling thread reduces
   * them into dW (accumulating).
   */
  private winogradWeightGrad(
    g: ConvGeometry, batch: number, cout: number, dy: Float32Array, x: Float32Array, dW: Float32Array,
    alongside?: (base: number, lead: ConvLead) => void,
  ): void {
    const N = g.channels;
    const M = cout;
    const K = N * 9;
    const L = g.outH * g.outW;
    const image = N * g.height * g.width;
    const { TH, TW4, Hq, Wq, Hd, Wd, dyAligned } = winogradWgradPlanes(g);
    const flops = 2 * batch * M * K * L;
    // with `alongside`, worker 1 and the calling thread take the 4 transform rows one at a time
    const parts = alongside ? 2 : Math.min(this.solo || flops < MIN_PARALLEL_FLOPS ? 1 : this.threads, 4);
    const rowsPer = alongside ? WGRAD_ROWS_PER_ITEM : Math.ceil(4 / parts);
    const Mp = this.k.winogradWgradRowsM(M);
    const Np = this.k.winogradWgradColsN(N);
    const Gc = winogradWgradGroups(Mp, Np, rowsPer);
    const accBytes = align(this.k.winogradWgradAccBytes(M, N), 64);
    const scratchBytes = align(this.k.winogradWgradScratchBytes(M, N, rowsPer, Gc), 64);
    const dwPtr = this.opBase;
    const xPtr = dwPtr + align(M * K * 4, 64);
    const dyPtr = xPtr + this.room(x, batch * image);
    const xq = dyPtr + this.room(dy, batch * M * L);
    const dqPad = xq + align(batch * N * Hq * Wq * 4, 64);
    const acc = dqPad + (dyAligned ? 0 : align(batch * M * Hd * Wd * 4, 64));
    const scratch = acc + accBytes;
    this.reserve(scratch + parts * scratchBytes - this.opBase);
    const f = this.f32;
    f.set(dW.subarray(0, M * K), dwPtr >> 2);
    const xAt = this.place(x, batch * image, xPtr);
    const dyAt = this.place(dy, batch * M * L, dyPtr);
    const dq = dyAligned ? dyAt : dqPad;
    // the zero-bordered planes, split across the threads by planes
    const pads = (src: number, planes: number, H: number, W: number, top: number, left: number, Hp: number, Wp: number, dst: number) =>
      elementwise.ranges(planes, this.solo ? 1 : this.threads).map(([p0, p1]) => [
        [src + 4 * p0 * H * W, p1 - p0, H, W, top, left, Hp, Wp, dst + 4 * p0 * Hp * Wp],
      ]);
    this.calls("winogradPadPlanes", pads(xAt, batch * N, g.height, g.width, g.padH, g.padW, Hq, Wq, xq), batch * N * Hq * Wq);
    if (!dyAligned) this.calls("winogradPadPlanes", pads(dyAt, batch * M, g.outH, g.outW, 0, 0, Hd, Wd, dq), batch * M * Hd * Wd);
    this.gemms += batch;
    const args = (t: number) => [xq, dq, N, M, batch, TH, TW4, Math.min(4, t * rowsPer), Math.min(4, (t + 1) * rowsPer), Gc, acc, scratch + t * scratchBytes];
    if (alongside) {
      // worker 1 and the calling thread take the transform rows one at a time from a shared counter
      // (each row's accumulators are the same whoever computes them), then `alongside`'s work items
      const ctl = this.i32;
      const counter = this.slotIndex(0) + 1; // slot 0 belongs to the calling thread: words 0..2 are free
      Atomics.store(ctl, counter, 0);
      const own = args(1);
      const per = WGRAD_ROWS_PER_ITEM;
      const run = () => {
        for (let r = Atomics.add(ctl, counter, 1); r * per < 4; r = Atomics.add(ctl, counter, 1)) {
          own[7] = r * per;
          own[8] = Math.min(4, (r + 1) * per);
          this.k.winogradWeightGrad(...own);
        }
      };
      alongside(align(scratch + 2 * scratchBytes, 64), { record: [...args(0), counter, per], run }); // counted as one split there
    } else {
      const seq = ++this.seq;
      let used = 0;
      for (let w = 1; w < parts; w++) {
        if (w * rowsPer >= 4) break;
        this.post(w, seq, CMD_WINOGRAD_WEIGHT_GRAD, args(w));
        used = w;
      }
      if (used > 0) this.parallelGemms++;
      this.k.winogradWeightGrad(...args(0));
      this.waitWorkers(seq, used);
    }
    this.k.winogradWeightGradFinish(acc, M, N, dwPtr);
    dW.set(f.subarray(dwPtr >> 2, (dwPtr >> 2) + M * K), 0);
  }

  /**
   * Opens a deferred scope (see KernelBackend.beginDeferred): with threads, the workers start
   * serving a queue of weight-gradient jobs, and until the scope ends every other kernel starts on
   * the calling thread, its work items queued as a job that a worker joins once it has no weight
   * gradient left (measured on the SimpleUNet step: the calling thread's input gradients and
   * elementwise kernels then overlap the workers' weight gradients, instead of both threads
   * splitting each kernel and waiting for each other). Nested scopes only count.
   */
  beginDeferred(): void {
    this.live("beginDeferred");
    if (this.deferred !== null) {
      this.deferred.depth++;
      return;
    }
    const T = this.workersLost || !this.sharedMemory ? 1 : this.threads;
    const q = this.jobQueue >> 2;
    const ctl = this.i32;
    ctl.fill(0, q, q + 4);
    const seq = T > 1 ? ++this.seq : 0;
    // words 4: the queue (int32 words), 5: the worker's index (its share of a convolution's scratch)
    for (let w = 1; w < T; w++) this.post(w, seq, CMD_DEFERRED_JOBS, [q, w]);
    this.deferred = { depth: 1, workers: T - 1, seq, jobs: [], settled: 0 };
  }

  /**
   * Closes a deferred scope: the outermost call closes the queue, runs the jobs no worker has taken
   * on the calling thread, waits for the workers, and copies every job's weight gradient into its
   * `dW`. Throws if a job failed (the scope is closed all the same).
   */
  endDeferred(): void {
    const d = this.deferred;
    if (d === null) throw new ArgumentError("endDeferred", "no deferred scope is open (beginDeferred was not called)");
    if (--d.depth > 0) return;
    try {
      this.settleDeferred(true);
    } finally {
      this.deferred = null;
    }
  }

  /**
   * Runs what is left of the deferred scope's queue on the calling thread and waits for the workers'
   * jobs (closing the queue if `close`: the workers then return to their control slots), then copies
   * each job's dW into the caller's and frees its block.
   */
  private settleDeferred(close: boolean): void {
    const d = this.deferred!;
    if (d.workers === 0) return;
    const ctl = this.i32;
    const q = this.jobQueue >> 2;
    const posted = d.jobs.length;
    let failed = false;
    try {
      if (close) {
        Atomics.or(ctl, q, QUEUE_CLOSED);
        Atomics.notify(ctl, q);
      }
      // take the tickets no worker has taken (a worker may hold tickets past `posted`: those stay theirs)
      for (let u = Atomics.load(ctl, q + 1); u < posted; u = Atomics.load(ctl, q + 1)) {
        if (Atomics.compareExchange(ctl, q + 1, u, u + 1) !== u) continue;
        this.runJob(d.jobs[u]);
        Atomics.add(ctl, q + 2, 1);
      }
      if (close) {
        this.waitWorkers(d.seq, d.workers);
      } else {
        for (let done = Atomics.load(ctl, q + 2); done < posted; done = Atomics.load(ctl, q + 2)) {
          if (atomicsWaitAllowed()) Atomics.wait(ctl, q + 2, done);
        }
      }
      failed = Atomics.load(ctl, q + 3) !== 0;
    } finally {
      this.reserve(0);
      for (let u = d.settled; u < posted; u++) {
        const job = d.jobs[u];
        if (!failed && job.dW !== null) job.dW.set(this.f32.subarray(job.dwAt >> 2, (job.dwAt >> 2) + job.dW.length), 0);
        this.freeBlock(job.block);
      }
      d.settled = posted;
    }
    if (failed) throw new Error("@unetkit/backend-wasm: a deferred weight gradient failed on a worker thread");
  }

  /** Workers serving an open deferred scope's queue that still has room for a job (0 if none). */
  private queueWorkers(): number {
    const d = this.deferred;
    return d === null || this.workersLost || d.jobs.length >= JOB_QUEUE_JOBS ? 0 : d.workers;
  }

  /** Queues `job` (its record at int32 word `record`) for the deferred scope's workers, and wakes them. */
  private postJob(job: DeferredJob, record: number): void {
    const d = this.deferred!;
    const ctl = this.i32;
    const q = this.jobQueue >> 2;
    const u = d.jobs.length;
    d.jobs.push(job);
    ctl[q + 4 + u] = record;
    Atomics.store(ctl, q, u + 1);
    Atomics.notify(ctl, q);
  }

  /** Runs a deferred job's kernel calls on the calling thread. */
  private runJob(job: DeferredJob): void {
    const k = this.k as unknown as Record<CallableKernel, (...args: number[]) => void>;
    for (const [name, args] of job.calls) k[name](...args);
  }

  /**
   * Queues the weight gradient of a stride-1 convolution for the deferred scope's workers, when
   * there is a scope with workers whose queue has room and memory for the job's block is found.
   * Returns whether it did; if not, the caller computes the gradient now. `x` and `dy` are used
   * where they are when they lie in blocks (the scope's rule keeps them), otherwise copied into the
   * block. The job computes what {@link winogradWeightGrad} or {@link directWeightGrad} would on one
   * thread (their splits never change a sum, so the bits are the same) into a copy of dW, which
   * the end of the scope copies back: by Winograd, it pads the planes, accumulates the transforms
   * over all tiles and adds G^T . G of them; directly, it pads the images and runs all the taps.
   */
  private deferWeightGrad(g: ConvGeometry, batch: number, cout: number, dy: Float32Array, x: Float32Array, dW: Float32Array): boolean {
    const d = this.deferred;
    if (d === null || this.queueWorkers() === 0 || batch === 0 || g.outH * g.outW === 0) return false;
    if (g.strideH !== 1 || g.strideW !== 1 || !(dy instanceof Float32Array && x instanceof Float32Array)) return false;
    const N = g.channels;
    const M = cout;
    const K = N * g.kernelH * g.kernelW;
    const L = g.outH * g.outW;
    const image = N * g.height * g.width;
    // a second gradient into the same dW must add onto the first one's result
    for (let u = d.settled; u < d.jobs.length; u++) {
      const other = d.jobs[u].dW;
      if (other !== null && other.buffer === dW.buffer && other.byteOffset === dW.byteOffset) {
        this.settleDeferred(false);
        break;
      }
    }
    // the block: the record, dW's copy, copies of x and dy when they are not in blocks, then the
    // kernel's own memory (`work` bytes from `own`)
    const record = 0;
    const dwAt = record + 256;
    const xCopy = dwAt + align(M * K * 4, 64);
    const dyCopy = xCopy + this.room(x, batch * image);
    const own = dyCopy + this.room(dy, batch * M * L);
    const winograd = this.winograd && usesWinogradWeightGrad(g);
    let work: number;
    let calls: (base: number, xAt: number, dyAt: number) => [CallableKernel, number[]][];
    if (winograd) {
      const { TH, TW4, Hq, Wq, Hd, Wd, dyAligned } = winogradWgradPlanes(g);
      const rowsPer = 4;
      const Gc = winogradWgradGroups(this.k.winogradWgradRowsM(M), this.k.winogradWgradColsN(N), rowsPer);
      const xq = own;
      const dqPad = xq + align(batch * N * Hq * Wq * 4, 64);
      const acc = dqPad + (dyAligned ? 0 : align(batch * M * Hd * Wd * 4, 64));
      const scratch = acc + align(this.k.winogradWgradAccBytes(M, N), 64);
      work = scratch + align(this.k.winogradWgradScratchBytes(M, N, rowsPer, Gc), 64) - own;
      calls = (base, xAt, dyAt) => {
        const dq = dyAligned ? dyAt : base + dqPad;
        const list: [CallableKernel, number[]][] = [["winogradPadPlanes", [xAt, batch * N, g.height, g.width, g.padH, g.padW, Hq, Wq, base + xq]]];
        if (!dyAligned) list.push(["winogradPadPlanes", [dyAt, batch * M, g.outH, g.outW, 0, 0, Hd, Wd, dq]]);
        list.push(["winogradWeightGrad", [base + xq, dq, N, M, batch, TH, TW4, 0, rowsPer, Gc, base + acc, base + scratch]]);
        list.push(["winogradWeightGradFinish", [base + acc, M, N, base + dwAt]]);
        return list;
      };
    } else {
      const Hp = g.height + 2 * g.padH;
      const Wp = g.width + 2 * g.padW;
      // without padding the kernel reads x where it is (as directWeightGrad)
      const unpadded = g.padH === 0 && g.padW === 0;
      const ldp = unpadded ? image * 4 : align(N * Hp * Wp * 4, 64);
      const per = Math.ceil(K / 4) * 4; // all the taps, in whole blocks of 4
      const accBytes = align((per / 4) * Math.ceil(M / 8) * 128, 64);
      const chunkBytes = align(this.k.weightGradChunkBytes(M, g.outW), 64);
      const offs = own;
      const P = offs + align(K * 4, 64);
      const acc = unpadded ? P : P + batch * ldp + 64;
      work = acc + accBytes + chunkBytes - own;
      calls = (base, xAt, dyAt) => [
        ...(unpadded
          ? []
          : ([
            ["zeroBytes", [base + P, batch * ldp + 64]],
            ["padImages", [xAt, image * 4, N, g.height, g.width, g.padH, g.padW, 0, batch, base + P, ldp]],
          ] as [CallableKernel, number[]][])),
        ["directOffsets", [N, Hp, Wp, g.kernelH, g.kernelW, g.dilationH, g.dilationW, base + offs]],
        ["convDirectWeightGradT", [unpadded ? xAt : base + P, ldp, base + offs, Wp, dyAt, M * L * 4, M, g.outH, g.outW, batch, K, 0, K, base + acc, base + acc + accBytes, base + dwAt]],
      ];
    }
    const block = this.allocateBlock((own + work) / 4);
    if (block === null) return false;
    this.reserve(0); // the block may have grown the memory
    const base = block.byteOffset;
    const xAt = this.place(x, batch * image, base + xCopy);
    const dyAt = this.place(dy, batch * M * L, base + dyCopy);
    const list = calls(base, xAt, dyAt);
    const dWUsed = dW.subarray(0, M * K);
    const job: DeferredJob = { calls: list, block, dW: dWUsed, dwAt: base + dwAt };
    this.f32.set(dWUsed, job.dwAt >> 2);
    // the record the workers read: kind 0, the call count, then per call its kernel, argument count, arguments
    const words = [JOB_CALLS, list.length];
    for (const [name, args] of list) words.push(CALLABLE_KERNELS.indexOf(name), args.length, ...args);
    if (words.length > 64) throw new Error(`@unetkit/backend-wasm: a deferred job's record has ${words.length} words, more than 64`);
    this.i32.set(words, (base + record) >> 2);
    this.postJob(job, (base + record) >> 2);
    this.gemms += batch;
    this.parallelGemms++;
    return true;
  }

  /** The operand area as the elementwise kernels (elementwise-kernels.ts) use it; throws once disposed. */
  private operands(op: string): elementwise.OperandArea {
    this.live(op);
    return {
      exports: this.k,
      base: this.opBase,
      reserve: (bytes) => (this.reserve(bytes), this.f32),
      resident: (a) => this.resident(a),
      threads: this.solo ? 1 + this.queueWorkers() : this.threads,
      calls: (name, parts, elements) => this.calls(name, parts, elements),
    };
  }

  /**
   * Runs kernel `name` once per argument row of every item of `items`. With threads (and at least
   * {@link MIN_PARALLEL_ELEMENTS} elements, and room in the table), every thread takes the next item
   * from a shared counter until none is left, and runs its rows in order: the calling thread starts
   * at once and a worker joins when it wakes, so its wake-up time is not waited for. In a deferred
   * scope the items go to the workers' queue instead ({@link queueCalls}). Otherwise every row runs
   * in order on the calling thread. Items must write disjoint memory, and each item's rows
   * must give the same bits whichever thread runs them.
   */
  private calls(name: CallableKernel, items: number[][][], elements: number): void {
    const fn = (this.k as unknown as Record<CallableKernel, (...args: number[]) => void>)[name];
    const rows = items.flat();
    const width = rows.length > 0 ? rows[0].length : 0;
    const words = items.length + 1 + rows.length * width;
    if (items.length > 1 && elements >= MIN_PARALLEL_ELEMENTS && this.queueWorkers() > 0 && this.queueCalls(fn, name, items, width, words)) return;
    const T = this.solo ? 1 : Math.min(this.threads, items.length);
    if (T <= 1 || elements < MIN_PARALLEL_ELEMENTS || words > CALL_TABLE_WORDS) {
      for (const r of rows) fn(...r);
      return;
    }
    // the table: items.length + 1 item starts (in rows), then the rows
    const ctl = this.i32;
    const starts = this.callTable >> 2;
    const table = starts + items.length + 1;
    writeCallTable(ctl, starts, table, items, width);
    const counter = this.slotIndex(0); // slot 0 belongs to the calling thread: its first word is free
    Atomics.store(ctl, counter, 0);
    const seq = ++this.seq;
    for (let w = 1; w < T; w++) {
      // words 4..9: the kernel, its argument count, the item starts, the rows, the item count, the counter
      this.post(w, seq, CMD_CALLS, [CALLABLE_KERNELS.indexOf(name), width, starts, table, items.length, counter]);
    }
    try {
      for (let u = Atomics.add(ctl, counter, 1); u < items.length; u = Atomics.add(ctl, counter, 1)) {
        for (const r of items[u]) fn(...r);
      }
    } finally {
      this.waitWorkers(seq, T - 1);
    }
  }

  /**
   * In a deferred scope, {@link calls}' items as a job on the workers' queue (kind 2, see
   * worker-source.ts command 13): the calling thread takes items from the job's counter at once, a
   * worker joins when it reaches the job (when it has no weight gradient left to compute), and the
   * calling thread then waits for the items a worker took. The record lives in a block of its own
   * until the scope settles, as a worker may read it after this returns. Returns false, having run
   * nothing, when no block is found.
   */
  private queueCalls(fn: (...args: number[]) => void, name: CallableKernel, items: number[][][], width: number, words: number): boolean {
    const block = this.allocateBlock(CALL_JOB_WORDS + words);
    if (block === null) return false;
    this.reserve(0); // the block may have grown the memory
    const ctl = this.i32;
    const rec = block.byteOffset >> 2;
    const starts = rec + CALL_JOB_WORDS;
    const table = starts + items.length + 1;
    const counter = rec + CALL_JOB_WORDS - 2;
    const done = rec + CALL_JOB_WORDS - 1;
    // the record: kind 2, the kernel, its argument count, the item count, the counter, the finished
    // count, the item starts (in rows, count + 1 of them), the argument rows
    ctl.set([JOB_CALL_ITEMS, CALLABLE_KERNELS.indexOf(name), width, items.length, counter, done, starts, table], rec);
    ctl[counter] = 0;
    ctl[done] = 0;
    writeCallTable(ctl, starts, table, items, width);
    this.postJob({ calls: [], block, dW: null, dwAt: 0 }, rec);
    // every item taken counts as finished, so that a failure here still leaves no item to wait for
    let mine = 0;
    let failure: { error: unknown } | null = null;
    for (let u = Atomics.add(ctl, counter, 1); u < items.length; u = Atomics.add(ctl, counter, 1)) {
      mine++;
      if (failure !== null) continue;
      try {
        for (const r of items[u]) fn(...r);
      } catch (error) {
        failure = { error };
      }
    }
    waitForItems(ctl, done, mine, items.length);
    if (failure !== null) throw failure.error;
    return true;
  }

  add(args: AddArgs): void {
    elementwise.addWasm(this.operands("add"), args);
  }

  reluForward(args: ReluForwardArgs): void {
    elementwise.reluForwardWasm(this.operands("reluForward"), args);
  }

  reluBackward(args: ReluBackwardArgs): void {
    elementwise.reluBackwardWasm(this.operands("reluBackward"), args);
  }

  batchNormStatistics(args: BatchNormStatisticsArgs): void {
    elementwise.batchNormStatisticsWasm(this.operands("batchNormStatistics"), args);
  }

  batchNormNormalize(args: BatchNormNormalizeArgs): void {
    elementwise.batchNormNormalizeWasm(this.operands("batchNormNormalize"), args);
  }

  batchNormForward(args: BatchNormForwardArgs): void {
    elementwise.batchNormForwardWasm(this.operands("batchNormForward"), args);
  }

  batchNormBackward(args: BatchNormBackwardArgs): void {
    elementwise.batchNormBackwardWasm(this.operands("batchNormBackward"), args);
  }

  maxPool2x2(args: MaxPool2x2Args): void {
    elementwise.maxPool2x2Wasm(this.operands("maxPool2x2"), args);
  }

  maxPoolBackward(args: MaxPoolBackwardArgs): void {
    elementwise.maxPoolBackwardWasm(this.operands("maxPoolBackward"), args);
  }

  upsampleNearest2x(args: UpsampleNearest2xArgs): void {
    const { x, y, planes, height, width } = args;
    elementwise.upsampleNearest2xWasm(this.operands("upsampleNearest2x"), { x, y, planes, height, width });
  }

  upsampleNearest2xBackward(args: UpsampleNearest2xBackwardArgs): void {
    const { dy, dx, planes, height, width } = args;
    elementwise.upsampleNearest2xBackwardWasm(this.operands("upsampleNearest2xBackward"), { dy, dx, planes, height, width });
  }

  upsampleNearest2xInto(args: UpsampleNearest2xIntoArgs): void {
    const { x, y, planes, height, width, runPlanes, runStride } = args;
    elementwise.upsampleNearest2xWasm(this.operands("upsampleNearest2x"), { x, y, planes, height, width, runPlanes, runStride });
  }

  upsampleNearest2xBackwardFrom(args: UpsampleNearest2xBackwardFromArgs): void {
    const { dy, dx, planes, height, width, runPlanes, runStride } = args;
    elementwise.upsampleNearest2xBackwardWasm(this.operands("upsampleNearest2xBackward"), { dy, dx, planes, height, width, runPlanes, runStride });
  }

  bilinearUpsample(args: BilinearUpsampleArgs): void {
    elementwise.bilinearUpsampleWasm(this.operands("bilinearUpsample"), args);
  }

  bilinearUpsampleBackward(args: BilinearUpsampleBackwardArgs): void {
    elementwise.bilinearUpsampleBackwardWasm(this.operands("bilinearUpsampleBackward"), args);
  }

  softmaxCrossEntropy(args: SoftmaxCrossEntropyArgs): number {
    return elementwise.softmaxCrossEntropyWasm(this.operands("softmaxCrossEntropy"), args);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const seq = ++this.seq;
    for (let w = 1; w <= this.workers.length; w++) {
      const s = this.slotIndex(w);
      this.i32[s + 3] = 2;
      Atomics.store(this.i32, s, seq);
      Atomics.notify(this.i32, s);
    }
    for (const worker of this.workers) void worker.terminate();
  }
}
