import {
  type AddArgs,
  ArgumentError,
  type BatchNormBackwardArgs,
  type BatchNormForwardArgs,
  type BatchNormNormalizeArgs,
  type BatchNormStatisticsArgs,
  type ChannelLayout,
  type MaxPool2x2Args,
  type MaxPoolBackwardArgs,
  type ReluBackwardArgs,
  type ReluForwardArgs,
  type SoftmaxCrossEntropyArgs,
  type TypedArray,
  type UpsampleNearest2xArgs,
  type UpsampleNearest2xBackwardArgs,
  type PlaneRuns,
  type InterpolationTable,
  type BilinearResize,
  type BilinearUpsampleArgs,
  type BilinearUpsampleBackwardArgs,
} from "@unetkit/tensor";
import type { CallableKernel } from "./worker-source.js";

/**
 * The exports of assembly/elementwise.ts the JavaScript side calls (byte addresses, element counts).
 */
interface ElementwiseExports {
  addArrays(a: number, b: number, out: number, n: number): void;
  reluForward(x: number, y: number, n: number): void;
  reluBackward(dy: number, y: number, dx: number, n: number): void;
  batchNormSums(x: number, e0: number, len: number, c: number, L: number, shift: number, acc: number): void;
  batchNormNormalize(x: number, y: number, e0: number, len: number, c: number, L: number, params: number, relu: number): void;
  batchNormForwardChannels(
    x: number, y: number, n: number, c: number, L: number, c0: number, c1: number, shift: number, acc: number, wbe: number, params: number,
    out: number, relu: number,
  ): void;
  batchNormBackwardSums(dy: number, x: number, e0: number, len: number, c: number, L: number, mean: number, acc: number, gate: number): void;
  batchNormBackwardApply(
    dy: number, x: number, dx: number, e0: number, len: number, c: number, L: number, params: number, batchStats: number, gate: number,
  ): void;
  batchNormBackwardChannels(
    dy: number, x: number, dx: number, n: number, c: number, L: number, c0: number, c1: number, mean: number, acc: number,
    coef: number, params: number, sums: number, batchStats: number, gate: number,
  ): void;
  maxPool2x2(x: number, y: number, idx: number, planes: number, H: number, W: number, outH: number, outW: number): void;
  maxPoolBackward(dy: number, idx: number, dx: number, planes: number, inPlane: number, outPlane: number): void;
  upsampleNearest2x(x: number, y: number, planes: number, H: number, W: number): void;
  upsampleNearest2xBackward(dy: number, dx: number, planes: number, H: number, W: number): void;
  bilinearForward(...args: number[]): void;
  bilinearBackward(...args: number[]): void;
  softmaxCrossEntropyPositions(
    x: number, labels: number, grad: number, c: number, s: number, p0: number, p1: number, w: number, params: number,
    ignoreIndex: number, e: number, losses: number,
  ): void;
}

/**
 * What the elementwise kernels use of a wasm backend: the kernels module's exports and its operand
 * area, the scratch memory from byte address `base` that every kernel call may overwrite. Operands
 * that already lie in the backend's memory ({@link OperandArea.resident}) are used where they are.
 *
 * @example
 * ```ts
 * reluForwardWasm({ exports, base, reserve: (bytes) => memoryViewWithRoom(bytes), resident: () => -1 }, { x, y });
 * ```
 */
export interface OperandArea {
  /** The instance exports of the kernels module. */
  readonly exports: object;
  /** First byte of the operand area (64-byte aligned). */
  readonly base: number;
  /** Makes `bytes` bytes from `base` available (growing the memory) and returns the current float32 view of the whole memory. */
  reserve(bytes: number): Float32Array;
  /** The byte address of an array that lies in the backend's memory (a block), else -1. */
  resident(a: TypedArray): number;
  /** Threads that {@link OperandArea.calls} may share items out to (1: the calling thread only). */
  readonly threads: number;
  /**
   * Runs kernel `name` once per argument row of every item (a list of rows run in order by one
   * thread), the items shared out to the threads as they come for them (or all of them in order on
   * the calling thread when `elements` is too few to be worth waking a worker). Items must write
   * disjoint memory.
   */
  calls(name: CallableKernel, items: number[][][], elements: number): void;
}

/**
 * `[0, total)` cut into at most `parts` contiguous ranges `[from, to)` of whole `unit`s (the last
 * may be shorter; none when total is 0): how a kernel's work is shared out across threads.
 *
 * @example
 * ```ts
 * ranges(10, 2); // [[0, 5], [5, 10]]
 * ranges(10, 2, 4); // [[0, 8], [8, 10]]
 * ```
 */
export function ranges(total: number, parts: number, unit = 1): [number, number][] {
  const units = Math.ceil(total / unit);
  const per = Math.ceil(units / Math.max(1, Math.min(parts, units))) * unit;
  const out: [number, number][] = [];
  for (let from = 0; from < total; from += per) out.push([from, Math.min(total, from + per)]);
  return out;
}

/** The byte addresses of arrays that all lie in the backend's memory, or null when one does not. */
function residents(area: OperandArea, arrays: TypedArray[]): number[] | null {
  const at = arrays.map((a) => area.resident(a));
  return at.every((p) => p >= 0) ? at : null;
}

/**
 * Floats a kernel call moves through wasm memory at a time: 64 KiB per operand, so that the copies in
 * and out and the kernel work in the L2 cache (copying a whole 2 MiB activation in, then computing,
 * then copying out, runs at memory speed instead: measured 2x slower).
 */
const CHUNK = 16384;

const align = (x: number, to: number) => Math.ceil(x / to) * to;

/**
 * Items per thread an elementwise kernel's work is cut into when it is shared out: the calling
 * thread starts at once and a worker joins when it wakes (12-110 µs later), so the items must be
 * small enough for the threads to finish close together.
 */
const ITEMS_PER_THREAD = 4;
/**
 * Bytes of one operand a channel group of the fused BatchNorm kernels covers at most (all images of
 * its channels): the group's operands then stay in a core's L2 cache between the kernel's two passes.
 */
const GROUP_BYTES = 128 * 1024;

/**
 * The channel groups `[c0, c1)` of a fused per-channel BatchNorm kernel over channels of `perChannel`
 * elements each: groups of at most {@link GROUP_BYTES} per operand (at least one channel), and at
 * least {@link ITEMS_PER_THREAD} groups per thread when they share the work.
 */
function channelGroups(channels: number, perChannel: number, threads: number): [number, number][] {
  const byCache = Math.ceil(channels / Math.max(1, Math.floor(GROUP_BYTES / (4 * perChannel))));
  return ranges(channels, Math.max(byCache, threads > 1 ? ITEMS_PER_THREAD * threads : 1));
}

