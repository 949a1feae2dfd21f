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

/**
 * Float64 reference of the three convolution products, by definition, plus for each output the sum
 * of the absolute values of its terms (the scale of its float32 rounding error).
 */
function reference(g: ConvGeometry, batch: number, cout: number, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const { image, K, L } = sizes(g);
  const C = g.channels;
  const out = new Float64Array(batch * cout * L);
  const outAbs = new Float64Array(batch * cout * L);
  const dx = new Float64Array(batch * image);
  const dxAbs = new Float64Array(batch * image);
  const dW = new Float64Array(cout * K);
  const dWAbs = new Float64Array(cout * K);
  for (let b = 0; b < batch; b++) {
    for (let co = 0; co < cout; co++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          const o = (b * cout + co) * L + oy * g.outW + ox;
          for (let c = 0; c < C; c++) {
            for (let ky = 0; ky < g.kernelH; ky++) {
              const y = oy * g.strideH - g.padH + ky * g.dilationH;
              if (y < 0 || y >= g.height) continue;
              for (let kx = 0; kx < g.kernelW; kx++) {
                const xx = ox * g.strideW - g.padW + kx * g.dilationW;
                if (xx < 0 || xx >= g.width) continue;
                const xi = b * image + (c * g.height + y) * g.width + xx;
                const wi = co * K + (c * g.kernelH + ky) * g.kernelW + kx;
                out[o] += w[wi] * x[xi];
                outAbs[o] += Math.abs(w[wi] * x[xi]);
                dx[xi] += w[wi] * dy[o];
                dxAbs[xi] += Math.abs(w[wi] * dy[o]);
                dW[wi] += dy[o] * x[xi];
                dWAbs[wi] += Math.abs(dy[o] * x[xi]);
              }
            }
          }
        }
      }
    }
  }
  return { out, outAbs, dx, dxAbs, dW, dWAbs };
}

