import {
  BatchNorm2D,
  batchNormStatistics,
  crossEntropyLoss,
  labels as makeLabels,
  maxPool2dBackward,
  maxPool2dForward,
  reluBackward,
  reluForward,
} from "@unetkit/layers";
import { ArgumentError, Tensor, add, addInPlace, fromArray, tsBackend, withBackend, type KernelBackend, type Shape } from "@unetkit/tensor";
import { nearestUpsampleBackward, nearestUpsampleForward } from "@unetkit/upsampling";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enableRelaxedSimd } from "./load-module.js";
import { createWasmBackend, type WasmBackend } from "./wasm-backend.js";

// The wasm elementwise kernels against the TypeScript layer math they replace: the same layer
// functions run once on the TypeScript backend (the reference loops) and once on a wasm backend
// (which supplies the optional kernels), and every output must be the same bits (NaN payloads
// aside: Object.is treats every NaN alike, and tells -0 from +0).

let plain: WasmBackend;
let shared: WasmBackend;
beforeAll(async () => {
  expect(await enableRelaxedSimd()).toBe(true);
  plain = await createWasmBackend({ threads: 1, fma: false });
  // the shared-memory build (elementwise kernels run on the calling thread over a SharedArrayBuffer)
  shared = await createWasmBackend({ threads: 2, fma: true });
});
afterAll(() => {
  plain.dispose();
  shared.dispose();
});

/** Both wasm backends, by name, for `describe.each`-like loops inside properties. */
const wasmBackends = (): [string, KernelBackend][] => [
  ["1 thread", plain],
  ["2 threads, fma build", shared],
];

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 3.4e38, -3.4e38, 1e-45];

/**
 * Deterministic float32 values from a seed (xorshift): `scale * u + offset` with u in [-1, 1) (times
 * a random power of two in [2^-30, 2^29] when `wide`), then about `specialRate` of them replaced by
 * NaN, infinities, signed zeros, subnormals or huge values.
 */
function values(n: number, seed: number, { offset = 0, scale = 2, specialRate = 0, quantum = 0, wide = false } = {}): Float32Array {
  let s = (seed * 2654435761 + 1) >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = scale * (2 * next() - 1);
    // magnitudes over 60 binades: float64 sums of such float32 values round, so their order shows
    if (wide) v *= 2 ** (Math.floor(next() * 60) - 30);
    if (quantum > 0) v = Math.round(v / quantum) * quantum; // ties for max pooling
    out[i] = offset + v;
    if (specialRate > 0 && next() < specialRate) out[i] = SPECIALS[Math.floor(next() * SPECIALS.length)];
  }
  return out;
}

/** The first index where two arrays differ (Object.is), or -1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function expectSameBits(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  const i = firstDifference(actual, expected);
  if (i >= 0) {
    throw new Error(`${name}: element ${i} is ${actual[i]}, the TypeScript reference gives ${expected[i]} (lengths ${actual.length}, ${expected.length})`);
  }
}

const tensor = (shape: Shape, data: Float32Array) => new Tensor("float32", shape, data);
const size = (shape: Shape) => shape.reduce((a, b) => a * b, 1);

/**
 * Value modes: plain, wide-ranged (sums that round, so any change in the order of additions shows),
 * with special values, and a large mean with spread 1 (BatchNorm's hard case).
 */
const modeArb = fc.constantFrom(
  { offset: 0, scale: 2, specialRate: 0 },
  { offset: 0, scale: 1, specialRate: 0, wide: true },
  { offset: 0, scale: 3, specialRate: 0.05 },
  { offset: 1000, scale: 1, specialRate: 0 },
  { offset: -3, scale: 1e-3, specialRate: 0 },
);

/**
 * NCHW shapes: mostly small random ones, and a few that cross the glue's 16384-float chunks (many
 * odd planes per chunk; one odd plane split inside itself).
 */
