// Brute-force references for the im2col tests: nested loops straight from the definitions.
import type { ConvGeometry, DType, Tensor } from "@unetkit/tensor";
import { Rng, randn } from "@unetkit/tensor";
import fc from "fast-check";

/** A random window over a random NCHW input that always fits (output size >= 1). */
export interface Case {
  shape: [number, number, number, number];
  kernelSize: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  dtype: DType;
  seed: number;
}

export const caseArb = (opts: { maxBatch?: number; maxChannels?: number; maxExtra?: number } = {}) =>
  fc
    .record({
      n: fc.integer({ min: 1, max: opts.maxBatch ?? 3 }),
      c: fc.integer({ min: 1, max: opts.maxChannels ?? 4 }),
      kh: fc.integer({ min: 1, max: 4 }),
      kw: fc.integer({ min: 1, max: 4 }),
      sh: fc.integer({ min: 1, max: 3 }),
      sw: fc.integer({ min: 1, max: 3 }),
      ph: fc.integer({ min: 0, max: 3 }),
      pw: fc.integer({ min: 0, max: 3 }),
      dh: fc.integer({ min: 1, max: 3 }),
      dw: fc.integer({ min: 1, max: 3 }),
      extraH: fc.integer({ min: 0, max: opts.maxExtra ?? 7 }),
      extraW: fc.integer({ min: 0, max: opts.maxExtra ?? 7 }),
      dtype: fc.constantFrom<DType>("float32", "float64"),
      seed: fc.integer({ min: 0, max: 2 ** 30 }),
    })
    .map((r): Case => {
      const extentH = r.dh * (r.kh - 1) + 1;
      const extentW = r.dw * (r.kw - 1) + 1;
      const h = Math.max(1, extentH - 2 * r.ph) + r.extraH;
      const w = Math.max(1, extentW - 2 * r.pw) + r.extraW;
      return {
        shape: [r.n, r.c, h, w],
        kernelSize: [r.kh, r.kw],
        stride: [r.sh, r.sw],
        padding: [r.ph, r.pw],
        dilation: [r.dh, r.dw],
        dtype: r.dtype,
        seed: r.seed,
      };
    });

export const optionsOf = (c: Case) => ({
  kernelSize: c.kernelSize,
  stride: c.stride,
  padding: c.padding,
  dilation: c.dilation,
});

export function randomTensor(shape: number[], dtype: DType, rng: Rng): Tensor {
  return randn(shape, rng, { dtype });
}

/** Input position (iy, ix) read by column-matrix entry (i, j, oy, ox), or null in the padding. */
export function source(g: ConvGeometry, i: number, j: number, oy: number, ox: number): [number, number] | null {
  const iy = oy * g.strideH - g.padH + i * g.dilationH;
  const ix = ox * g.strideW - g.padW + j * g.dilationW;
  if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) return null;
  return [iy, ix];
}

/** im2col by the definition, one element at a time, into a plain array. */
export function naiveIm2col(x: Tensor, g: ConvGeometry): number[] {
  const [n] = x.shape;
  const { channels: C, height: H, width: W, kernelH: kh, kernelW: kw, outH, outW } = g;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let oy = 0; oy < outH; oy++)
            for (let ox = 0; ox < outW; ox++) {
              const p = source(g, i, j, oy, ox);
              out.push(p ? x.data[((b * C + c) * H + p[0]) * W + p[1]] : 0);
            }
  return out;
}

/** Direct convolution (cross-correlation, as PyTorch) with nested loops, accumulated in float64. */
export function directConv(x: Tensor, w: Tensor, g: ConvGeometry): Float64Array {
  const [n] = x.shape;
  const cout = w.shape[0];
  const { channels: C, height: H, width: W, kernelH: kh, kernelW: kw, outH, outW } = g;
  const y = new Float64Array(n * cout * outH * outW);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < cout; o++)
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          let s = 0;
          for (let c = 0; c < C; c++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const p = source(g, i, j, oy, ox);
                if (p) s += w.data[((o * C + c) * kh + i) * kw + j] * x.data[((b * C + c) * H + p[0]) * W + p[1]];
              }
          y[((b * cout + o) * outH + oy) * outW + ox] = s;
        }
  return y;
}

/** Gradients of the direct convolution for upstream dy: dx and dw, by nested loops in float64. */
export function directConvBackward(
  x: Tensor,
  w: Tensor,
  dy: Tensor,
  g: ConvGeometry,
): { dx: Float64Array; dw: Float64Array } {
  const [n] = x.shape;
  const cout = w.shape[0];
  const { channels: C, height: H, width: W, kernelH: kh, kernelW: kw, outH, outW } = g;
  const dx = new Float64Array(x.size);
  const dw = new Float64Array(w.size);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < cout; o++)
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          const d = dy.data[((b * cout + o) * outH + oy) * outW + ox];
          for (let c = 0; c < C; c++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const p = source(g, i, j, oy, ox);
                if (!p) continue;
                const xi = ((b * C + c) * H + p[0]) * W + p[1];
                const wi = ((o * C + c) * kh + i) * kw + j;
                dx[xi] += w.data[wi] * d;
                dw[wi] += x.data[xi] * d;
              }
        }
  return { dx, dw };
}

/** Max |a - e| / (scale), scale = max(1, max |e|): a rounding-level comparison. */
export function maxScaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst / scale;
}

export const tolerance = (dtype: DType) => (dtype === "float64" ? 1e-12 : 1e-5);

/**
 * col2im by the definition: scatter-add each column-matrix entry into a typed array of the image's
 * dtype in (c, i, j, oy, ox) order, so float32 sums are rounded after each addition.
 */
export function naiveCol2imAccumulate(cols: ArrayLike<number>, image: Float32Array | Float64Array, g: ConvGeometry): void {
  const { channels: C, height: H, width: W, kernelH: kh, kernelW: kw, outH, outW } = g;
  let k = 0;
  for (let c = 0; c < C; c++)
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let oy = 0; oy < outH; oy++)
          for (let ox = 0; ox < outW; ox++, k++) {
            const p = source(g, i, j, oy, ox);
            if (p) image[(c * H + p[0]) * W + p[1]] += cols[k];
          }
}