/** Every element of `got` within float32 summation error of `base + want` (scale: `abs` plus |base|). */
function expectClose(what: string, got: Float32Array, want: Float64Array, abs: Float64Array, base?: Float32Array): void {
  for (let i = 0; i < got.length; i++) {
    const w = want[i] + (base ? base[i] : 0);
    const tol = 1e-5 * (abs[i] + (base ? Math.abs(base[i]) : 0)) + 1e-6;
    if (!(Math.abs(got[i] - w) <= tol)) throw new Error(`${what}[${i}] = ${got[i]}, float64 reference ${w} (tol ${tol})`);
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
  it("conv2dForward, conv2dBackwardData and conv2dBackwardWeight match the float64 definition, bit-identical on 1 and 2 threads", () => {
    fc.assert(
      fc.property(caseArb, ({ g, batch, cout, withBias, seed }) => {
        const { image, K, L } = sizes(g);
        const x = values(batch * image, seed);
        const w = values(cout * K, seed + 1);
        const dy = values(batch * cout * L, seed + 2);
        const bias = withBias ? values(cout, seed + 3) : null;
        const ref = reference(g, batch, cout, x, w, dy);
        const outs = [one, two].map((b) => {
          const out = values(batch * cout * L, 7); // overwritten
          b.conv2dForward({ geometry: g, batch, cout, x, weight: w, bias, out });
          return out;
        });
        const biasPlanes = bias ? Float32Array.from({ length: batch * cout * L }, (_, i) => bias[Math.floor(i / L) % cout]) : undefined;
        expectClose("out", outs[0], ref.out, ref.outAbs, biasPlanes);
        expect(sameBits(outs[0], outs[1])).toBe(true);
        const dx0 = values(batch * image, seed + 4); // accumulated into
        const dxs = [one, two].map((b) => {
          const dx = dx0.slice();
          b.conv2dBackwardData({ geometry: g, batch, cout, dy, weight: w, dx });
          return dx;
        });
        expectClose("dx", dxs[0], ref.dx, ref.dxAbs, dx0);
        expect(sameBits(dxs[0], dxs[1])).toBe(true);
        const dW0 = values(cout * K, seed + 5); // accumulated into
        const dWs = [one, two].map((b) => {
          const dW = dW0.slice();
          b.conv2dBackwardWeight({ geometry: g, batch, cout, dy, x, dW });
          return dW;
        });
        expectClose("dW", dWs[0], ref.dW, ref.dWAbs, dW0);
        expect(sameBits(dWs[0], dWs[1])).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("the direct stride-1 kernels cover long rows, partial 8- and 4-wide panels, many channels and tails of 4 output channels", () => {
    for (const [C, H, W, cout, k, pad, dil] of [
      [7, 5, 29, 6, 3, 1, 1], [40, 3, 17, 5, 3, 2, 2], [3, 9, 8, 13, 5, 2, 1], [33, 4, 4, 3, 1, 0, 1], [5, 3, 30, 4, 3, 1, 1], [2, 6, 7, 9, 3, 1, 1],
    ]) {
      const g: ConvGeometry = {
        channels: C, height: H, width: W, kernelH: k, kernelW: k, strideH: 1, strideW: 1, padH: pad, padW: pad,
        dilationH: dil, dilationW: dil, outH: H + 2 * pad - dil * (k - 1), outW: W + 2 * pad - dil * (k - 1),
      };
      const { image, K, L } = sizes(g);
      const batch = 2;
      const x = values(batch * image, C);
      const w = values(cout * K, H);
      const dy = values(batch * cout * L, W);
      const ref = reference(g, batch, cout, x, w, dy);
      const out = new Float32Array(batch * cout * L);
      one.conv2dForward({ geometry: g, batch, cout, x, weight: w, bias: null, out });
      expectClose("out", out, ref.out, ref.outAbs);
      const dx = new Float32Array(batch * image);
      one.conv2dBackwardData({ geometry: g, batch, cout, dy, weight: w, dx });
      expectClose("dx", dx, ref.dx, ref.dxAbs);
      const dW = new Float32Array(cout * K);
      one.conv2dBackwardWeight({ geometry: g, batch, cout, dy, x, dW });
      expectClose("dW", dW, ref.dW, ref.dWAbs);
    }
  });

  it("splits big convolutions across threads (images, rows or taps) with bit-identical results", () => {
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
      // one split each: forward and input gradient by images (by output rows when batch is 1),
      // weight gradient by taps
      expect(two.stats().parallelGemms).toBe(before + 3);
    }
  });

  it("dxZero: the input gradient into a fresh dx gives the same bits as accumulating into zeros, whatever dx held", () => {
    fc.assert(
      fc.property(caseArb, ({ g, batch, cout, seed }) => {
        const { image, K, L } = sizes(g);
        const w = values(cout * K, seed + 1);
        const dy = values(batch * cout * L, seed + 2);
        for (const b of [one, two]) {
          const accumulated = new Float32Array(batch * image);
          b.conv2dBackwardData({ geometry: g, batch, cout, dy, weight: w, dx: accumulated });
          const fresh = new Float32Array(batch * image);
          b.conv2dBackwardData({ geometry: g, batch, cout, dy, weight: w, dx: fresh, dxZero: true });
          expect(sameBits(fresh, accumulated)).toBe(true);
          // every path (direct, Winograd, im2col + GEMM on one or more threads) ignores what dx held
          const stale = new Float32Array(batch * image).fill(Number.NaN);
          b.conv2dBackwardData({ geometry: g, batch, cout, dy, weight: w, dx: stale, dxZero: true });
          expect(sameBits(stale, accumulated)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("conv2dBackward gives the two separate kernels' bits, and with threads shares a 3x3 stride-1 weight gradient and the input gradient out in one split", () => {
    fc.assert(
      fc.property(caseArb, fc.boolean(), ({ g, batch, cout, seed }, dxZero) => {
        const { image, K, L } = sizes(g);
        const x = values(batch * image, seed);
        const w = values(cout * K, seed + 1);
        const dy = values(batch * cout * L, seed + 2);
        const dx0 = dxZero ? new Float32Array(batch * image) : values(batch * image, seed + 4);
        const dW0 = values(cout * K, seed + 5);
        for (const b of [one, two]) {
          const dxA = dx0.slice();
          const dWA = dW0.slice();
          b.conv2dBackwardData({ geometry: g, batch, cout, dy, weight: w, dx: dxA, dxZero });
          b.conv2dBackwardWeight({ geometry: g, batch, cout, dy, x, dW: dWA });
          const dxB = dx0.slice();
          const dWB = dW0.slice();
          b.conv2dBackward({ geometry: g, batch, cout, dy, x, weight: w, dx: dxB, dW: dWB, dxZero });
          expect(sameBits(dxB, dxA)).toBe(true);
          expect(sameBits(dWB, dWA)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
    // a SimpleUNet-sized layer: one split (both threads take weight-gradient rows, then input-gradient work items), the same bits as 1 thread
    const g: ConvGeometry = { channels: 16, height: 32, width: 32, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, outH: 32, outW: 32 };
    const { image, K, L } = sizes(g);
    const batch = 4;
    const cout = 16;
    const x = values(batch * image, 1);
    const w = values(cout * K, 2);
    const dy = values(batch * cout * L, 3);
    const run = (b: WasmBackend) => {
      const dx = new Float32Array(batch * image);
      const dW = values(cout * K, 4);
      b.conv2dBackward({ geometry: g, batch, cout, dy, x, weight: w, dx, dW, dxZero: true });
      return { dx, dW };
    };
    const before = two.stats().parallelGemms;
    const r2 = run(two);
    expect(two.stats().parallelGemms).toBe(before + 1);
    const r1 = run(one);
    expect(sameBits(r2.dx, r1.dx)).toBe(true);
    expect(sameBits(r2.dW, r1.dW)).toBe(true);
    expect(() => one.conv2dBackward({ geometry: g, batch, cout, dy, x, weight: w, dx: new Float32Array(5), dW: new Float32Array(cout * K) })).toThrow(
      /conv2dBackward: dx has 5 elements/,
    );
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