/** Floats of logits the loss kernel takes per chunk (whole images when they fit). */
const LOSS_CHUNK = 1 << 18;

const kernels = (area: OperandArea) => area.exports as unknown as ElementwiseExports;

/** Throws unless `a` is a Float32Array (the wasm backend computes float32 only). */
function checkFloat32(op: string, name: string, a: TypedArray): asserts a is Float32Array {
  if (!(a instanceof Float32Array)) {
    throw new ArgumentError(op, `the wasm backend computes float32 only (${name} is ${(a as object)?.constructor?.name})`);
  }
}

function checkF32(op: string, named: Record<string, TypedArray>, length: number): void {
  for (const name in named) {
    const a = named[name];
    checkFloat32(op, name, a);
    if (a.length !== length) {
      throw new ArgumentError(op, `${name} has ${a.length} elements, expected ${length}`);
    }
  }
}

function checkCounts(op: string, named: Record<string, number>): void {
  for (const name in named) {
    const v = named[name];
    if (!Number.isInteger(v) || v < 0) throw new ArgumentError(op, `${name} must be a non-negative integer (got ${v})`);
  }
}

function checkI32(op: string, name: string, a: Int32Array, length: number): void {
  if (!(a instanceof Int32Array) || a.length !== length) {
    throw new ArgumentError(op, `${name} must be an Int32Array of ${length} elements (got ${(a as object)?.constructor?.name} of ${a?.length})`);
  }
}

/** Planes per chunk when a plane moves `per` floats through wasm memory: {@link CHUNK} floats' worth, at least 1. */
const planesPerChunk = (per: number) => Math.max(1, Math.floor(CHUNK / Math.max(1, per)));

function checkF64(op: string, named: Record<string, Float64Array>, channels: number): void {
  for (const name in named) {
    const a = named[name];
    if (!(a instanceof Float64Array) || a.length < channels) {
      throw new ArgumentError(op, `${name} must be a Float64Array of at least ${channels} elements (got ${(a as object)?.constructor?.name} of ${a?.length})`);
    }
  }
}

/** Checks a channel layout and returns its element count. */
function layoutSize(op: string, a: ChannelLayout): number {
  const { batch, channels, plane } = a;
  checkCounts(op, { batch, channels, plane });
  return batch * channels * plane;
}

/** Below this many elements {@link addWasm} adds in a JavaScript loop: the call and copies cost more. */
const ADD_MIN_ELEMENTS = 4096;

/**
 * `out = a + b` in wasm (f32x4 adds), bit-identical to the TypeScript loop for every non-NaN result
 * (a float32 sum computed in float64 and rounded is the float32 sum). All three are float32 arrays
 * of one length; `out` may be `a` or `b`. Small arrays are added in JavaScript.
 *
 * @example
 * ```ts
 * addWasm(area, { a: grad, b: skipGrad, out: grad }); // grad += skipGrad
 * ```
 */
export function addWasm(area: OperandArea, args: AddArgs): void {
  const op = "add";
  const { a, b, out } = args;
  checkF32(op, { a, b, out }, out.length);
  const n = out.length;
  if (n < ADD_MIN_ELEMENTS) {
    for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
    return;
  }
  twoInOneOut(area, "addArrays", a, b, out);
}

/**
 * Runs kernel `name(a, b, out, n)` over three float32 arrays of one length `n`: where they lie,
 * shared out across the threads, when all three are in blocks; otherwise in chunks of
 * {@link CHUNK} floats copied through the operand area.
 */
function twoInOneOut(area: OperandArea, name: "addArrays" | "reluBackward", a: TypedArray, b: TypedArray, out: TypedArray): void {
  const n = out.length;
  const at = residents(area, [a, b, out]);
  if (at !== null) {
    const parts = ranges(n, ITEMS_PER_THREAD * area.threads, 16).map(([i0, i1]) => [[at[0] + 4 * i0, at[1] + 4 * i0, at[2] + 4 * i0, i1 - i0]]);
    area.calls(name, parts, n);
    return;
  }
  const kernel = kernels(area)[name];
  const chunk = Math.min(n, CHUNK);
  const aPtr = area.base;
  const bPtr = aPtr + align(chunk * 4, 64);
  const f = area.reserve(bPtr + chunk * 4 - area.base);
  for (let i = 0; i < n; i += CHUNK) {
    const len = Math.min(CHUNK, n - i);
    f.set(a.subarray(i, i + len), aPtr >> 2);
    f.set(b.subarray(i, i + len), bPtr >> 2);
    kernel(aPtr, bPtr, aPtr, len);
    out.set(f.subarray(aPtr >> 2, (aPtr >> 2) + len), i);
  }
}

/**
 * ReLU forward in wasm (f32x4 compare and mask), bit-identical to the TypeScript loop: `y = x > 0 ?
 * x : 0` (NaN and -0 give +0). `x` and `y` are float32 arrays of one length.
 *
 * @example
 * ```ts
 * reluForwardWasm(area, { x: new Float32Array([-1, 2]), y }); // y = [0, 2]
 * ```
 */
export function reluForwardWasm(area: OperandArea, args: ReluForwardArgs): void {
  const op = "reluForward";
  const { x, y } = args;
  checkF32(op, { x, y }, x.length);
  const n = x.length;
  const k = kernels(area);
  const at = residents(area, [x, y]);
  if (at !== null) {
    const parts = ranges(n, ITEMS_PER_THREAD * area.threads, 16).map(([i0, i1]) => [[at[0] + 4 * i0, at[1] + 4 * i0, i1 - i0]]);
    area.calls("reluForward", parts, n);
    return;
  }
  const ptr = area.base;
  const f = area.reserve(Math.min(n, CHUNK) * 4);
  for (let i = 0; i < n; i += CHUNK) {
    const len = Math.min(CHUNK, n - i);
    f.set(x.subarray(i, i + len), ptr >> 2);
    k.reluForward(ptr, ptr, len);
    y.set(f.subarray(ptr >> 2, (ptr >> 2) + len), i);
  }
}

/**
 * ReLU backward in wasm, bit-identical to the TypeScript loop: `dx = y > 0 ? dy : 0`. All three are
 * float32 arrays of one length.
 *
 * @example
 * ```ts
 * reluBackwardWasm(area, { dy, y, dx }); // dx[i] = y[i] > 0 ? dy[i] : 0
 * ```
 */
export function reluBackwardWasm(area: OperandArea, args: ReluBackwardArgs): void {
  const op = "reluBackward";
  const { dy, y, dx } = args;
  checkF32(op, { dy, y, dx }, dy.length);
  twoInOneOut(area, "reluBackward", dy, y, dx);
}

