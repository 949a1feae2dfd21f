import { ArgumentError, type ConvGeometry } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { useBothBuilds } from "../test/both-builds.js";
import { createWasmBackend, WINOGRAD_MIN_CHANNELS, type WasmBackend } from "./wasm-backend.js";

// Winograd F(2x2, 3x3) convolutions (assembly/conv-winograd.ts) as conv2dForward and
// conv2dBackwardData run them, on both builds, against the float64 definition.

const builds = useBothBuilds();

const U = 2 ** -24; // unit roundoff of float32
const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 12.9898) * 2);
const sameBits = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));

const geometry = (C: number, H: number, W: number, pad: number, k = 3, dil = 1): ConvGeometry => ({
  channels: C, height: H, width: W, kernelH: k, kernelW: k, strideH: 1, strideW: 1, padH: pad, padW: pad,
  dilationH: dil, dilationW: dil, outH: H + 2 * pad - dil * (k - 1), outW: W + 2 * pad - dil * (k - 1),
});

// |B^T|, |G| and |A^T| of F(2x2, 3x3), for the error scale below
const BT = [[1, 0, 1, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 1, 0, 1]];
const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0, 0, 1]];
const AT = [[1, 1, 1, 0], [0, 1, 1, 1]];

/**
 * Float64 reference of a stride-1 3x3 convolution of `batch` images (N x H x W, zero padding `pad`)
 * with weights `wAt(m, n, ky, kx)` into M x outH x outW, by definition. Per output it also returns
 * the two scales of float32 rounding error:
 * - `terms`: the sum of the absolute values of its 9N terms. The direct kernel sums them one by
 *   one, so its error is at most gamma(9N + 1) * terms (gamma(k) = k u / (1 - k u)), plus u |result|
 *   when it adds to a base.
 * - `wino`: S = |A^T| (sum over n of (|G| |g| |G^T|) (.) (|B^T| |d| |B|)) |A| for the output's tile
 *   (the F(2x2, 3x3) formula with every matrix and value replaced by its absolute value). Winograd
 *   rounds the input transform (2 levels of additions: gamma(2) relative to |B^T||d||B|), U (rounded
 *   once from float64: u), the N products and their sum (gamma(N)) and the output transform (2 + 2
 *   levels of additions), so its error is at most gamma(N + 8) * S, plus u |result| with a base.
 *   S counts every (weight, input) pair of the tile's 4x4 patch, also the pairs whose contributions
 *   cancel exactly, with the transforms' coefficients: S >= terms, about 7-8x on random data. The
 *   bound is therefore larger than the direct kernel's (similar for large N, where 9N + 1 ~ 8(N + 8)),
 *   while the errors measured on random data are about the same (0.7-1.2x the direct kernel's: the
 *   sums are shorter).
 */
function convReference(img: Float32Array, batch: number, N: number, H: number, W: number, pad: number, M: number, wAt: (m: number, n: number, ky: number, kx: number) => number) {
  const outH = H + 2 * pad - 2;
  const outW = W + 2 * pad - 2;
  const L = outH * outW;
  const y = new Float64Array(batch * M * L);
  const terms = new Float64Array(batch * M * L);
  const wino = new Float64Array(batch * M * L);
  const at = (b: number, n: number, r: number, c: number) => (r < 0 || r >= H || c < 0 || c >= W ? 0 : img[((b * N + n) * H + r) * W + c]);
  // |U| = |G| |g| |G^T| per (m, n)
  const absU = new Float64Array(M * N * 16);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          let s = 0;
          for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) s += G[i][ky] * Math.abs(wAt(m, n, ky, kx)) * G[j][kx];
          absU[(m * N + n) * 16 + i * 4 + j] = s;
        }
      }
    }
  }
  const absV = new Float64Array(N * 16);
  const P = new Float64Array(16);
  for (let b = 0; b < batch; b++) {
    for (let m = 0; m < M; m++) {
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          let s = 0;
          let a = 0;
          for (let n = 0; n < N; n++) {
            for (let ky = 0; ky < 3; ky++) {
              for (let kx = 0; kx < 3; kx++) {
                const t = wAt(m, n, ky, kx) * at(b, n, oy - pad + ky, ox - pad + kx);
                s += t;
                a += Math.abs(t);
              }
            }
          }
          y[(b * M + m) * L + oy * outW + ox] = s;
          terms[(b * M + m) * L + oy * outW + ox] = a;
        }
      }
    }
    for (let ty = 0; 2 * ty < outH; ty++) {
      for (let tx = 0; 2 * tx < outW; tx++) {
        for (let n = 0; n < N; n++) {
          for (let i = 0; i < 4; i++) {
            for (let j = 0; j < 4; j++) {
              let s = 0;
              for (let p = 0; p < 4; p++) {
                for (let q = 0; q < 4; q++) s += BT[i][p] * Math.abs(at(b, n, 2 * ty + p - pad, 2 * tx + q - pad)) * BT[j][q];
              }
              absV[n * 16 + i * 4 + j] = s;
            }
          }
        }
        for (let m = 0; m < M; m++) {
          P.fill(0);
          for (let n = 0; n < N; n++) for (let k = 0; k < 16; k++) P[k] += absU[(m * N + n) * 16 + k] * absV[n * 16 + k];
          for (let r = 0; r < 2; r++) {
            for (let c = 0; c < 2; c++) {
              if (2 * ty + r >= outH || 2 * tx + c >= outW) continue;
              let s = 0;
              for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) s += AT[r][i] * P[i * 4 + j] * AT[c][j];
              wino[(b * M + m) * L + (2 * ty + r) * outW + 2 * tx + c] = s;
            }
          }
        }
      }
    }
  }
  return { y, terms, wino };
}

