import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Arena, ArgumentError, ShapeError, Tensor, fromArray, getBackend, slice, withArena } from "@unetkit/tensor";
import {
  BilinearUpsample,
  bilinearUpsampleBackward,
  bilinearUpsampleForward,
  bilinearUpsampleInto,
  bilinearUpsampleBackwardFrom,
  bilinearPlan,
  interpolateOutputSize,
  linearTable,
  type BilinearUpsampleOptions,
} from "./index.js";
import { bits, dot, expectLayerSlices, randomTensor, scalarRelDiff } from "../test/helpers.js";

const sizeOption = fc.oneof(
  fc.integer({ min: 1, max: 4 }).map((s) => ({ scaleFactor: s })),
  fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }))
    .map(([a, b]) => ({ scaleFactor: [a, b] as [number, number] })),
  fc.constantFrom(1.5, 2.5, 1.7, 1.25, 3.3).map((s) => ({ scaleFactor: s })),
  fc.constantFrom(1.5, 2.5, 1.7).map((s) => ({ scaleFactor: s, recomputeScaleFactor: true })),
  fc
    .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }))
    .map(([h, w]) => ({ size: [h, w] as [number, number] })),
);

const options = fc
  .tuple(sizeOption, fc.boolean())
  .map(([o, alignCorners]): BilinearUpsampleOptions => ({ ...o, alignCorners }));

const imageShape = fc.tuple(
  fc.integer({ min: 1, max: 2 }),
  fc.integer({ min: 1, max: 3 }),
  fc.integer({ min: 1, max: 7 }),
  fc.integer({ min: 1, max: 7 }),
);

/**
 * A per-pixel reference written from the definition (not from the tables): PyTorch's source
 * coordinate in float64, then the bilinear blend of the four neighbours.
 */
function referenceBilinear(x: Tensor, outH: number, outW: number, opts: BilinearUpsampleOptions): Tensor {
  const [n, c, h, w] = x.shape;
  const align = opts.alignCorners ?? false;
  const given = opts.size === undefined && !opts.recomputeScaleFactor ? opts.scaleFactor : undefined;
  const [sh, sw] = given === undefined ? [undefined, undefined] : typeof given === "number" ? [given, given] : given;
  const source = (dst: number, inS: number, outS: number, s: number | undefined): number => {
    if (inS === outS) return dst;
    if (align) return outS > 1 ? (dst * (inS - 1)) / (outS - 1) : 0;
    const scale = s !== undefined ? 1 / s : inS / outS;
    return Math.max((dst + 0.5) * scale - 0.5, 0);
  };
  const y = new Tensor("float64", [n, c, outH, outW]);
  for (let p = 0; p < n * c; p++) {
    for (let oy = 0; oy < outH; oy++) {
      const sy = source(oy, h, outH, sh);
      const y0 = Math.min(Math.floor(sy), h - 1);
      const y1 = Math.min(y0 + 1, h - 1);
      const fy = sy - y0;
      for (let ox = 0; ox < outW; ox++) {
        const sx = source(ox, w, outW, sw);
        const x0 = Math.min(Math.floor(sx), w - 1);
        const x1 = Math.min(x0 + 1, w - 1);
        const fx = sx - x0;
        const at = (yy: number, xx: number) => x.data[(p * h + yy) * w + xx];
        y.data[(p * outH + oy) * outW + ox] =
          (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1));
      }
    }
  }
  return y;
}