/**
 * Calls `run(e0, len)` over the chunks of an NCHW tensor of `total` elements in planes of `plane`:
 * whole planes when they fit in {@link CHUNK} floats, else pieces of one plane that start at even
 * offsets in it (the kernels' accumulator lanes are a plane's even and odd positions).
 */
function eachChunk(total: number, plane: number, run: (e0: number, len: number) => void): void {
  if (plane <= CHUNK) {
    const step = Math.floor(CHUNK / plane) * plane;
    for (let e = 0; e < total; e += step) run(e, Math.min(step, total - e));
    return;
  }
  for (let p = 0; p < total; p += plane) {
    for (let o = 0; o < plane; o += CHUNK) run(p + o, Math.min(CHUNK, plane - o));
  }
}

/** Floats of room a chunk needs: {@link CHUNK}, or one plane when it is larger. */
const chunkRoom = (plane: number, size: number) => Math.min(size, plane <= CHUNK ? Math.floor(CHUNK / plane) * plane : CHUNK);

/**
 * BatchNorm batch statistics in wasm (see {@link BatchNormStatisticsArgs}): the sums in f64 with
 * the TypeScript loop's two interleaved accumulators as the two lanes of an f64x2, so `mean` and
 * `variance` are bit-identical to `batchNormStatistics` of @unetkit/layers.
 *
 * @example
 * ```ts
 * batchNormStatisticsWasm(area, { x, batch: 8, channels: 16, plane: 64 * 64, mean, variance });
 * ```
 */
export function batchNormStatisticsWasm(area: OperandArea, args: BatchNormStatisticsArgs): void {
  const op = "batchNormStatistics";
  const { x, mean, variance, batch, channels, plane } = args;
  const size = layoutSize(op, args);
  checkF32(op, { x }, size);
  checkF64(op, { mean, variance }, channels);
  const count = batch * plane;
  if (count === 0) {
    mean.fill(0, 0, channels);
    variance.fill(0, 0, channels);
    return;
  }
  const shiftPtr = area.base;
  const accPtr = shiftPtr + align(channels * 8, 64);
  const xPtr = accPtr + align(channels * 32, 64);
  const f = area.reserve(xPtr + chunkRoom(plane, size) * 4 - area.base);
  const shifts = new Float64Array(f.buffer, shiftPtr, channels);
  for (let ch = 0; ch < channels; ch++) shifts[ch] = x[ch * plane];
  const acc = new Float64Array(f.buffer, accPtr, 4 * channels);
  acc.fill(0);
  const k = kernels(area);
  const xAt = area.resident(x);
  if (xAt >= 0) {
    // each thread sums whole channels (its accumulators), image after image as one thread would
    const parts = ranges(channels, ITEMS_PER_THREAD * area.threads).map(([c0, c1]) =>
      Array.from({ length: batch }, (_, b) => {
        const e0 = (b * channels + c0) * plane;
        return [xAt + 4 * e0, e0, (c1 - c0) * plane, channels, plane, shiftPtr, accPtr];
      }),
    );
    area.calls("batchNormSums", parts, size);
  } else {
    eachChunk(size, plane, (e0, len) => {
      f.set(x.subarray(e0, e0 + len), xPtr >> 2);
      k.batchNormSums(xPtr, e0, len, channels, plane, shiftPtr, accPtr);
    });
  }
  for (let ch = 0; ch < channels; ch++) {
    // lanes 0 and 1 are the TypeScript loop's even and odd accumulators: s += t, s2 += t2
    const s = acc[4 * ch] + acc[4 * ch + 1];
    const s2 = acc[4 * ch + 2] + acc[4 * ch + 3];
    const m = s / count;
    mean[ch] = shifts[ch] + m;
    variance[ch] = Math.max(0, s2 / count - m * m);
  }
}

/**
 * BatchNorm normalisation in wasm (see {@link BatchNormNormalizeArgs}): f64 arithmetic rounded once
 * per element, bit-identical to the TypeScript loop of `BatchNorm2D.forward`.
 *
 * @example
 * ```ts
 * batchNormNormalizeWasm(area, { x, y, batch, channels, plane, mean, scale, shift });
 * ```
 */
export function batchNormNormalizeWasm(area: OperandArea, args: BatchNormNormalizeArgs): void {
  const op = "batchNormNormalize";
  const { x, y, mean, scale, shift, batch, channels, plane } = args;
  const size = layoutSize(op, args);
  checkF32(op, { x, y }, size);
  checkF64(op, { mean, scale, shift }, channels);
  if (size === 0) return;
  const paramsPtr = area.base;
  const xPtr = paramsPtr + align(channels * 24, 64);
  const f = area.reserve(xPtr + chunkRoom(plane, size) * 4 - area.base);
  const params = new Float64Array(f.buffer, paramsPtr, 3 * channels);
  for (let ch = 0; ch < channels; ch++) {
    params[3 * ch] = mean[ch];
    params[3 * ch + 1] = scale[ch];
    params[3 * ch + 2] = shift[ch];
  }
  const k = kernels(area);
  const xi = xPtr >> 2;
  const relu = args.relu === true ? 1 : 0;
  const at = residents(area, [x, y]);
  if (at !== null) {
    const parts = ranges(batch * channels, ITEMS_PER_THREAD * area.threads).map(([p0, p1]) => [
      [at[0] + 4 * p0 * plane, at[1] + 4 * p0 * plane, p0 * plane, (p1 - p0) * plane, channels, plane, paramsPtr, relu],
    ]);
    area.calls("batchNormNormalize", parts, size);
    return;
  }
  eachChunk(size, plane, (e0, len) => {
    f.set(x.subarray(e0, e0 + len), xi);
    k.batchNormNormalize(xPtr, xPtr, e0, len, channels, plane, paramsPtr, relu);
    y.set(f.subarray(xi, xi + len), e0);
  });
}

/**
 * BatchNorm's training forward in wasm (see {@link BatchNormForwardArgs}). With `x` and `y` in the
 * backend's memory, each work item is a group of channels whose statistics and normalisation run in
 * one kernel call (batchNormForwardChannels) while its data is in cache, the groups shared among the
 * threads in one hand-off; otherwise {@link batchNormStatisticsWasm} then
 * {@link batchNormNormalizeWasm}. Either way the bits of `BatchNorm2D.forward`'s TypeScript loops.
 *
 * @example
 * ```ts
 * batchNormForwardWasm(area, { x, y, batch: 8, channels: 16, plane: 64 * 64, weight, bias, eps: 1e-5, relu: true, mean, variance, invstd });
 * ```
 */
