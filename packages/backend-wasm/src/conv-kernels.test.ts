import { col2imAccumulateTs, im2colTs } from "@unetkit/im2col";
import { ArgumentError, type ConvGeometry } from "@unetkit/tensor";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWasmBackend, type WasmBackend } from "./wasm-backend.js";

let one: WasmBackend;
let two: WasmBackend;
beforeAll(async () => {
  one = await createWasmBackend({ threads: 1 });
  two = await createWasmBackend({ threads: 2 });
});
afterAll(() => {
  one.dispose();
  two.dispose();
});

const geometryArb = fc
  .record({
    channels: fc.integer({ min: 1, max: 5 }),
    height: fc.integer({ min: 1, max: 12 }),
    width: fc.integer({ min: 1, max: 12 }),
    kernelH: fc.integer({ min: 1, max: 3 }),
    kernelW: fc.integer({ min: 1, max: 3 }),
    strideH: fc.integer({ min: 1, max: 2 }),
    strideW: fc.integer({ min: 1, max: 2 }),
    padH: fc.integer({ min: 0, max: 2 }),
    padW: fc.integer({ min: 0, max: 2 }),
    dilationH: fc.integer({ min: 1, max: 2 }),
    dilationW: fc.integer({ min: 1, max: 2 }),
  })
  .map((g) => ({
    ...g,
    outH: Math.floor((g.height + 2 * g.padH - g.dilationH * (g.kernelH - 1) - 1) / g.strideH) + 1,
    outW: Math.floor((g.width + 2 * g.padW - g.dilationW * (g.kernelW - 1) - 1) / g.strideW) + 1,
  }))
  .filter((g): g is ConvGeometry => g.outH >= 1 && g.outW >= 1);

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 12.9898) * 2);
const sameBits = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));

const sizes = (g: ConvGeometry) => ({ image: g.channels * g.height * g.width, K: g.channels * g.kernelH * g.kernelW, L: g.outH * g.outW });

/** The unfused path, as @unetkit/layers' conv2d composes it: im2col, then one wasm GEMM per image. */
function forwardUnfused(b: WasmBackend, g: ConvGeometry, batch: number, cout: number, x: Float32Array, w: Float32Array, bias: Float32Array | null): Float32Array {
  const { image, K, L } = sizes(g);
  const out = new Float32Array(batch * cout * L);
  const cols = new Float32Array(K * L);
  for (let n = 0; n < batch; n++) {
    im2colTs({ geometry: g, image: x, imageOffset: n * image, cols, colsOffset: 0 });
    if (bias) for (let co = 0; co < cout; co++) out.fill(bias[co], (n * cout + co) * L, (n * cout + co + 1) * L);
    b.gemm({ transA: false, transB: false, m: cout, n: L, k: K, alpha: 1, a: w, aOffset: 0, lda: K, b: cols, bOffset: 0, ldb: L, beta: bias ? 1 : 0, c: out, cOffset: n * cout * L, ldc: L });
  }
  return out;
}

function backwardDataUnfused(b: WasmBackend, g: ConvGeometry, batch: number, cout: number, dy: Float32Array, w: Float32Array, dx: Float32Array): void {
  const { image, K, L } = sizes(g);
  const dcols = new Float32Array(K * L);
  for (let n = 0; n < batch; n++) {
    b.gemm({ transA: true, transB: false, m: K, n: L, k: cout, alpha: 1, a: w, aOffset: 0, lda: K, b: dy, bOffset: n * cout * L, ldb: L, beta: 0, c: dcols, cOffset: 0, ldc: L });
    col2imAccumulateTs({ geometry: g, image: dx, imageOffset: n * image, cols: dcols, colsOffset: 0 });
  }
}

function backwardWeightUnfused(b: WasmBackend, g: ConvGeometry, batch: number, cout: number, dy: Float32Array, x: Float32Array, dW: Float32Array): void {
  const { image, K, L } = sizes(g);
  const cols = new Float32Array(K * L);
  for (let n = 0; n < batch; n++) {
    im2colTs({ geometry: g, image: x, imageOffset: n * image, cols, colsOffset: 0 });
    b.gemm({ transA: false, transB: true, m: cout, n: K, k: L, alpha: 1, a: dy, aOffset: n * cout * L, lda: L, b: cols, bOffset: 0, ldb: L, beta: 1, c: dW, cOffset: 0, ldc: K });
  }
}

const caseArb = fc.record({
  g: geometryArb,
  batch: fc.integer({ min: 1, max: 3 }),
  cout: fc.integer({ min: 1, max: 9 }),
  withBias: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1000 }),
});