const gamma = (k: number) => (k * U) / (1 - k * U);

/**
 * Every element of `got` within the rounding bound of `base + want`: gamma(k) * scale + u |result|
 * (the final addition to the base), doubled for slack; k and scale from {@link convReference}.
 */
function expectWithin(what: string, got: Float32Array, want: Float64Array, scale: Float64Array, k: number, base?: Float32Array): void {
  for (let i = 0; i < got.length; i++) {
    const w = want[i] + (base ? base[i] : 0);
    const tol = 2 * (gamma(k) * scale[i] + U * Math.abs(w)) + 1e-30;
    if (!(Math.abs(got[i] - w) <= tol)) throw new Error(`${what}[${i}] = ${got[i]}, float64 reference ${w} (|error| ${Math.abs(got[i] - w)}, bound ${tol})`);
  }
}

interface Case {
  C: number; cout: number; H: number; W: number; pad: number; batch: number; withBias: boolean; seed: number;
}

/**
 * Runs conv2dForward and conv2dBackwardData of `t` on `backends` (all with the same `winograd`
 * setting). The first one is checked against the float64 definition, with the Winograd bound for
 * the passes that run Winograd (the backend's `winograd` is on and the kernel has at least
 * WINOGRAD_MIN_CHANNELS input channels: C for the forward pass, cout for the input gradient), else
 * with the direct one; the others must equal it bit for bit. Returns the first backend's results.
 */
function check(t: Case, backends: WasmBackend[]) {
  const fwdWinograd = backends[0].winograd && t.C >= MIN;
  const bwdWinograd = backends[0].winograd && t.cout >= MIN;
  const g = geometry(t.C, t.H, t.W, t.pad);
  const L = g.outH * g.outW;
  const x = values(t.batch * t.C * t.H * t.W, t.seed);
  const w = values(t.cout * t.C * 9, t.seed + 1);
  const dy = values(t.batch * t.cout * L, t.seed + 2);
  const bias = t.withBias ? values(t.cout, t.seed + 3) : null;
  // forward: N = C input channels, M = cout; w[m, n, ky, kx]
  const fwd = convReference(x, t.batch, t.C, t.H, t.W, t.pad, t.cout, (m, n, ky, kx) => w[((m * t.C + n) * 3 + ky) * 3 + kx]);
  const outs = backends.map((b) => {
    const out = values(t.batch * t.cout * L, 7); // overwritten
    b.conv2dForward({ geometry: g, batch: t.batch, cout: t.cout, x, weight: w, bias, out });
    return out;
  });
  const biasPlanes = bias ? Float32Array.from({ length: t.batch * t.cout * L }, (_, i) => bias[Math.floor(i / L) % t.cout]) : undefined;
  if (fwdWinograd) expectWithin("out", outs[0], fwd.y, fwd.wino, t.C + 8, biasPlanes);
  else expectWithin("out", outs[0], fwd.y, fwd.terms, 9 * t.C + 1, biasPlanes);
  for (const o of outs.slice(1)) expect(sameBits(outs[0], o)).toBe(true);
  // input gradient: a convolution of dy (N = cout channels of outH x outW, padding 2 - pad) with
  // the weights transposed and flipped, into M = C channels of H x W
  const bwd = convReference(dy, t.batch, t.cout, g.outH, g.outW, 2 - t.pad, t.C, (m, n, ky, kx) => w[((n * t.C + m) * 3 + 2 - ky) * 3 + 2 - kx]);
  const dx0 = values(t.batch * t.C * t.H * t.W, t.seed + 4); // accumulated into
  const dxs = backends.map((b) => {
    const dx = dx0.slice();
    b.conv2dBackwardData({ geometry: g, batch: t.batch, cout: t.cout, dy, weight: w, dx });
    return dx;
  });
  if (bwdWinograd) expectWithin("dx", dxs[0], bwd.y, bwd.wino, t.cout + 8, dx0);
  else expectWithin("dx", dxs[0], bwd.y, bwd.terms, 9 * t.cout + 1, dx0);
  for (const d of dxs.slice(1)) expect(sameBits(dxs[0], d)).toBe(true);
  return { out: outs[0], dx: dxs[0] };
}

const MIN = WINOGRAD_MIN_CHANNELS;