export function batchNormForwardWasm(area: OperandArea, args: BatchNormForwardArgs): void {
  const op = "batchNormForward";
  const { x, y, weight, bias, eps, mean, variance, invstd, batch, channels, plane } = args;
  const size = layoutSize(op, args);
  checkF32(op, { x, y }, size);
  checkF64(op, { mean, variance, invstd }, channels);
  for (const [name, p] of [["weight", weight], ["bias", bias]] as const) {
    if (p !== null && !(p.length >= channels)) throw new ArgumentError(op, `${name} has ${p?.length} elements, expected ${channels}`);
  }
  if (typeof eps !== "number" || !(eps >= 0) || eps === Infinity) throw new ArgumentError(op, `eps must be a finite number >= 0 (got ${eps})`);
  if (channels > 0 && batch * plane === 0) {
    throw new ArgumentError(op, `needs at least one value per channel (batch ${batch}, plane ${plane})`);
  }
  if (size === 0) return;
  const relu = args.relu === true;
  const at = residents(area, [x, y]);
  if (at === null) {
    batchNormStatisticsWasm(area, { x, batch, channels, plane, mean, variance });
    const scale = new Float64Array(channels);
    const shift = new Float64Array(channels);
    for (let ch = 0; ch < channels; ch++) {
      invstd[ch] = 1 / Math.sqrt(variance[ch] + eps);
      scale[ch] = (weight ? weight[ch] : 1) * invstd[ch];
      shift[ch] = bias ? bias[ch] : 0;
    }
    batchNormNormalizeWasm(area, { x, y, batch, channels, plane, mean, scale, shift, relu });
    return;
  }
  const shiftPtr = area.base;
  const accPtr = shiftPtr + align(channels * 8, 64);
  const wbePtr = accPtr + align(channels * 32, 64);
  const paramsPtr = wbePtr + align(channels * 24, 64);
  const outPtr = paramsPtr + align(channels * 24, 64);
  const f = area.reserve(outPtr + channels * 24 - area.base);
  const wbe = new Float64Array(f.buffer, wbePtr, 3 * channels);
  for (let ch = 0; ch < channels; ch++) {
    wbe[3 * ch] = weight ? weight[ch] : 1;
    wbe[3 * ch + 1] = bias ? bias[ch] : 0;
    wbe[3 * ch + 2] = eps;
  }
  const items = channelGroups(channels, batch * plane, area.threads).map(([c0, c1]) => [
    [at[0], at[1], batch, channels, plane, c0, c1, shiftPtr, accPtr, wbePtr, paramsPtr, outPtr, relu ? 1 : 0],
  ]);
  area.calls("batchNormForwardChannels", items, size);
  const out = new Float64Array(f.buffer, outPtr, 3 * channels);
  for (let ch = 0; ch < channels; ch++) {
    mean[ch] = out[3 * ch];
    variance[ch] = out[3 * ch + 1];
    invstd[ch] = out[3 * ch + 2];
  }
}

/**
 * BatchNorm backward in wasm (see {@link BatchNormBackwardArgs}): the channel sums with the
 * TypeScript loop's accumulators as f64x2 lanes, the per-channel coefficients with the TypeScript
 * formulas, and `dx` in f64 rounded once: bit-identical to `BatchNorm2D.backward`. With every
 * operand in the backend's memory, each work item is a group of channels whose sums, coefficients
 * and `dx` run in one kernel call (batchNormBackwardChannels) while its data is in cache; otherwise
 * the chunks are copied in for a pass of sums and a pass of `dx`.
 *
 * @example
 * ```ts
 * batchNormBackwardWasm(area, { dy, x, dx, batch, channels, plane, mean, invstd, weight, batchStats: true, sumDy, sumDyXhat });
 * ```
 */
export function batchNormBackwardWasm(area: OperandArea, args: BatchNormBackwardArgs): void {
  const op = "batchNormBackward";
  const { dy, x, dx, mean, invstd, weight, batchStats, sumDy, sumDyXhat, batch, channels, plane } = args;
  const gate = args.gate ?? null;
  const size = layoutSize(op, args);
  checkF32(op, gate === null ? { dy, x, dx } : { dy, x, dx, gate }, size);
  checkF64(op, { mean, invstd, sumDy, sumDyXhat }, channels);
  if (weight !== null && weight.length < channels) {
    throw new ArgumentError(op, `weight has ${weight.length} elements, expected ${channels}`);
  }
  if (size === 0) {
    sumDy.fill(0, 0, channels);
    sumDyXhat.fill(0, 0, channels);
    return;
  }
  const count = batch * plane;
  const room = chunkRoom(plane, size);
  const meanPtr = area.base;
  const accPtr = meanPtr + align(channels * 8, 64);
  const paramsPtr = accPtr + align(channels * 32, 64);
  const coefPtr = paramsPtr + align(channels * 32, 64);
  const sumsPtr = coefPtr + align(channels * 16, 64);
  const dyPtr = sumsPtr + align(channels * 16, 64);
  const xPtr = dyPtr + align(room * 4, 64);
  const gatePtr = xPtr + align(room * 4, 64);
  const f = area.reserve((gate === null ? xPtr : gatePtr) + room * 4 - area.base);
  const k = kernels(area);
  new Float64Array(f.buffer, meanPtr, channels).set(mean.subarray(0, channels));
  const acc = new Float64Array(f.buffer, accPtr, 4 * channels);
  acc.fill(0);
  const dyi = dyPtr >> 2;
  const xi = xPtr >> 2;
  const gi = gatePtr >> 2;
  const at = residents(area, gate === null ? [dy, x, dx] : [dy, x, dx, gate]);
  const gateAt = gate === null ? 0 : gatePtr; // the gate's copy (0: none)
  const copyGate = (e0: number, len: number) => {
    if (gate !== null) f.set(gate.subarray(e0, e0 + len), gi);
  };
  if (at !== null) {
    // in place: each item is a group of channels, summed over every image and then applied while
    // its data is still in cache (batchNormBackwardChannels, the same bits as the two passes)
    const coef = new Float64Array(f.buffer, coefPtr, 2 * channels);
    for (let ch = 0; ch < channels; ch++) {
      coef[2 * ch] = invstd[ch];
      coef[2 * ch + 1] = weight ? weight[ch] : 1;
    }
    const items = channelGroups(channels, batch * plane, area.threads).map(([c0, c1]) => [
      [at[0], at[1], at[2], batch, channels, plane, c0, c1, meanPtr, accPtr, coefPtr, paramsPtr, sumsPtr, batchStats ? 1 : 0, gate === null ? 0 : at[3]],
    ]);
    area.calls("batchNormBackwardChannels", items, size);
    const sums = new Float64Array(f.buffer, sumsPtr, 2 * channels);
    for (let ch = 0; ch < channels; ch++) {
      sumDy[ch] = sums[2 * ch];
      sumDyXhat[ch] = sums[2 * ch + 1];
    }
    return;
  }
  eachChunk(size, plane, (e0, len) => {
    f.set(dy.subarray(e0, e0 + len), dyi);
    f.set(x.subarray(e0, e0 + len), xi);
    copyGate(e0, len);
    k.batchNormBackwardSums(dyPtr, xPtr, e0, len, channels, plane, meanPtr, accPtr, gateAt);
  });
  const params = new Float64Array(f.buffer, paramsPtr, 4 * channels);
  for (let ch = 0; ch < channels; ch++) {
    const s = invstd[ch];
    // lanes 0 and 1 are the TypeScript loop's even and odd accumulators
    const sDy = acc[4 * ch] + acc[4 * ch + 1];
    const sDyXhat = (acc[4 * ch + 2] + acc[4 * ch + 3]) * s;
    sumDy[ch] = sDy;
    sumDyXhat[ch] = sDyXhat;
    const kc = (weight ? weight[ch] : 1) * s;
    params[4 * ch] = kc;
    params[4 * ch + 1] = -kc * s * (sDyXhat / count);
    params[4 * ch + 2] = mean[ch];
    params[4 * ch + 3] = -kc * (sDy / count);
  }
  eachChunk(size, plane, (e0, len) => {
    f.set(dy.subarray(e0, e0 + len), dyi);
    if (batchStats) f.set(x.subarray(e0, e0 + len), xi);
    copyGate(e0, len);
    k.batchNormBackwardApply(dyPtr, xPtr, dyPtr, e0, len, channels, plane, paramsPtr, batchStats ? 1 : 0, gateAt);
    dx.set(f.subarray(dyi, dyi + len), e0);
  });
}