describe("fused conv kernels", () => {
  it("conv2dForward equals im2col + GEMM per image bit for bit (1 and 2 threads)", () => {
    fc.assert(
      fc.property(caseArb, ({ g, batch, cout, withBias, seed }) => {
        const { image, K, L } = sizes(g);
        const x = values(batch * image, seed);
        const w = values(cout * K, seed + 1);
        const bias = withBias ? values(cout, seed + 2) : null;
        const want = forwardUnfused(one, g, batch, cout, x, w, bias);
        for (const b of [one, two]) {
          const out = values(batch * cout * L, 7); // overwritten
          b.conv2dForward({ geometry: g, batch, cout, x, weight: w, bias, out });
          expect(sameBits(out, want)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("conv2dBackwardData accumulates col2im(W^T dy) bit for bit like the unfused path", () => {
    fc.assert(
      fc.property(caseArb, ({ g, batch, cout, seed }) => {
        const { image, K, L } = sizes(g);
        const dy = values(batch * cout * L, seed);
        const w = values(cout * K, seed + 1);
        const want = values(batch * image, seed + 3); // accumulated into
        const got = want.slice();
        const got2 = want.slice();
        backwardDataUnfused(one, g, batch, cout, dy, w, want);
        one.conv2dBackwardData({ geometry: g, batch, cout, dy, weight: w, dx: got });
        two.conv2dBackwardData({ geometry: g, batch, cout, dy, weight: w, dx: got2 });
        expect(sameBits(got, want)).toBe(true);
        expect(sameBits(got2, want)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("conv2dBackwardWeight accumulates sum_b dy[b] im2col(x[b])^T bit for bit like the unfused path", () => {
    fc.assert(
      fc.property(caseArb, ({ g, batch, cout, seed }) => {
        const { image, K, L } = sizes(g);
        const dy = values(batch * cout * L, seed);
        const x = values(batch * image, seed + 1);
        const want = values(cout * K, seed + 4); // accumulated into
        const got = want.slice();
        const got2 = want.slice();
        backwardWeightUnfused(one, g, batch, cout, dy, x, want);
        one.conv2dBackwardWeight({ geometry: g, batch, cout, dy, x, dW: got });
        two.conv2dBackwardWeight({ geometry: g, batch, cout, dy, x, dW: got2 });
        expect(sameBits(got, want)).toBe(true);
        expect(sameBits(got2, want)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("splits big convolutions across threads (images, or each GEMM for one image) with bit-identical results", () => {
    const g: ConvGeometry = { channels: 16, height: 32, width: 32, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, outH: 32, outW: 32 };
    const { image, K, L } = sizes(g);
    for (const batch of [1, 2, 3]) {
      const cout = 32;
      const x = values(batch * image, 1);
      const w = values(cout * K, 2);
      const dy = values(batch * cout * L, 3);
      const before = two.stats().parallelGemms;
      const o1 = new Float32Array(batch * cout * L);
      const o2 = o1.slice();
      one.conv2dForward({ geometry: g, batch, cout, x, weight: w, bias: null, out: o1 });
      two.conv2dForward({ geometry: g, batch, cout, x, weight: w, bias: null, out: o2 });
      expect(sameBits(o1, o2)).toBe(true);
      const dx1 = new Float32Array(batch * image);
      const dx2 = dx1.slice();
      one.conv2dBackwardData({ geometry: g, batch, cout, dy, weight: w, dx: dx1 });
      two.conv2dBackwardData({ geometry: g, batch, cout, dy, weight: w, dx: dx2 });
      expect(sameBits(dx1, dx2)).toBe(true);
      const dw1 = new Float32Array(cout * K);
      const dw2 = dw1.slice();
      one.conv2dBackwardWeight({ geometry: g, batch, cout, dy, x, dW: dw1 });
      two.conv2dBackwardWeight({ geometry: g, batch, cout, dy, x, dW: dw2 });
      expect(sameBits(dw1, dw2)).toBe(true);
      // forward and input gradient: one split each (images, or each image's GEMM when batch is 1);
      // weight gradient: every image's GEMM split by columns
      expect(two.stats().parallelGemms).toBe(before + 2 + batch);
    }
  });

  it("refuses short arrays and float64 with an ArgumentError naming the kernel", () => {
    const g: ConvGeometry = { channels: 2, height: 4, width: 4, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, outH: 4, outW: 4 };
    const ok = { geometry: g, batch: 2, cout: 3, x: new Float32Array(64), weight: new Float32Array(54), bias: null, out: new Float32Array(96) };
    expect(() => one.conv2dForward({ ...ok, out: new Float32Array(95) })).toThrow(/conv2dForward: out has 95 elements, needs 96/);
    expect(() => one.conv2dForward({ ...ok, x: new Float64Array(64) })).toThrow(ArgumentError);
    expect(() => one.conv2dBackwardData({ geometry: g, batch: 2, cout: 3, dy: new Float32Array(96), weight: new Float32Array(53), dx: new Float32Array(64) })).toThrow(/conv2dBackwardData: weight/);
    expect(() => one.conv2dBackwardWeight({ geometry: g, batch: 2, cout: 3, dy: new Float32Array(96), x: new Float32Array(64), dW: new Float32Array(53) })).toThrow(/conv2dBackwardWeight: dW/);
  });
});