describe("BilinearUpsample", () => {
  it("matches a per-pixel reference of PyTorch's coordinate rules (float64)", () => {
    fc.assert(
      fc.property(imageShape, options, fc.integer(), ([n, c, h, w], opt, seed) => {
        const x = randomTensor([n, c, h, w], seed);
        const y = bilinearUpsampleForward(x, opt);
        const ref = referenceBilinear(x, y.shape[2], y.shape[3], opt);
        let worst = 0;
        for (let i = 0; i < y.size; i++) worst = Math.max(worst, Math.abs(y.data[i] - ref.data[i]));
        expect(ref.shape).toEqual(y.shape);
        expect(worst).toBeLessThan(1e-12);
      }),
      { numRuns: 150 },
    );
  });

  it("linearTable: half-pixel centres clamped at 0, and corner alignment", () => {
    const t = linearTable(2, 4, false, 2);
    expect(Array.from(t.i0)).toEqual([0, 0, 0, 1]);
    expect(Array.from(t.i1)).toEqual([1, 1, 1, 1]);
    expect(Array.from(t.w1)).toEqual([0, 0.25, 0.75, 0.25]);
    const a = linearTable(3, 5, true);
    expect(Array.from(a.i0)).toEqual([0, 0, 1, 1, 2]);
    expect(Array.from(a.w1)).toEqual([0, 0.5, 0, 0.5, 0]);
    // A single output with alignCorners reads the first input.
    expect(Array.from(linearTable(4, 1, true).i0)).toEqual([0]);
  });

  it("uses 1/scaleFactor (not in/out) when a scale factor is given, in/out otherwise", () => {
    // in 5, factor 1.7 -> out 8; 1/1.7 = 0.588 differs from 5/8 = 0.625
    const given = linearTable(5, 8, false, 1.7);
    const sized = linearTable(5, 8, false);
    expect(given.w1[3]).toBeCloseTo(3.5 / 1.7 - 0.5 - Math.floor(3.5 / 1.7 - 0.5), 6);
    expect(sized.w1[3]).toBeCloseTo(3.5 * 0.625 - 0.5 - Math.floor(3.5 * 0.625 - 0.5), 12);
    const x = randomTensor([1, 1, 5, 5], 3);
    const a = bilinearUpsampleForward(x, { scaleFactor: 1.7 });
    const b = bilinearUpsampleForward(x, { scaleFactor: 1.7, recomputeScaleFactor: true });
    const c = bilinearUpsampleForward(x, { size: 8 });
    expect(a.shape).toEqual([1, 1, 8, 8]);
    expect(b.data).toEqual(c.data);
    expect(a.data).not.toEqual(c.data);
  });

  it("scale 1 (or the input size) is the identity, for both alignCorners settings", () => {
    fc.assert(
      fc.property(imageShape, fc.boolean(), fc.boolean(), fc.integer(), ([n, c, h, w], alignCorners, bySize, seed) => {
        const x = randomTensor([n, c, h, w], seed, "float32");
        const opt = bySize ? { size: [h, w] as [number, number], alignCorners } : { scaleFactor: 1, alignCorners };
        const up = new BilinearUpsample(opt);
        expect(up.forward(x).data).toEqual(x.data);
        expect(up.backward(x).data).toEqual(x.data);
      }),
      { numRuns: 40 },
    );
  });

  it("backward is the adjoint of forward: <up(x), y> = <x, up'(y)> (float64)", () => {
    fc.assert(
      fc.property(imageShape, options, fc.integer(), ([n, c, h, w], opt, seed) => {
        const [oh, ow] = interpolateOutputSize(h, w, opt);
        const x = randomTensor([n, c, h, w], seed);
        const y = randomTensor([n, c, oh, ow], seed + 1);
        const up = new BilinearUpsample(opt);
        const lhs = dot(up.forward(x), y);
        const rhs = dot(x, up.backward(y));
        expect(scalarRelDiff(lhs, rhs)).toBeLessThan(1e-12);
        expect(dot(x, bilinearUpsampleBackward(y, x.shape, opt))).toBeCloseTo(rhs, 10);
      }),
      { numRuns: 120 },
    );
  });

  it("interpolates a ramp exactly with alignCorners (linear functions are reproduced)", () => {
    const x = fromArray([0, 1, 2, 10, 11, 12], { shape: [1, 1, 2, 3], dtype: "float64" });
    const y = bilinearUpsampleForward(x, { size: [3, 5], alignCorners: true });
    expect(y.toArray()).toEqual([0, 0.5, 1, 1.5, 2, 5, 5.5, 6, 6.5, 7, 10, 10.5, 11, 11.5, 12]);
  });

  it("reuses its tables across calls of the same size and rebuilds them for a new size", () => {
    const up = new BilinearUpsample({ scaleFactor: 2 });
    const a = randomTensor([1, 2, 3, 4], 1, "float32");
    const b = randomTensor([2, 1, 5, 2], 2, "float32");
    expect(up.forward(a).data).toEqual(bilinearUpsampleForward(a, { scaleFactor: 2 }).data);
    expect(up.forward(b).data).toEqual(bilinearUpsampleForward(b, { scaleFactor: 2 }).data);
    expect(up.forward(a).data).toEqual(bilinearUpsampleForward(a, { scaleFactor: 2 }).data);
  });

  it("refuses bad options and inputs with typed errors naming the op", () => {
    expect(() => new BilinearUpsample({ alignCorners: true })).toThrow(/either size or scaleFactor/);
    expect(() => new BilinearUpsample({ scaleFactor: 2, alignCorners: 1 as never })).toThrow(ArgumentError);
    expect(() => new BilinearUpsample({ size: [4, 4], recomputeScaleFactor: true })).toThrow(/not meaningful/);
    expect(() => new BilinearUpsample({ scaleFactor: [2] as never })).toThrow(/\[height, width\] pair/);
    expect(() => new BilinearUpsample({ scaleFactor: -1 })).toThrow(/BilinearUpsample: scaleFactor/);
    const up = new BilinearUpsample({ scaleFactor: 2 });
    expect(() => up.forward(new Tensor("float32", [4, 4]))).toThrow(ShapeError);
    up.forward(new Tensor("float32", [1, 2, 3, 3]));
    expect(() => up.backward(new Tensor("float64", [1, 2, 6, 6]))).toThrow(/gradient is float64 but the output is float32/);
    expect(() => bilinearUpsampleBackward(new Tensor("float32", [1, 2, 6, 7]), [1, 2, 3, 3], { scaleFactor: 2 })).toThrow(
      /bilinearUpsampleBackward: gradient has shape \[1,2,6,7\] but the output has shape \[1,2,6,6\]/,
    );
  });
});