/**
 * 2x2 stride-2 max pooling in wasm (see {@link MaxPool2x2Args}): f32x4 compares and selects with the
 * TypeScript loop's rule, so outputs and indices are identical to `maxPool2dForward`'s.
 *
 * @example
 * ```ts
 * maxPool2x2Wasm(area, { x, y, indices, planes: 8 * 16, height: 64, width: 64, outH: 32, outW: 32 });
 * ```
 */
export function maxPool2x2Wasm(area: OperandArea, args: MaxPool2x2Args): void {
  const op = "maxPool2x2";
  const { x, y, indices, planes, height: H, width: W, outH, outW } = args;
  checkCounts(op, { planes, height: H, width: W, outH, outW });
  if (2 * outH > H || 2 * outW > W) {
    throw new ArgumentError(op, `a ${H}x${W} plane has no ${outH}x${outW} grid of 2x2 windows`);
  }
  const inPlane = H * W;
  const outPlane = outH * outW;
  checkF32(op, { x }, planes * inPlane);
  checkF32(op, { y }, planes * outPlane);
  checkI32(op, "indices", indices, planes * outPlane);
  if (planes * outPlane === 0) return;
  const at = residents(area, [x, y]);
  if (at !== null) {
    // the indices (an Int32Array of the caller's) go through the operand area
    const iPtr = area.base;
    const f = area.reserve(planes * outPlane * 4);
    const parts = ranges(planes, ITEMS_PER_THREAD * area.threads).map(([p0, p1]) => [
      [at[0] + 4 * p0 * inPlane, at[1] + 4 * p0 * outPlane, iPtr + 4 * p0 * outPlane, p1 - p0, H, W, outH, outW],
    ]);
    area.calls("maxPool2x2", parts, planes * inPlane);
    indices.set(new Int32Array(f.buffer, iPtr, planes * outPlane));
    return;
  }
  const pc = planesPerChunk(inPlane);
  const xPtr = area.base;
  const yPtr = xPtr + align(pc * inPlane * 4, 64);
  const iPtr = yPtr + align(pc * outPlane * 4, 64);
  const f = area.reserve(iPtr + pc * outPlane * 4 - area.base);
  const i32 = new Int32Array(f.buffer, iPtr, pc * outPlane);
  const k = kernels(area);
  for (let p = 0; p < planes; p += pc) {
    const np = Math.min(pc, planes - p);
    f.set(x.subarray(p * inPlane, (p + np) * inPlane), xPtr >> 2);
    k.maxPool2x2(xPtr, yPtr, iPtr, np, H, W, outH, outW);
    y.set(f.subarray(yPtr >> 2, (yPtr >> 2) + np * outPlane), p * outPlane);
    indices.set(i32.subarray(0, np * outPlane), p * outPlane);
  }
}

/**
 * Max pooling's gradient in wasm (see {@link MaxPoolBackwardArgs}): float32 adds in the TypeScript
 * loop's order, so `dx` is identical to `maxPool2dBackward`'s.
 *
 * @example
 * ```ts
 * maxPoolBackwardWasm(area, { dy, indices, dx, planes: 8 * 16, inPlane: 64 * 64, outPlane: 32 * 32 });
 * ```
 */
export function maxPoolBackwardWasm(area: OperandArea, args: MaxPoolBackwardArgs): void {
  const op = "maxPoolBackward";
  const { dy, indices, dx, planes, inPlane, outPlane } = args;
  checkCounts(op, { planes, inPlane, outPlane });
  checkF32(op, { dy }, planes * outPlane);
  checkF32(op, { dx }, planes * inPlane);
  checkI32(op, "indices", indices, planes * outPlane);
  if (planes * inPlane === 0) return;
  const at = residents(area, [dy, dx]);
  if (at !== null) {
    const iPtr = area.base;
    const f = area.reserve(planes * outPlane * 4);
    new Int32Array(f.buffer, iPtr, planes * outPlane).set(indices);
    const parts = ranges(planes, ITEMS_PER_THREAD * area.threads).map(([p0, p1]) => [
      [at[0] + 4 * p0 * outPlane, iPtr + 4 * p0 * outPlane, at[1] + 4 * p0 * inPlane, p1 - p0, inPlane, outPlane],
    ]);
    area.calls("maxPoolBackward", parts, planes * inPlane);
    return;
  }
  const pc = planesPerChunk(inPlane + outPlane);
  const dyPtr = area.base;
  const iPtr = dyPtr + align(pc * outPlane * 4, 64);
  const dxPtr = iPtr + align(pc * outPlane * 4, 64);
  const f = area.reserve(dxPtr + pc * inPlane * 4 - area.base);
  const i32 = new Int32Array(f.buffer);
  const k = kernels(area);
  for (let p = 0; p < planes; p += pc) {
    const np = Math.min(pc, planes - p);
    f.set(dy.subarray(p * outPlane, (p + np) * outPlane), dyPtr >> 2);
    i32.set(indices.subarray(p * outPlane, (p + np) * outPlane), iPtr >> 2);
    k.maxPoolBackward(dyPtr, iPtr, dxPtr, np, inPlane, outPlane);
    dx.set(f.subarray(dxPtr >> 2, (dxPtr >> 2) + np * inPlane), p * inPlane);
  }
}