const nchwArb = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })) },
  { weight: 1, arbitrary: fc.constantFrom<[number, number, number, number]>([3, 7, 33, 35], [2, 2, 129, 129], [1, 3, 1, 1], [5, 4, 2, 1]) },
);

describe("add kernel", () => {
  it("add and addInPlace give the TypeScript loop's bits, below and above the size where wasm takes over, in place on either operand", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 4090, max: 80000 })), fc.integer(), modeArb, (n, seed, mode) => {
        const a = tensor([n], values(n, seed, mode));
        const b = tensor([n], values(n, seed + 1, mode));
        const sum = withBackend(tsBackend, () => add(a, b));
        for (const [name, backend] of wasmBackends()) {
          expectSameBits(`add (${name})`, withBackend(backend, () => add(a, b)).data, sum.data);
          expectSameBits(`addInPlace (${name})`, withBackend(backend, () => addInPlace(a.clone(), b)).data, sum.data);
          const bb = b.clone();
          withBackend(backend, () => backend.add!({ a: a.data, b: bb.data, out: bb.data }));
          expectSameBits(`add into b (${name})`, bb.data, sum.data);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe("ReLU kernels", () => {
  it("forward and backward give the TypeScript loop's bits (NaN, -0 -> +0; subnormals pass)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40000 }), fc.integer(), modeArb, (n, seed, mode) => {
        const x = tensor([n], values(n, seed, mode));
        const dy = tensor([n], values(n, seed + 1, mode));
        const y0 = withBackend(tsBackend, () => reluForward(x));
        const dx0 = withBackend(tsBackend, () => reluBackward(dy, y0));
        for (const [name, b] of wasmBackends()) {
          const y = withBackend(b, () => reluForward(x));
          expectSameBits(`reluForward (${name})`, y.data, y0.data);
          // backward from the reference output, so a forward bug cannot hide a backward one
          expectSameBits(`reluBackward (${name})`, withBackend(b, () => reluBackward(dy, y0)).data, dx0.data);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("maps NaN, -0, +0 and negatives to +0 and keeps positives, subnormals and +Infinity", () => {
    const x = tensor([8], Float32Array.from([NaN, -0, 0, -1, 1e-45, Infinity, -Infinity, 2.5]));
    const y = withBackend(plain, () => reluForward(x));
    expectSameBits("reluForward", y.data, [0, 0, 0, 0, 1e-45, Infinity, 0, 2.5].map(Math.fround));
    const dx = withBackend(plain, () => reluBackward(tensor([8], new Float32Array(8).fill(-0.5)), x));
    expectSameBits("reluBackward", dx.data, [0, 0, 0, 0, -0.5, -0.5, 0, -0.5]);
  });
});

interface BnCase {
  shape: [number, number, number, number];
  seed: number;
  mode: { offset: number; scale: number; specialRate: number; wide?: boolean };
  affine: boolean;
  training: boolean;
  trackRunningStats: boolean;
}

/** One BatchNorm2D forward and backward on a backend, from parameters and buffers set from the seed. */
function runBatchNorm(b: KernelBackend, k: BnCase) {
  const [, c] = k.shape;
  return withBackend(b, () => {
    const bn = new BatchNorm2D(c, { affine: k.affine, trackRunningStats: k.trackRunningStats, momentum: 0.3 });
    bn.weight?.value.data.set(values(c, k.seed + 2));
    bn.bias?.value.data.set(values(c, k.seed + 3));
    bn.runningMean?.data.set(values(c, k.seed + 4, { offset: k.mode.offset, scale: 1 }));
    bn.runningVar?.data.set(values(c, k.seed + 5, { offset: 2, scale: 1 }));
    if (!k.training) bn.eval();
    const n = size(k.shape);
    const x = tensor(k.shape, values(n, k.seed, k.mode));
    const dy = tensor(k.shape, values(n, k.seed + 1, { offset: 0, scale: 1, specialRate: k.mode.specialRate / 4, wide: k.mode.wide }));
    const y = bn.forward(x);
    const dx = bn.backward(dy);
    return {
      y: y.data,
      dx: dx.data,
      dWeight: bn.weight?.grad.data ?? [],
      dBias: bn.bias?.grad.data ?? [],
      runningMean: bn.runningMean?.data ?? [],
      runningVar: bn.runningVar?.data ?? [],
    };
  });
}

describe("BatchNorm2D kernels", () => {
  it("forward and backward give the TypeScript loops' bits in training and eval mode", () => {
    fc.assert(
      fc.property(
        fc.record({ shape: nchwArb, seed: fc.integer(), mode: modeArb, affine: fc.boolean(), training: fc.boolean(), trackRunningStats: fc.boolean() }),
        (k: BnCase) => {
          const [n, , h, w] = k.shape;
          fc.pre(!(k.training || !k.trackRunningStats) || n * h * w > 1); // batch statistics need 2 values
          const ref = runBatchNorm(tsBackend, k);
          for (const [name, b] of wasmBackends()) {
            const got = runBatchNorm(b, k);
            for (const key of Object.keys(ref) as (keyof typeof ref)[]) expectSameBits(`${key} (${name})`, got[key], ref[key]);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("batchNormStatistics gives the TypeScript sums' bits, NaN and Infinity included", () => {
    fc.assert(
      fc.property(nchwArb, fc.integer(), modeArb, (shape, seed, mode) => {
        const x = tensor(shape, values(size(shape), seed, mode));
        const ref = withBackend(tsBackend, () => batchNormStatistics(x));
        for (const [name, b] of wasmBackends()) {
          const got = withBackend(b, () => batchNormStatistics(x));
          expectSameBits(`mean (${name})`, got.mean, ref.mean);
          expectSameBits(`variance (${name})`, got.variance, ref.variance);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("backward's float64 channel sums are the bits of BatchNorm2D.backward's interleaved accumulators", () => {
    // The layer keeps these sums only as float32 gradients, where a last-bit change of a float64 sum
    // rarely shows: so the kernel's float64 outputs are compared with the layer's loop, transcribed.
    const reference = (dy: Float32Array, x: Float32Array, [n, c, h, w]: number[], mean: Float64Array) => {
      const L = h * w;
      const sums: number[] = [];
      for (let ch = 0; ch < c; ch++) {
        let sumDy = 0;
        let sumDyXc = 0;
        let sumDy1 = 0;
        let sumDyXc1 = 0;
        for (let b = 0; b < n; b++) {
          const off = (b * c + ch) * L;
          const end = off + L;
          let i = off;
          for (; i + 1 < end; i += 2) {
            sumDy += dy[i];
            sumDyXc += dy[i] * (x[i] - mean[ch]);
            sumDy1 += dy[i + 1];
            sumDyXc1 += dy[i + 1] * (x[i + 1] - mean[ch]);
          }
          if (i < end) {
            sumDy += dy[i];
            sumDyXc += dy[i] * (x[i] - mean[ch]);
          }
        }
        sums.push(sumDy + sumDy1, sumDyXc + sumDyXc1);
      }
      return sums;
    };
    fc.assert(
      fc.property(nchwArb, fc.integer(), modeArb, fc.boolean(), (shape, seed, mode, batchStats) => {
        const [n, c, h, w] = shape;
        const x = values(size(shape), seed, mode);
        const dy = values(size(shape), seed + 1, { ...mode, offset: 0, wide: true }); // sums that round
        const mean = Float64Array.from(values(c, seed + 2, mode), (v) => v + 1 / 3);
        const invstd = Float64Array.from(values(c, seed + 3), (v) => 1 + Math.abs(v));
        const ref = reference(dy, x, shape, mean);
        for (const [name, b] of wasmBackends()) {
          const sumDy = new Float64Array(c);
          const sumDyXhat = new Float64Array(c);
          b.batchNormBackward!({ dy, x, dx: new Float32Array(dy.length), batch: n, channels: c, plane: h * w, mean, invstd, weight: null, batchStats, sumDy, sumDyXhat });
          expectSameBits(`sumDy (${name})`, sumDy, ref.filter((_, i) => i % 2 === 0));
          expectSameBits(`sumDyXhat (${name})`, sumDyXhat, ref.filter((_, i) => i % 2 === 1).map((v, ch) => v * invstd[ch]));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("keeps the statistics of values around 1000 with spread 1 accurate (float64 sums of shifted values)", () => {
    const shape: Shape = [4, 3, 40, 41];
    const n = size(shape);
    const x = tensor(shape, values(n, 7, { offset: 1000, scale: 1 }));
    const { mean, variance } = withBackend(plain, () => batchNormStatistics(x));
    const [, c, h, w] = shape;
    for (let ch = 0; ch < c; ch++) {
      // two-pass float64 reference over the same float32 values
      let s = 0;
      for (let b = 0; b < shape[0]; b++) for (let i = 0; i < h * w; i++) s += x.data[(b * c + ch) * h * w + i];
      const m = s / (shape[0] * h * w);
      let v = 0;
      for (let b = 0; b < shape[0]; b++) for (let i = 0; i < h * w; i++) v += (x.data[(b * c + ch) * h * w + i] - m) ** 2;
      v /= shape[0] * h * w;
      expect(Math.abs(mean[ch] - m)).toBeLessThan(1e-12 * 1000);
      expect(Math.abs(variance[ch] - v) / v).toBeLessThan(1e-9);
      // a naive float32 sum of squares loses the variance (about 1/3) entirely at this mean
      let f = 0;
      let f2 = 0;
      for (let b = 0; b < shape[0]; b++) {
        for (let i = 0; i < h * w; i++) {
          const e = x.data[(b * c + ch) * h * w + i];
          f = Math.fround(f + e);
          f2 = Math.fround(f2 + Math.fround(e * e));
        }
      }
      const naive = Math.fround(f2 / (shape[0] * h * w)) - Math.fround(f / (shape[0] * h * w)) ** 2;
      expect(Math.abs(naive - v) / v).toBeGreaterThan(0.1);
    }
  });

  it("rejects float64 data, short arrays and bad layouts with ArgumentError", () => {
    const mean = new Float64Array(2);
    const variance = new Float64Array(2);
    expect(() => plain.batchNormStatistics({ x: new Float64Array(8) as never, batch: 1, channels: 2, plane: 4, mean, variance })).toThrow(ArgumentError);
    expect(() => plain.batchNormStatistics({ x: new Float32Array(7), batch: 1, channels: 2, plane: 4, mean, variance })).toThrow(ArgumentError);
    expect(() => plain.batchNormStatistics({ x: new Float32Array(8), batch: 1, channels: 2, plane: 4, mean: new Float64Array(1), variance })).toThrow(ArgumentError);
    expect(() => plain.batchNormNormalize({ x: new Float32Array(8), y: new Float32Array(8), batch: 1, channels: 2, plane: -4, mean, scale: mean, shift: mean })).toThrow(ArgumentError);
    expect(() => plain.reluForward({ x: new Float32Array(3), y: new Float32Array(4) })).toThrow(ArgumentError);
    const fwd = (over: Record<string, unknown>) => () =>
      plain.batchNormForward({ x: new Float32Array(8), y: new Float32Array(8), batch: 1, channels: 2, plane: 4, weight: null, bias: null, eps: 1e-5, mean, variance, invstd: new Float64Array(2), ...over });
    expect(fwd({})).not.toThrow();
    expect(fwd({ y: new Float32Array(7) })).toThrow(/batchNormForward: y has 7 elements/);
    expect(fwd({ weight: new Float32Array(1) })).toThrow(/batchNormForward: weight has 1 elements, expected 2/);
    expect(fwd({ eps: -1 })).toThrow(/batchNormForward: eps must be a finite number >= 0 \(got -1\)/);
    expect(fwd({ eps: NaN })).toThrow(ArgumentError);
    expect(fwd({ invstd: new Float64Array(1) })).toThrow(ArgumentError);
    expect(fwd({ x: new Float32Array(0), y: new Float32Array(0), batch: 0 })).toThrow(/needs at least one value per channel \(batch 0, plane 4\)/);
  });
});

describe("max pooling kernels", () => {
  it("2x2 forward (values, indices) and backward give the TypeScript loops' bits, ties and NaN included", () => {
    const shapeArb = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 19 }), fc.integer({ min: 2, max: 19 })) },
      { weight: 1, arbitrary: fc.constantFrom<[number, number, number, number]>([1, 3, 130, 131], [4, 9, 33, 32]) },
    );
    fc.assert(
      fc.property(shapeArb, fc.integer(), fc.boolean(), (shape, seed, special) => {
        const x = tensor(shape, values(size(shape), seed, { specialRate: special ? 0.1 : 0, quantum: 0.5 }));
        const ref = withBackend(tsBackend, () => maxPool2dForward(x, 2));
        const dy = tensor(ref.output.shape, values(ref.output.size, seed + 1));
        const dxRef = withBackend(tsBackend, () => maxPool2dBackward(dy, ref.indices, x.shape));
        for (const [name, b] of wasmBackends()) {
          const got = withBackend(b, () => maxPool2dForward(x, 2));
          expectSameBits(`output (${name})`, got.output.data, ref.output.data);
          expectSameBits(`indices (${name})`, got.indices, ref.indices);
          expectSameBits(`dx (${name})`, withBackend(b, () => maxPool2dBackward(dy, ref.indices, x.shape)).data, dxRef.data);
        }
      }),
      { numRuns: 50 },
    );
  });

  it("backward adds overlapping windows' gradients in order and skips index -1", () => {
    // a 3x3 stride-2 pool with padding gives overlapping windows: the general backward path
    const x = tensor([1, 2, 7, 7], values(98, 3, { quantum: 1 }));
    const ref = withBackend(tsBackend, () => maxPool2dForward(x, 3, { stride: 2, padding: 1 }));
    const dy = tensor(ref.output.shape, values(ref.output.size, 4));
    const dxRef = withBackend(tsBackend, () => maxPool2dBackward(dy, ref.indices, x.shape));
    expectSameBits("dx", withBackend(plain, () => maxPool2dBackward(dy, ref.indices, x.shape)).data, dxRef.data);
    const indices = Int32Array.from([0, -1, 3, 3]);
    const dx = new Float32Array(4);
    plain.maxPoolBackward({ dy: Float32Array.from([1, 2, 0.25, 0.5]), indices, dx, planes: 1, inPlane: 4, outPlane: 4 });
    expectSameBits("dx", dx, [1, 0, 0, 0.75]);
  });
});

describe("nearest x2 upsampling kernels", () => {
  it("forward and backward give the TypeScript loops' bits (block sums from +0, -0 included)", () => {
    const shapeArb = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 13 })) },
      { weight: 1, arbitrary: fc.constantFrom<[number, number, number, number]>([1, 2, 67, 65], [2, 5, 16, 16]) },
    );
    fc.assert(
      fc.property(shapeArb, fc.integer(), modeArb, (shape, seed, mode) => {
        const [n, c, h, w] = shape;
        const x = tensor(shape, values(size(shape), seed, mode));
        const dy = tensor([n, c, 2 * h, 2 * w], values(4 * size(shape), seed + 1, mode));
        const yRef = withBackend(tsBackend, () => nearestUpsampleForward(x, { scaleFactor: 2 }));
        const dxRef = withBackend(tsBackend, () => nearestUpsampleBackward(dy, shape, { scaleFactor: 2 }));
        for (const [name, b] of wasmBackends()) {
          expectSameBits(`y (${name})`, withBackend(b, () => nearestUpsampleForward(x, { scaleFactor: 2 })).data, yRef.data);
          expectSameBits(`dx (${name})`, withBackend(b, () => nearestUpsampleBackward(dy, shape, { scaleFactor: 2 })).data, dxRef.data);
        }
      }),
      { numRuns: 50 },
    );
  });

  it("sums a block of negative zeros to +0, as the TypeScript loop starting from +0 does", () => {
    // width 5: one f32x4 group and one scalar tail element
    const dx = new Float32Array(5).fill(7);
    plain.upsampleNearest2xBackward({ dy: new Float32Array(20).fill(-0), dx, planes: 1, height: 1, width: 5 });
    expectSameBits("dx", dx, [0, 0, 0, 0, 0]);
  });
});

/**
 * Whether every element of `actual` is within one float32 ulp of `expected` (same sign of zero not
 * required), plus a float64 allowance at the scale of the largest element: both sides compute in
 * float64 with different exp/log implementations (V8's and AssemblyScript's, each within an ulp),
 * and a gradient entry like (softmax - 1/c) * scale, with label smoothing, cancels terms of the size
 * of the largest entries, so a 1-ulp float64 difference in those terms can exceed a float32 ulp of a
 * tiny result. Any real error (a wrong term, sign or position) is at the scale of the terms, far
 * above 2^-44 of the largest.
 */
function expectWithinUlp(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  let largest = 0;
  for (let i = 0; i < expected.length; i++) largest = Math.max(largest, Math.abs(expected[i]));
  const cancellation = largest * 2 ** -44;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(e), 2 ** -126))) - 23);
    if (!(Math.abs(actual[i] - e) <= ulp + cancellation)) throw new Error(`${name}: element ${i} is ${actual[i]}, the TypeScript reference gives ${e}`);
  }
}

describe("softmax cross-entropy kernel", () => {
  it("gives the TypeScript loss and gradient to the last bit of exp/log (weights, smoothing, ignored labels)", () => {
    const shapeArb = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 9 })) },
      // one image larger than a chunk (2^18 floats): runs of positions
      { weight: 1, arbitrary: fc.constant<[number, number, number, number]>([2, 3, 2, 45000]) },
    );
    fc.assert(
      fc.property(
        shapeArb, fc.integer(), fc.constantFrom({ offset: 0, scale: 3 }, { offset: 1000, scale: 20 }, { offset: 0, scale: 1, wide: true }),
        fc.boolean(), fc.constantFrom(0, 0.1, 1), fc.constantFrom(-100, 255), fc.constantFrom<"mean" | "sum">("mean", "sum"),
        ([n, c, rank, hw], seed, mode, weighted, labelSmoothing, ignoreIndex, reduction) => {
          const shape = rank === 0 ? [n, c] : rank === 1 ? [n, c, hw] : [n, c, 2, hw];
          const positions = size(shape) / (n * c);
          const x = tensor(shape, values(size(shape), seed, mode));
          const u = values(n * positions, seed + 1, { offset: 1, scale: 1 });
          const y = makeLabels(Int32Array.from(u, (v) => (v < 0.15 ? ignoreIndex : Math.floor(v * 1e4) % c)), [n, ...shape.slice(2)]);
          const weight = weighted ? fromArray(Array.from(values(c, seed + 2), (v) => Math.abs(v) + 0.1)) : undefined;
          const options = { weight, labelSmoothing, ignoreIndex, reduction };
          const ref = withBackend(tsBackend, () => crossEntropyLoss(x, y, options));
          for (const [name, b] of wasmBackends()) {
            const got = withBackend(b, () => crossEntropyLoss(x, y, options));
            expect(Math.abs(got.loss - ref.loss)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(ref.loss)));
            expectWithinUlp(`grad (${name})`, got.grad.data, ref.grad.data);
            for (let i = 0; i < y.data.length; i++) {
              if (y.data[i] !== ignoreIndex) continue;
              const b0 = Math.floor(i / positions);
              for (let k = 0; k < c; k++) expectSameBits(`ignored grad (${name})`, [got.grad.data[(b0 * c + k) * positions + (i % positions)]], [0]);
            }
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it("gives the same total and gradient bits on 1 and 2 threads (positions shared out, losses added in order)", () => {
    for (const [n, c, hw, seed] of [[8, 3, 4096, 1], [3, 5, 1000, 2], [1, 3, 100000, 3], [2, 2, 7, 4]]) {
      const logits = values(n * c * hw, seed, { offset: 0, scale: 4 });
      const u = values(n * hw, seed + 1, { offset: 1, scale: 1 });
      const labels = Int32Array.from(u, (v) => (v < 0.1 ? 255 : Math.floor(v * 1e4) % c));
      for (const weight of [null, Float64Array.from({ length: c }, (_, k) => 0.5 + k)]) {
        const args = { logits, labels, batch: n, classes: c, positions: hw, weight, labelSmoothing: 0.1, ignoreIndex: 255, scale: 1 / (n * hw) };
        const g1 = new Float32Array(n * c * hw);
        const g2 = new Float32Array(n * c * hw);
        const t1 = plain.softmaxCrossEntropy({ ...args, grad: g1 });
        const t2 = shared.softmaxCrossEntropy({ ...args, grad: g2 });
        expect(Object.is(t1, t2), `total ${t1} vs ${t2} (${n}x${c}x${hw})`).toBe(true);
        expectSameBits(`grad ${n}x${c}x${hw}`, g2, g1);
      }
    }
  });

  it("rejects labels out of range and float64 logits with ArgumentError", () => {
    const args = { logits: new Float32Array(6), grad: new Float32Array(6), batch: 1, classes: 3, positions: 2, weight: null, labelSmoothing: 0, ignoreIndex: -100, scale: 1 };
    expect(() => plain.softmaxCrossEntropy({ ...args, labels: Int32Array.from([0, 3]) })).toThrow(ArgumentError);
    expect(() => plain.softmaxCrossEntropy({ ...args, labels: Int32Array.from([0]) })).toThrow(ArgumentError);
    expect(() => plain.softmaxCrossEntropy({ ...args, logits: new Float64Array(6) as never, labels: Int32Array.from([0, 1]) })).toThrow(ArgumentError);
    // uniform logits: loss log(3) per position, gradient 1/3 - [k == y]
    const grad = new Float32Array(6);
    const total = plain.softmaxCrossEntropy({ ...args, grad, labels: Uint8Array.from([2, 0]) });
    expect(total).toBeCloseTo(2 * Math.log(3), 14);
    // grad is [classes, positions]: position 0 has label 2, position 1 label 0
    expectSameBits("grad", grad, [1 / 3, 1 / 3 - 1, 1 / 3, 1 / 3, 1 / 3 - 1, 1 / 3].map(Math.fround));
  });
});

describe("nearest x2 upsampling into and from planes in runs", () => {
  it("refuses runs that do not divide the planes, overlap or overrun the array", async () => {
    const b = await createWasmBackend({ threads: 1 });
    try {
      const x = new Float32Array(6); // 6 planes of 1x1
      const into = (runPlanes: number, runStride: number, y: number) =>
        b.upsampleNearest2xInto({ x, y: new Float32Array(y), planes: 6, height: 1, width: 1, runPlanes, runStride });
      expect(() => into(4, 16, 100)).toThrow(/upsampleNearest2xInto: runPlanes must be a positive integer dividing planes 6 \(got 4\)/);
      expect(() => into(0, 16, 100)).toThrow(ArgumentError);
      expect(() => into(3, 11, 100)).toThrow(/runStride must be an integer of at least runPlanes x plane size = 12 \(got 11\)/);
      expect(() => into(3, 20, 31)).toThrow(/y has 31 elements, its 2 runs of 3 planes 20 apart need 32/);
      const from = (runPlanes: number, runStride: number, dy: number) =>
        b.upsampleNearest2xBackwardFrom({ dy: new Float32Array(dy), dx: new Float32Array(6), planes: 6, height: 1, width: 1, runPlanes, runStride });
      expect(() => from(3, 20, 31)).toThrow(/upsampleNearest2xBackwardFrom: dy has 31 elements/);
      // two runs of 3 planes, 20 apart, 4 elements each: elements 12..19 of y stay as they were
      const y = new Float32Array(32).fill(-1);
      b.upsampleNearest2xInto({ x: Float32Array.from([1, 2, 3, 4, 5, 6]), y, planes: 6, height: 1, width: 1, runPlanes: 3, runStride: 20 });
      expect(Array.from(y)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, ...Array(8).fill(-1), 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6]);
      const dx = new Float32Array(6);
      b.upsampleNearest2xBackwardFrom({ dy: y, dx, planes: 6, height: 1, width: 1, runPlanes: 3, runStride: 20 });
      expect(Array.from(dx)).toEqual([4, 8, 12, 16, 20, 24]);
    } finally {
      b.dispose();
    }
  });
});

describe("bilinear resizing by tables", () => {
  it("refuses tables of the wrong length or type and indices outside the input, naming the op", async () => {
    const b = await createWasmBackend({ threads: 1 });
    try {
      const t = (n: number, i = 0) => ({ i0: new Int32Array(n).fill(i), i1: new Int32Array(n), w0: new Float64Array(n), w1: new Float64Array(n) });
      const args = { x: new Float32Array(6), y: new Float32Array(20), planes: 1, inH: 2, inW: 3, outH: 4, outW: 5, rows: t(4), cols: t(5) };
      b.bilinearUpsample(args);
      expect(() => b.bilinearUpsample({ ...args, rows: t(3) })).toThrow(/bilinearUpsample: the row table needs Int32Array i0, i1 and Float64Array w0, w1 of 4 entries/);
      expect(() => b.bilinearUpsample({ ...args, cols: { ...t(5), w1: new Float32Array(5) as never } })).toThrow(/the column table needs/);
      expect(() => b.bilinearUpsample({ ...args, rows: t(4, 2) })).toThrow(/the row table's entry 0 blends input positions 2 and 0, outside \[0, 2\)/);
      expect(() => b.bilinearUpsample({ ...args, cols: t(5, -1) })).toThrow(/the column table's entry 0 blends input positions -1 and 0, outside \[0, 3\)/);
      expect(() => b.bilinearUpsample({ ...args, y: new Float32Array(19) })).toThrow(/bilinearUpsample: y has 19 elements, expected 20/);
      expect(() => b.bilinearUpsampleBackward({ dy: new Float32Array(20), dx: new Float32Array(5), planes: 1, inH: 2, inW: 3, outH: 4, outW: 5, rows: t(4), cols: t(5) })).toThrow(
        /bilinearUpsampleBackward: dx has 5 elements, expected 6/,
      );
      expect(() => b.bilinearUpsample({ ...args, planes: -1 })).toThrow(ArgumentError);
    } finally {
      b.dispose();
    }
  });
});

describe("elementwise kernels on a disposed backend", () => {
  it("throw ArgumentError", async () => {
    const b = await createWasmBackend({ threads: 1 });
    b.dispose();
    expect(() => b.reluForward({ x: new Float32Array(1), y: new Float32Array(1) })).toThrow(ArgumentError);
    expect(() => b.upsampleNearest2x({ x: new Float32Array(1), y: new Float32Array(4), planes: 1, height: 1, width: 1 })).toThrow(ArgumentError);
  });
});
