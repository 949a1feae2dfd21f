import type { ConvGeometry } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { useBothBuilds } from "../test/both-builds.js";
import type { WasmBackend } from "./wasm-backend.js";

// The weight gradient of 3x3 / stride-1 / dilation-1 convolutions by Winograd F(2x2, 3x3)
// (assembly/conv-winograd-wgrad.ts), on both builds, against the float64 definition.

const builds = useBothBuilds();

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 12.9898) * 2);
const sameBits = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));

const geometry = (H: number, W: number, padH: number, padW: number, channels: number): ConvGeometry => ({
  channels, height: H, width: W, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH, padW, dilationH: 1, dilationW: 1,
  outH: H + 2 * padH - 2, outW: W + 2 * padW - 2,
});

const absT = (B: number[][]) => B.map((r) => r.map(Math.abs));
/** |B^T|, |A| (4 x 2) and |G| (4 x 3) of F(2x2, 3x3): the transforms' coefficients in absolute value. */
const BT = absT([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]);
const A = absT([[1, 0], [1, 1], [1, -1], [0, -1]]);
const G = absT([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]);

/**
 * Float64 reference of dW[m, n, ky, kx] = sum over images and outputs of dy[b, m, oy, ox] *
 * x[b, n, oy - padH + ky, ox - padW + kx] (zero outside x), by definition, and the scale of the
 * Winograd kernel's float32 error: `scale` is the same computation as the kernel's, Winograd
 * transforms included, with every coefficient and value replaced by its absolute value,
 * |G|^T (sum over tiles of (|A| |dY| |A|^T) ⊙ (|B|^T |d| |B|)) |G|.
 */
function reference(g: ConvGeometry, batch: number, cout: number, x: Float32Array, dy: Float32Array) {
  const C = g.channels;
  const { height: H, width: W, outH, outW, padH, padW } = g;
  const dW = new Float64Array(cout * C * 9);
  for (let b = 0; b < batch; b++) {
    for (let m = 0; m < cout; m++) {
      for (let n = 0; n < C; n++) {
        for (let ky = 0; ky < 3; ky++) {
          for (let kx = 0; kx < 3; kx++) {
            let s = 0;
            for (let oy = 0; oy < outH; oy++) {
              const y = oy - padH + ky;
              if (y < 0 || y >= H) continue;
              for (let ox = 0; ox < outW; ox++) {
                const xx = ox - padW + kx;
                if (xx < 0 || xx >= W) continue;
                s += dy[((b * cout + m) * outH + oy) * outW + ox] * x[((b * C + n) * H + y) * W + xx];
              }
            }
            dW[(m * C + n) * 9 + ky * 3 + kx] += s;
          }
        }
      }
    }
  }
  // the absolute-value Winograd computation
  const TH = Math.ceil(outH / 2);
  const TW = Math.ceil(outW / 2);
  const U = new Float64Array(cout * C * 16);
  const Z = new Float64Array(cout * 16);
  const V = new Float64Array(C * 16);
  const patch = new Float64Array(16);
  const tmp = new Float64Array(16);
  const transform = (d: Float64Array, L: number[][], k: number, out: Float64Array, at: number) => {
    // out[at + 4i + j] = sum L[i][a] d[a][c] L[j][c], d being k x k
    for (let i = 0; i < 4; i++) for (let c = 0; c < k; c++) {
      let s = 0;
      for (let a = 0; a < k; a++) s += L[i][a] * d[a * k + c];
      tmp[i * 4 + c] = s;
    }
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += tmp[i * 4 + c] * L[j][c];
      out[at + i * 4 + j] = s;
    }
  };
  for (let b = 0; b < batch; b++) {
    for (let ty = 0; ty < TH; ty++) {
      for (let tx = 0; tx < TW; tx++) {
        for (let m = 0; m < cout; m++) {
          for (let a = 0; a < 2; a++) for (let c = 0; c < 2; c++) {
            const oy = 2 * ty + a, ox = 2 * tx + c;
            patch[a * 2 + c] = oy < outH && ox < outW ? Math.abs(dy[((b * cout + m) * outH + oy) * outW + ox]) : 0;
          }
          transform(patch, A, 2, Z, m * 16);
        }
        for (let n = 0; n < C; n++) {
          for (let a = 0; a < 4; a++) for (let c = 0; c < 4; c++) {
            const y = 2 * ty - padH + a, xx = 2 * tx - padW + c;
            patch[a * 4 + c] = y >= 0 && y < H && xx >= 0 && xx < W ? Math.abs(x[((b * C + n) * H + y) * W + xx]) : 0;
          }
          transform(patch, BT, 4, V, n * 16);
        }
        for (let m = 0; m < cout; m++) for (let n = 0; n < C; n++) {
          for (let xi = 0; xi < 16; xi++) U[(m * C + n) * 16 + xi] += Z[m * 16 + xi] * V[n * 16 + xi];
        }
      }
    }
  }
  const scale = new Float64Array(cout * C * 9);
  for (let mn = 0; mn < cout * C; mn++) {
    for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      let s = 0;
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) s += G[i][ky] * U[mn * 16 + i * 4 + j] * G[j][kx];
      scale[mn * 9 + ky * 3 + kx] = s;
    }
  }
  return { dW, scale };
}