// Winograd shapes (the forward pass always, the input gradient when cout >= MIN): odd and even
// sizes (partial 2x2 tiles, rows of 8-tile groups that end early), widths up to 3 groups, channel
// counts that are not multiples of 4 (and 1-3 output channels), pads 0..2 (the input gradient's
// padding is 2 - pad), batch 1 (2 threads split rows) to 3 (they split images)
const caseArb = fc
  .record({
    C: fc.integer({ min: MIN, max: 21 }),
    cout: fc.integer({ min: 1, max: 13 }),
    H: fc.integer({ min: 1, max: 26 }),
    W: fc.integer({ min: 1, max: 44 }),
    pad: fc.integer({ min: 0, max: 2 }),
    batch: fc.integer({ min: 1, max: 3 }),
    withBias: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .filter((t) => t.H + 2 * t.pad - 2 >= 1 && t.W + 2 * t.pad - 2 >= 1);

describe.each(["plain", "fma"] as const)("Winograd F(2x2, 3x3) convolutions, %s SIMD build", (build) => {
  it("forward and input gradient match the float64 definition within Winograd's error bound, bit-identical on 1 and 2 threads", () => {
    const { one, two } = builds[build];
    fc.assert(
      fc.property(caseArb, (t) => {
        check(t, [one, two]);
      }),
      { numRuns: 40 },
    );
  });

  it("splits rows (batch < threads, odd heights) and images (batch > threads) with bit-identical results", () => {
    const { one, two } = builds[build];
    for (const t of [
      { C: 16, cout: 16, H: 33, W: 35, pad: 1, batch: 1, withBias: true, seed: 1 }, // 17 tile rows: 18 + 15 output rows
      { C: 20, cout: 9, H: 40, W: 21, pad: 0, batch: 1, withBias: false, seed: 2 }, // outH 38: 19 tile rows
      { C: 9, cout: 20, H: 18, W: 30, pad: 2, batch: 3, withBias: true, seed: 3 },
      { C: 33, cout: 5, H: 16, W: 16, pad: 1, batch: 5, withBias: false, seed: 4 },
    ]) {
      const before = two.stats().parallelGemms;
      check(t, [one, two]);
      // the forward pass and the input gradient were each split across the 2 threads
      expect(two.stats().parallelGemms).toBe(before + 2);
    }
  });

  it("winograd: false runs the direct kernels (correct within the direct bound, other bits than Winograd's)", () => {
    const { one, direct } = builds[build];
    expect(one.winograd).toBe(true);
    expect(direct.winograd).toBe(false);
    expect(direct.name).toMatch(/-nowinograd$/);
    expect(one.name).not.toMatch(/winograd/);
    fc.assert(
      fc.property(caseArb, (t) => {
        const w = check(t, [one]);
        const d = check(t, [direct]);
        // a different kernel: the sums are formed differently, so some bits differ (on a shape big
        // enough for that to be certain)
        if (t.C * t.cout * t.H * t.W >= 4096) {
          expect(sameBits(w.out, d.out)).toBe(false);
          if (t.cout >= MIN) expect(sameBits(w.dx, d.dx)).toBe(false);
        }
      }),
      { numRuns: 15 },
    );
  });

  it(`keeps the direct kernel below ${MIN} input channels and for other kernels (bit-identical to winograd: false)`, () => {
    const { one, direct } = builds[build];
    const run = (b: WasmBackend, g: ConvGeometry, cout: number): [Float32Array, Float32Array] => {
      const L = g.outH * g.outW;
      const x = values(2 * g.channels * g.height * g.width, 5);
      const w = values(cout * g.channels * g.kernelH * g.kernelW, 6);
      const out = new Float32Array(2 * cout * L);
      b.conv2dForward({ geometry: g, batch: 2, cout, x, weight: w, bias: null, out });
      const dx = new Float32Array(x.length);
      b.conv2dBackwardData({ geometry: g, batch: 2, cout, dy: values(out.length, 7), weight: w, dx });
      return [out, dx];
    };
    // [geometry, cout, forward runs direct, input gradient runs direct]
    for (const [g, cout, fwd, bwd] of [
      [geometry(MIN - 1, 20, 20, 1), 16, true, false], [geometry(16, 20, 20, 1), MIN - 1, false, true], [geometry(1, 20, 20, 1), 1, true, true],
      [geometry(8, 20, 20, 2, 5), 8, true, true], [geometry(8, 20, 20, 2, 3, 2), 8, true, true], [geometry(8, 20, 20, 0, 1), 8, true, true],
    ] as const) {
      const [o1, d1] = run(one, g, cout);
      const [o2, d2] = run(direct, g, cout);
      expect(sameBits(o1, o2)).toBe(fwd);
      expect(sameBits(d1, d2)).toBe(bwd);
    }
  });
});

describe("createWasmBackend winograd option", () => {
  it("defaults to true and rejects a non-boolean", async () => {
    const b = await createWasmBackend({ threads: 1 });
    expect(b.winograd).toBe(true);
    b.dispose();
    await expect(createWasmBackend({ threads: 1, winograd: "no" as unknown as boolean })).rejects.toThrow(ArgumentError);
    await expect(createWasmBackend({ threads: 1, winograd: 1 as unknown as boolean })).rejects.toThrow(/createWasmBackend: winograd must be a boolean/);
  });
});