/**
 * The loops' bits, from the plan's tables: y = fround(rw0 * (cw0 * x[r0][c0] + cw1 * x[r0][c1]) +
 * rw1 * (cw0 * x[r1][c0] + cw1 * x[r1][c1])) in float64, and the gradient scattered output row by
 * output row onto a float64 row scratch, then onto the input rows, each float32 `+=` rounded.
 */
function tableReference(x: Tensor, dy: Tensor, opts: BilinearUpsampleOptions): { y: Float32Array; dx: Float32Array } {
  const [n, c, inH, inW] = x.shape;
  const { rows, cols, geometry } = bilinearPlan(x.shape, "float32", opts);
  const { outH, outW } = geometry;
  const y = new Float32Array(n * c * outH * outW);
  const dx = new Float32Array(n * c * inH * inW);
  for (let p = 0; p < n * c; p++) {
    const X = (iy: number, ix: number) => x.data[(p * inH + iy) * inW + ix];
    const h = (iy: number, ox: number) => cols.w0[ox] * X(iy, cols.i0[ox]) + cols.w1[ox] * X(iy, cols.i1[ox]);
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        y[(p * outH + oy) * outW + ox] = rows.w0[oy] * h(rows.i0[oy], ox) + rows.w1[oy] * h(rows.i1[oy], ox);
      }
    }
    const t = new Float64Array(inH * outW);
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const v = dy.data[(p * outH + oy) * outW + ox];
        t[rows.i0[oy] * outW + ox] += rows.w0[oy] * v;
        t[rows.i1[oy] * outW + ox] += rows.w1[oy] * v;
      }
    }
    for (let iy = 0; iy < inH; iy++) {
      for (let ox = 0; ox < outW; ox++) {
        const v = t[iy * outW + ox];
        dx[(p * inH + iy) * inW + cols.i0[ox]] += cols.w0[ox] * v;
        dx[(p * inH + iy) * inW + cols.i1[ox]] += cols.w1[ox] * v;
      }
    }
  }
  return { y, dx };
}