/**
 * The runs of {@link PlaneRuns} for `planes` planes of `size` elements in the float32 array `a`,
 * checked (`args` without runs: one contiguous run, the array exactly `planes * size`).
 */
function planeRuns(op: string, name: string, a: TypedArray, args: Partial<PlaneRuns>, planes: number, size: number): PlaneRuns {
  checkFloat32(op, name, a);
  const length = a.length;
  if (args.runPlanes === undefined && args.runStride === undefined) {
    if (length !== planes * size) throw new ArgumentError(op, `${name} has ${length} elements, expected ${planes * size}`);
    return { runPlanes: Math.max(1, planes), runStride: planes * size };
  }
  const { runPlanes, runStride } = args as PlaneRuns;
  if (!Number.isInteger(runPlanes) || runPlanes < 1 || planes % runPlanes !== 0) {
    throw new ArgumentError(op, `runPlanes must be a positive integer dividing planes ${planes} (got ${runPlanes})`);
  }
  if (!Number.isInteger(runStride) || runStride < runPlanes * size) {
    throw new ArgumentError(op, `runStride must be an integer of at least runPlanes x plane size = ${runPlanes * size} (got ${runStride})`);
  }
  const needed = planes === 0 ? 0 : (planes / runPlanes - 1) * runStride + runPlanes * size;
  if (length < needed) {
    throw new ArgumentError(op, `${name} has ${length} elements, its ${planes / runPlanes} runs of ${runPlanes} planes ${runStride} apart need ${needed}`);
  }
  return { runPlanes, runStride };
}

/** Planes `[p0, p1)` cut at run boundaries: `[from, to, element offset of plane from]` per piece (planes of `size` elements). */
function runPieces(p0: number, p1: number, runs: PlaneRuns, size: number): [number, number, number][] {
  const pieces: [number, number, number][] = [];
  for (let p = p0; p < p1; ) {
    const r = Math.floor(p / runs.runPlanes);
    const q = Math.min(p1, (r + 1) * runs.runPlanes);
    pieces.push([p, q, r * runs.runStride + (p - r * runs.runPlanes) * size]);
    p = q;
  }
  return pieces;
}

/**
 * Nearest x2 upsampling in wasm (see {@link UpsampleNearest2xArgs}): copies only, identical to the
 * TypeScript loop. With runs ({@link UpsampleNearest2xIntoArgs}), y's planes lie in runs, and the
 * rest of y is not touched.
 *
 * @example
 * ```ts
 * upsampleNearest2xWasm(area, { x, y, planes: 8 * 64, height: 16, width: 16 }); // y: 8*64 planes of 32x32
 * ```
 */
export function upsampleNearest2xWasm(area: OperandArea, args: UpsampleNearest2xArgs & Partial<PlaneRuns>): void {
  const op = args.runPlanes === undefined && args.runStride === undefined ? "upsampleNearest2x" : "upsampleNearest2xInto";
  const { x, y, planes, height: H, width: W } = args;
  checkCounts(op, { planes, height: H, width: W });
  const inPlane = H * W;
  checkF32(op, { x }, planes * inPlane);
  const runs = planeRuns(op, "y", y, args, planes, 4 * inPlane);
  if (planes * inPlane === 0) return;
  const at = residents(area, [x, y]);
  if (at !== null) {
    const parts = ranges(planes, ITEMS_PER_THREAD * area.threads).map(([p0, p1]) =>
      runPieces(p0, p1, runs, 4 * inPlane).map(([p, q, yAt]) => [at[0] + 4 * p * inPlane, at[1] + 4 * yAt, q - p, H, W]));
    area.calls("upsampleNearest2x", parts, 4 * planes * inPlane);
    return;
  }
  const pc = planesPerChunk(4 * inPlane);
  const xPtr = area.base;
  const yPtr = xPtr + align(pc * inPlane * 4, 64);
  const f = area.reserve(yPtr + 4 * pc * inPlane * 4 - area.base);
  const k = kernels(area);
  for (let p = 0; p < planes; p += pc) {
    for (const [p0, p1, yAt] of runPieces(p, Math.min(planes, p + pc), runs, 4 * inPlane)) {
      f.set(x.subarray(p0 * inPlane, p1 * inPlane), xPtr >> 2);
      k.upsampleNearest2x(xPtr, yPtr, p1 - p0, H, W);
      y.set(f.subarray(yPtr >> 2, (yPtr >> 2) + 4 * (p1 - p0) * inPlane), yAt);
    }
  }
}

/**
 * Nearest x2 upsampling's gradient in wasm (see {@link UpsampleNearest2xBackwardArgs}): float32
 * adds in the TypeScript loop's order, so `dx` is identical to `nearestUpsampleBackward`'s. With
 * runs ({@link UpsampleNearest2xBackwardFromArgs}), dy's planes lie in runs.
 *
 * @example
 * ```ts
 * upsampleNearest2xBackwardWasm(area, { dy, dx, planes: 8 * 64, height: 16, width: 16 });
 * ```
 */
export function upsampleNearest2xBackwardWasm(area: OperandArea, args: UpsampleNearest2xBackwardArgs & Partial<PlaneRuns>): void {
  const op = args.runPlanes === undefined && args.runStride === undefined ? "upsampleNearest2xBackward" : "upsampleNearest2xBackwardFrom";
  const { dy, dx, planes, height: H, width: W } = args;
  checkCounts(op, { planes, height: H, width: W });
  const inPlane = H * W;
  const runs = planeRuns(op, "dy", dy, args, planes, 4 * inPlane);
  checkF32(op, { dx }, planes * inPlane);
  if (planes * inPlane === 0) return;
  const at = residents(area, [dy, dx]);
  if (at !== null) {
    const parts = ranges(planes, ITEMS_PER_THREAD * area.threads).map(([p0, p1]) =>
      runPieces(p0, p1, runs, 4 * inPlane).map(([p, q, dyAt]) => [at[0] + 4 * dyAt, at[1] + 4 * p * inPlane, q - p, H, W]));
    area.calls("upsampleNearest2xBackward", parts, 4 * planes * inPlane);
    return;
  }
  const pc = planesPerChunk(4 * inPlane);
  const dyPtr = area.base;
  const dxPtr = dyPtr + align(4 * pc * inPlane * 4, 64);
  const f = area.reserve(dxPtr + pc * inPlane * 4 - area.base);
  const k = kernels(area);
  for (let p = 0; p < planes; p += pc) {
    for (const [p0, p1, dyAt] of runPieces(p, Math.min(planes, p + pc), runs, 4 * inPlane)) {
      f.set(dy.subarray(dyAt, dyAt + 4 * (p1 - p0) * inPlane), dyPtr >> 2);
      k.upsampleNearest2xBackward(dyPtr, dxPtr, p1 - p0, H, W);
      dx.set(f.subarray(dxPtr >> 2, (dxPtr >> 2) + (p1 - p0) * inPlane), p0 * inPlane);
    }
  }
}