/**
 * Every element of `got` within the float32 error bound of `base + want`. The kernel computes each
 * dW element as a sum of products of transformed values whose computation graph has depth at most
 * k = (tile groups summed in one lane) + 12: 2 roundings per transform (Z and V), 1 per product, one
 * per group in the lane's running sum, 2 for the lane reduction, 4 for G^T . G and 1 for adding the
 * base. The standard bound for such a computation is |error| <= gamma_k * (the same computation on
 * absolute values), gamma_k = k u / (1 - k u) with u = 2^-24: that is `scale` (see reference) plus
 * |base|. The float64 reference's own error is below 1e-12 of that and is covered by the factor 1.01.
 */
function expectWithinBound(got: Float32Array, want: Float64Array, scale: Float64Array, base: Float32Array, groups: number): void {
  const u = 2 ** -24;
  const k = groups + 12;
  const gamma = (k * u) / (1 - k * u);
  for (let i = 0; i < got.length; i++) {
    const w = want[i] + base[i];
    const tol = 1.01 * gamma * (scale[i] + Math.abs(base[i])) + 1e-30;
    if (!(Math.abs(got[i] - w) <= tol)) throw new Error(`dW[${i}] = ${got[i]}, float64 reference ${w} (tolerance ${tol})`);
  }
}

/** Groups of 4 horizontally adjacent tiles that one accumulator lane sums for these shapes. */
const groupsOf = (g: ConvGeometry, batch: number) => batch * Math.ceil(g.outH / 2) * Math.ceil(Math.ceil(g.outW / 2) / 4);

/** Runs conv2dBackwardWeight on `backend` from a copy of `dW0` and returns the result. */
function weightGrad(backend: WasmBackend, g: ConvGeometry, batch: number, cout: number, dy: Float32Array, x: Float32Array, dW0: Float32Array) {
  const dW = dW0.slice();
  backend.conv2dBackwardWeight({ geometry: g, batch, cout, dy, x, dW });
  return dW;
}