describe("bilinear upsampling, float32 bits", () => {

  it("forward and backward give the table loops' bits on the active backend (a kernel of its own included)", () => {
    fc.assert(
      fc.property(imageShape, options, fc.integer({ min: 0, max: 1000 }), (shape, opts, seed) => {
        const x = randomTensor(shape, seed, "float32");
        const y = bilinearUpsampleForward(x, opts);
        const dy = randomTensor(y.shape as number[], seed + 1, "float32");
        const ref = tableReference(x, dy, opts);
        expect(bits(y.data)).toEqual(bits(ref.y));
        expect(bits(bilinearUpsampleBackward(dy, shape, opts).data)).toEqual(bits(ref.dx));
      }),
      { numRuns: 80 },
    );
  });

  it("the same with the operands in the backend's memory (an arena), over several threads' items", () => {
    withArena(new Arena(getBackend()), () => {
      for (const [shape, opts] of [
        [[2, 5, 16, 12], { scaleFactor: 2 }],
        [[3, 4, 9, 7], { size: [20, 5], alignCorners: true }],
      ] as [number[], BilinearUpsampleOptions][]) {
        const x = randomTensor(shape, 3, "float32");
        const up = new BilinearUpsample(opts);
        const y = up.forward(x);
        const dy = randomTensor(y.shape as number[], 4, "float32");
        const ref = tableReference(x, dy, opts);
        expect(bits(y.data)).toEqual(bits(ref.y));
        expect(bits(up.backward(dy).data)).toEqual(bits(ref.dx));
      }
    });
  });

  it("into and from a channel slice: the bits of forward and of backward on a copy; the other channels untouched", () => {
    fc.assert(
      fc.property(imageShape, options, fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.constantFrom("float32", "float64"), fc.integer({ min: 0, max: 1000 }),
        (shape, opts, before, after, dtype, seed) => {
          const x = randomTensor(shape, seed, dtype as "float32" | "float64");
          const y = bilinearUpsampleForward(x, opts);
          const [n, c, oh, ow] = y.shape;
          const out = randomTensor([n, before + c + after, oh, ow], seed + 1, dtype as "float32" | "float64");
          const was = out.clone();
          bilinearUpsampleInto(x, out, before, opts);
          expect(bits(slice(out, 1, before, before + c).data)).toEqual(bits(y.data));
          expect(bits(slice(out, 1, 0, before).data)).toEqual(bits(slice(was, 1, 0, before).data));
          expect(bits(slice(out, 1, before + c).data)).toEqual(bits(slice(was, 1, before + c).data));
          const want = bilinearUpsampleBackward(slice(was, 1, before, before + c), shape, opts);
          expect(bits(bilinearUpsampleBackwardFrom(was, before, shape, opts).data)).toEqual(bits(want.data));
        }),
      { numRuns: 60 },
    );
  });

  it("the layer's forwardInto and backwardFrom, in an arena too, and their checks", () => {
    const up = new BilinearUpsample({ scaleFactor: 2 });
    expectLayerSlices(up);
    const x = randomTensor([2, 3, 5, 4], 7, "float32");
    const dOut = randomTensor([2, 5, 10, 8], 8, "float32");
    expect(() => up.forwardInto(x, new Tensor("float32", [2, 4, 10, 8]), 2)).toThrow(
      /BilinearUpsample.forwardInto: channels 2..5 do not fit in the 4 channels of out \(channelOffset 2\) \(out \[2,4,10,8\], upsampled map \[2,3,10,8\]\)/,
    );
    up.forward(x);
    expect(() => up.backwardFrom(new Tensor("float64", [2, 3, 10, 8]), 0)).toThrow(/gradient is float64 but the upsampled map is float32/);
    expect(() => bilinearUpsampleInto(x, new Tensor("float32", [2, 3, 10, 9]), 0, { scaleFactor: 2 })).toThrow(ShapeError);
    expect(() => bilinearUpsampleBackwardFrom(dOut, 0, [2, 3, 5], { scaleFactor: 2 })).toThrow(/inputShape must be 4-D/);
  });
});