/** Checks a bilinear table of `outSize` entries with indices in `[0, inSize)`; names the op and the axis. */
function checkTable(op: string, axis: string, t: InterpolationTable, inSize: number, outSize: number): void {
  const ok = (a: unknown, T: typeof Int32Array | typeof Float64Array) => a instanceof T && (a as Int32Array | Float64Array).length === outSize;
  if (t === null || typeof t !== "object" || !ok(t.i0, Int32Array) || !ok(t.i1, Int32Array) || !ok(t.w0, Float64Array) || !ok(t.w1, Float64Array)) {
    throw new ArgumentError(op, `the ${axis} table needs Int32Array i0, i1 and Float64Array w0, w1 of ${outSize} entries`);
  }
  for (let o = 0; o < outSize; o++) {
    const a = t.i0[o];
    const b = t.i1[o];
    if (!(a >= 0 && a < inSize && b >= 0 && b < inSize)) {
      throw new ArgumentError(op, `the ${axis} table's entry ${o} blends input positions ${a} and ${b}, outside [0, ${inSize})`);
    }
  }
}

/**
 * The shared part of {@link bilinearUpsampleWasm} and {@link bilinearUpsampleBackwardWasm}: checks,
 * then the tables and one f64 scratch per work item in the area, then the kernel over the planes
 * (shared out when both operands lie in blocks, else plane chunks copied through the area).
 */
function bilinearCall(
  area: OperandArea, op: string, kernel: "bilinearForward" | "bilinearBackward",
  src: TypedArray, dst: TypedArray, g: BilinearResize,
): void {
  const { planes, inH, inW, outH, outW, rows, cols } = g;
  checkCounts(op, { planes, inH, inW, outH, outW });
  const inPlane = inH * inW;
  const outPlane = outH * outW;
  const forward = kernel === "bilinearForward";
  // the resized side (y, or dy) may lie in runs; the other is contiguous
  const wide = forward ? dst : src;
  const narrow = forward ? src : dst;
  const [wideName, narrowName] = forward ? ["y", "x"] : ["dy", "dx"];
  checkF32(op, { [narrowName]: narrow }, planes * inPlane);
  const runs = planeRuns(op, wideName, wide, g, planes, outPlane);
  checkTable(op, "row", rows, inH, outH);
  checkTable(op, "column", cols, inW, outW);
  // (an output from an empty input cannot get here: the tables' checks refuse indices into nothing)
  if (planes * outPlane === 0) return;
  const at = residents(area, [narrow, wide]);
  const items = at !== null ? ITEMS_PER_THREAD * area.threads : 1;
  const r0 = area.base;
  const r1 = r0 + align(outH * 4, 64);
  const rw0 = r1 + align(outH * 4, 64);
  const rw1 = rw0 + align(outH * 8, 64);
  const c0 = rw1 + align(outH * 8, 64);
  const c1 = c0 + align(outW * 4, 64);
  const cw0 = c1 + align(outW * 4, 64);
  const cw1 = cw0 + align(outW * 8, 64);
  const tmp = cw1 + align(outW * 8, 64);
  const tmpBytes = align(inH * outW * 8, 64);
  const narrowPtr = tmp + items * tmpBytes;
  const pc = at !== null ? 0 : planesPerChunk(inPlane + outPlane);
  const widePtr = narrowPtr + align(pc * inPlane * 4, 64);
  const f = area.reserve(widePtr + pc * outPlane * 4 - area.base);
  const i32 = new Int32Array(f.buffer);
  const f64 = new Float64Array(f.buffer);
  i32.set(rows.i0, r0 >> 2);
  i32.set(rows.i1, r1 >> 2);
  f64.set(rows.w0, rw0 >> 3);
  f64.set(rows.w1, rw1 >> 3);
  i32.set(cols.i0, c0 >> 2);
  i32.set(cols.i1, c1 >> 2);
  f64.set(cols.w0, cw0 >> 3);
  f64.set(cols.w1, cw1 >> 3);
  const tables = [r0, r1, rw0, rw1, c0, c1, cw0, cw1];
  // the kernel's first two arguments: its source, then its destination
  const call = (narrowAt: number, wideAt: number, np: number, t: number) =>
    forward ? [narrowAt, wideAt, np, inH, inW, outH, outW, ...tables, t] : [wideAt, narrowAt, np, inH, inW, outH, outW, ...tables, t];
  if (at !== null) {
    const parts = ranges(planes, items).map(([p0, p1], u) =>
      runPieces(p0, p1, runs, outPlane).map(([p, q, wideAt]) => call(at[0] + 4 * p * inPlane, at[1] + 4 * wideAt, q - p, tmp + u * tmpBytes)));
    // about 8 memory-bound elements' worth of work per output element (table reads, f64 blends)
    area.calls(kernel, parts, 8 * planes * outPlane);
    return;
  }
  const k = kernels(area);
  for (let p = 0; p < planes; p += pc) {
    for (const [p0, p1, wideAt] of runPieces(p, Math.min(planes, p + pc), runs, outPlane)) {
      const np = p1 - p0;
      if (forward) f.set((narrow as Float32Array).subarray(p0 * inPlane, p1 * inPlane), narrowPtr >> 2);
      else f.set(wide.subarray(wideAt, wideAt + np * outPlane), widePtr >> 2);
      k[kernel](...call(narrowPtr, widePtr, np, tmp));
      if (forward) wide.set(f.subarray(widePtr >> 2, (widePtr >> 2) + np * outPlane), wideAt);
      else (narrow as Float32Array).set(f.subarray(narrowPtr >> 2, (narrowPtr >> 2) + np * inPlane), p0 * inPlane);
    }
  }
}

/**
 * Bilinear resizing in wasm (see {@link BilinearUpsampleArgs}): the TypeScript loop's f64
 * arithmetic in its order, so `y` is the same bits as `bilinearUpsampleForward`'s; planes shared
 * out across threads when x and y lie in blocks.
 *
 * @example
 * ```ts
 * const { rows, cols } = bilinearPlan([8, 32, 32, 32], "float32", { scaleFactor: 2 });
 * bilinearUpsampleWasm(area, { x, y, planes: 8 * 32, inH: 32, inW: 32, outH: 64, outW: 64, rows, cols });
 * ```
 */