const caseArb = fc
  .record({
    H: fc.integer({ min: 1, max: 13 }),
    W: fc.integer({ min: 1, max: 21 }),
    padH: fc.integer({ min: 0, max: 2 }),
    padW: fc.integer({ min: 0, max: 2 }),
    channels: fc.integer({ min: 2, max: 11 }),
    cout: fc.integer({ min: 1, max: 11 }),
    batch: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .filter((c) => c.H + 2 * c.padH >= 3 && c.W + 2 * c.padW >= 3);

describe.each(["plain", "fma"] as const)("Winograd F(2x2, 3x3) weight gradient, %s SIMD build", (build) => {
  it("matches the float64 definition within the Winograd error bound, accumulating onto dW, on 1 and 2 threads", () => {
    const { one, two } = builds[build];
    fc.assert(
      fc.property(caseArb, ({ H, W, padH, padW, channels, cout, batch, seed }) => {
        const g = geometry(H, W, padH, padW, channels);
        const x = values(batch * channels * H * W, seed);
        const dy = values(batch * cout * g.outH * g.outW, seed + 1);
        const dW0 = values(cout * channels * 9, seed + 2);
        const ref = reference(g, batch, cout, x, dy);
        const got = weightGrad(one, g, batch, cout, dy, x, dW0);
        expectWithinBound(got, ref.dW, ref.scale, dW0, groupsOf(g, batch));
        expect(sameBits(got, weightGrad(two, g, batch, cout, dy, x, dW0))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("splits the transform positions across 2 threads with bit-identical results, over several chunks and odd, unaligned shapes", () => {
    const { one, two } = builds[build];
    // [channels, H, W, pad, cout, batch]: odd output sizes, rows that are not whole groups of 4
    // tiles, channel counts off the register tile, many channels (chunks of few tile groups, the last
    // one partial), long rows (several chunks), output widths that are whole groups (dy read in place)
    for (const [C, H, W, pad, cout, batch] of [
      [13, 37, 29, 1, 7, 2], [96, 12, 11, 1, 100, 2], [5, 16, 64, 1, 9, 3], [3, 41, 35, 2, 9, 3], [17, 20, 18, 0, 18, 3],
    ]) {
      const g = geometry(H, W, pad, pad, C);
      const x = values(batch * C * H * W, C);
      const dy = values(batch * cout * g.outH * g.outW, H);
      const dW0 = values(cout * C * 9, W);
      const ref = reference(g, batch, cout, x, dy);
      const before = two.stats().parallelGemms;
      const got1 = weightGrad(one, g, batch, cout, dy, x, dW0);
      const got2 = weightGrad(two, g, batch, cout, dy, x, dW0);
      expect(two.stats().parallelGemms).toBe(before + 1);
      expectWithinBound(got1, ref.dW, ref.scale, dW0, groupsOf(g, batch));
      expect(sameBits(got1, got2)).toBe(true);
    }
  });

  it("is on by default, off with winograd: false, and leaves other kernels and 1-channel inputs to the direct kernel", () => {
    const { one, direct } = builds[build];
    expect(one.winograd).toBe(true);
    expect(direct.winograd).toBe(false);
    const batch = 2;
    const cout = 6;
    // a 3x3 convolution: Winograd and the direct kernel round differently
    const g = geometry(12, 15, 1, 1, 4);
    const x = values(batch * 4 * 12 * 15, 1);
    const dy = values(batch * cout * g.outH * g.outW, 2);
    const dW0 = new Float32Array(cout * 4 * 9);
    const ref = reference(g, batch, cout, x, dy);
    const wino = weightGrad(one, g, batch, cout, dy, x, dW0);
    const dir = weightGrad(direct, g, batch, cout, dy, x, dW0);
    for (let i = 0; i < dir.length; i++) expect(Math.abs(dir[i] - ref.dW[i])).toBeLessThan(1e-5 * ref.scale[i]);
    expectWithinBound(wino, ref.dW, ref.scale, dW0, groupsOf(g, batch));
    expect(sameBits(wino, dir)).toBe(false);
    // one input channel, a dilated 3x3 and a 5x5 run the direct kernel on both backends: same bits
    const others: ConvGeometry[] = [
      geometry(9, 9, 1, 1, 1),
      { ...geometry(9, 9, 2, 2, 3), dilationH: 2, dilationW: 2, outH: 9, outW: 9 },
      { ...geometry(9, 9, 2, 2, 3), kernelH: 5, kernelW: 5, outH: 9, outW: 9 },
    ];
    for (const o of others) {
      const K = o.channels * o.kernelH * o.kernelW;
      const xo = values(batch * o.channels * 81, 3);
      const dyo = values(batch * cout * 81, 4);
      const start = values(cout * K, 5);
      expect(sameBits(weightGrad(one, o, batch, cout, dyo, xo, start), weightGrad(direct, o, batch, cout, dyo, xo, start))).toBe(true);
    }
  });
});