export function bilinearUpsampleWasm(area: OperandArea, args: BilinearUpsampleArgs): void {
  bilinearCall(area, "bilinearUpsample", "bilinearForward", args.x, args.y, args);
}

/**
 * Bilinear resizing's gradient in wasm (see {@link BilinearUpsampleBackwardArgs}): the TypeScript
 * loop's order and roundings, so `dx` is the same bits as `bilinearUpsampleBackward`'s.
 *
 * @example
 * ```ts
 * bilinearUpsampleBackwardWasm(area, { dy, dx, planes: 8 * 32, inH: 32, inW: 32, outH: 64, outW: 64, rows, cols });
 * ```
 */
export function bilinearUpsampleBackwardWasm(area: OperandArea, args: BilinearUpsampleBackwardArgs): void {
  bilinearCall(area, "bilinearUpsampleBackward", "bilinearBackward", args.dy, args.dx, args);
}

/**
 * Softmax cross-entropy in wasm (see {@link SoftmaxCrossEntropyArgs}): the TypeScript loop's float64
 * arithmetic per position and its order of summation, with AssemblyScript's exp and log, so the
 * total and the gradient can differ from `crossEntropyLoss`'s TypeScript path in the last bit.
 * Returns the sum of the per-position losses.
 *
 * @example
 * ```ts
 * const total = softmaxCrossEntropyWasm(area, { logits, labels, grad, batch: 8, classes: 3, positions: 64 * 64,
 *   weight: null, labelSmoothing: 0, ignoreIndex: -100, scale: 1 / (8 * 64 * 64) });
 * ```
 */
export function softmaxCrossEntropyWasm(area: OperandArea, args: SoftmaxCrossEntropyArgs): number {
  const op = "softmaxCrossEntropy";
  const { logits, labels, grad, batch, classes: c, positions: s, weight, labelSmoothing: eps, ignoreIndex, scale } = args;
  checkCounts(op, { batch, classes: c, positions: s });
  checkF32(op, { logits, grad }, batch * c * s);
  if (labels?.length !== batch * s || !ArrayBuffer.isView(labels)) {
    throw new ArgumentError(op, `labels must be an integer typed array of ${batch * s} elements (got ${labels?.length})`);
  }
  if (weight !== null) checkF64(op, { weight }, c);
  if (!Number.isInteger(ignoreIndex) || !(eps >= 0 && eps <= 1) || !Number.isFinite(scale)) {
    throw new ArgumentError(op, `needs an integer ignoreIndex, labelSmoothing in [0, 1] and a finite scale (got ${ignoreIndex}, ${eps}, ${scale})`);
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y !== ignoreIndex && !(y >= 0 && y < c)) throw new ArgumentError(op, `label ${y} at ${i} is not in [0, ${c}) nor ${ignoreIndex}`);
  }
  if (batch * c * s === 0) return 0;
  let wTotal = 0;
  if (weight !== null) for (let k = 0; k < c; k++) wTotal += weight[k];
  else wTotal = c;
  // whole images per chunk when they fit, else runs of positions of one image; each chunk's
  // positions shared out to the threads, then its losses added in order here
  const image = c * s;
  const images = image <= LOSS_CHUNK ? Math.floor(LOSS_CHUNK / image) : 1;
  const run = image <= LOSS_CHUNK ? s : Math.max(1, Math.floor(LOSS_CHUNK / c));
  const maxPositions = image <= LOSS_CHUNK ? Math.min(batch, images) * s : run;
  const items = ITEMS_PER_THREAD * area.threads;
  const eStride = align(c * 8, 64);
  const wPtr = area.base;
  const paramsPtr = wPtr + align(c * 8, 64);
  const ePtr = paramsPtr + 64;
  const yPtr = ePtr + items * eStride;
  const lPtr = yPtr + align(maxPositions * 4, 64);
  const xPtr = lPtr + align(maxPositions * 8, 64);
  const gPtr = xPtr + align(maxPositions * c * 4, 64);
  const f = area.reserve(gPtr + maxPositions * c * 4 - area.base);
  const i32 = new Int32Array(f.buffer);
  const f64 = new Float64Array(f.buffer);
  if (weight !== null) f64.set(weight.subarray(0, c), wPtr >> 3);
  f64.set([wTotal, eps, scale], paramsPtr >> 3);
  const wArg = weight !== null ? wPtr : 0;
  let total = 0;
  /** Runs the kernel over `nb` images of `len` positions in the area (x, labels, grad, losses), then adds their losses in order. */
  const chunk = (nb: number, len: number, labelsFrom: number): void => {
    const parts = ranges(nb * len, items, 16).map(([q0, q1], u) => {
      const rows: number[][] = [];
      for (let b = Math.floor(q0 / len); b * len < q1; b++) {
        const p0 = Math.max(q0, b * len) - b * len;
        const p1 = Math.min(q1, (b + 1) * len) - b * len;
        rows.push([xPtr + b * c * len * 4, yPtr + b * len * 4, gPtr + b * c * len * 4, c, len, p0, p1, wArg, paramsPtr, ignoreIndex, ePtr + u * eStride, lPtr + b * len * 8]);
      }
      return rows;
    });
    // exp and log cost about as much as 16 memory-bound elements each
    area.calls("softmaxCrossEntropyPositions", parts, 16 * nb * len * c);
    for (let q = 0; q < nb * len; q++) if (labels[labelsFrom + q] !== ignoreIndex) total += f64[(lPtr >> 3) + q];
  };
  if (image <= LOSS_CHUNK) {
    for (let b = 0; b < batch; b += images) {
      const nb = Math.min(images, batch - b);
      f.set(logits.subarray(b * image, (b + nb) * image), xPtr >> 2);
      i32.set(labels.subarray(b * s, (b + nb) * s), yPtr >> 2);
      chunk(nb, s, b * s);
      grad.set(f.subarray(gPtr >> 2, (gPtr >> 2) + nb * image), b * image);
    }
    return total;
  }
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < s; p += run) {
      const len = Math.min(run, s - p);
      for (let cl = 0; cl < c; cl++) {
        const at = (b * c + cl) * s + p;
        f.set(logits.subarray(at, at + len), (xPtr >> 2) + cl * len);
      }
      i32.set(labels.subarray(b * s + p, b * s + p + len), yPtr >> 2);
      chunk(1, len, b * s + p);
      for (let cl = 0; cl < c; cl++) {
        const from = (gPtr >> 2) + cl * len;
        grad.set(f.subarray(from, from + len), (b * c + cl) * s + p);
      }
    }
  }
  return total;
}
