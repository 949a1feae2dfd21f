import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, Rng, ShapeError, Tensor } from "@unetkit/tensor";
import { assertLayerGradcheck } from "@unetkit/testing";
import { expectMatches, intsOf, layerFixture, tensorOf } from "../test/fixture-helpers.js";
import { MaxPool2D, maxPool2dBackward, maxPool2dForward } from "./max-pool2d.js";
import { poolOutputSize } from "./pool-geometry.js";

/** Distinct values 0.01 apart in random order (no ties, so the arg-max is stable under eps). */
function distinct(shape: number[], rng: Rng): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const perm = rng.permutation(n);
  return new Tensor("float64", shape, Float64Array.from(perm, (v) => (v - n / 2) * 0.01));
}

const poolArb = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 1, max: 8 }),
    w: fc.integer({ min: 1, max: 8 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 3 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    padH: fc.integer({ min: 0, max: 2 }),
    padW: fc.integer({ min: 0, max: 1 }),
    dil: fc.integer({ min: 1, max: 2 }),
    ceil: fc.boolean(),
    seed: fc.integer({ min: 0, max: 10_000 }),
  })
  .map((g) => ({ ...g, padH: Math.min(g.padH, Math.floor(g.kh / 2)), padW: Math.min(g.padW, Math.floor(g.kw / 2)) }))
  .filter(
    (g) =>
      poolOutputSize(g.h, g.kh, g.sh, g.padH, g.dil, g.ceil) >= 1 && poolOutputSize(g.w, g.kw, g.sw, g.padW, g.dil, g.ceil) >= 1,
  );

/** True when every window along an axis holds at least one input position (else its max is -inf). */
function everyWindowHitsInput(size: number, k: number, s: number, p: number, d: number, ceil: boolean): boolean {
  const out = poolOutputSize(size, k, s, p, d, ceil);
  for (let o = 0; o < out; o++) {
    let hit = false;
    for (let i = 0; i < k; i++) {
      const at = o * s - p + i * d;
      if (at >= 0 && at < size) hit = true;
    }
    if (!hit) return false;
  }
  return true;
}

/** The definition: each output is the max over its window's in-bounds taps (padding = -inf). */
function naiveMax(x: Tensor, g: { kh: number; kw: number; sh: number; sw: number; padH: number; padW: number; dil: number; ceil: boolean }): number[] {
  const [n, c, h, w] = x.shape;
  const oh = poolOutputSize(h, g.kh, g.sh, g.padH, g.dil, g.ceil);
  const ow = poolOutputSize(w, g.kw, g.sw, g.padW, g.dil, g.ceil);
  const out: number[] = [];
  for (let p = 0; p < n * c; p++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        let m = -Infinity;
        for (let i = 0; i < g.kh; i++)
          for (let j = 0; j < g.kw; j++) {
            const iy = oy * g.sh - g.padH + i * g.dil;
            const ix = ox * g.sw - g.padW + j * g.dil;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) m = Math.max(m, x.data[(p * h + iy) * w + ix]);
          }
        out.push(m);
      }
  return out;
}

describe("MaxPool2D", () => {
  it("forward is the window maximum for every kernel/stride/padding/dilation/ceil combination", () => {
    fc.assert(
      fc.property(poolArb, (g) => {
        const x = distinct([g.n, g.c, g.h, g.w], new Rng(g.seed));
        const { output } = maxPool2dForward(x, [g.kh, g.kw], { stride: [g.sh, g.sw], padding: [g.padH, g.padW], dilation: g.dil, ceilMode: g.ceil });
        expect(output.toArray()).toEqual(naiveMax(x, g));
      }),
      { numRuns: 80 },
    );
  });

  it("backward matches float64 central differences, overlapping windows included", () => {
    // Windows made only of padding give -Infinity (as PyTorch), where differences are undefined.
    const finite = poolArb.filter(
      (g) =>
        everyWindowHitsInput(g.h, g.kh, g.sh, g.padH, g.dil, g.ceil) && everyWindowHitsInput(g.w, g.kw, g.sw, g.padW, g.dil, g.ceil),
    );
    fc.assert(
      fc.property(finite, (g) => {
        const x = distinct([g.n, g.c, g.h, g.w], new Rng(g.seed));
        const pool = new MaxPool2D([g.kh, g.kw], { stride: [g.sh, g.sw], padding: [g.padH, g.padW], dilation: g.dil, ceilMode: g.ceil });
        assertLayerGradcheck(pool, x, { seed: g.seed });
      }),
      { numRuns: 25 },
    );
  });

  it("accumulates the gradient of a maximum shared by overlapping windows (stride < kernel)", () => {
    // 1x1x1x4 input [0, 9, 1, 2], kernel 3 stride 1: both windows pick index 1.
    const x = new Tensor("float32", [1, 1, 1, 4], new Float32Array([0, 9, 1, 2]));
    const pool = new MaxPool2D([1, 3], { stride: 1 });
    expect(pool.forward(x).toArray()).toEqual([9, 9]);
    expect(pool.backward(new Tensor("float32", [1, 1, 1, 2], new Float32Array([1, 10]))).toArray()).toEqual([0, 11, 0, 0]);
  });

  it("2x2 stride 2 (the fast path) keeps the scan rule: first maximum on ties, last NaN wins, -0/-Infinity, odd sizes", () => {
    const values = [0, -0, 1, -1, 2, NaN, -Infinity, Infinity];
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 7 }),
        fc.integer({ min: 2, max: 7 }),
        fc.constantFrom("float32" as const, "float64" as const),
        fc.integer({ min: 0, max: 10_000 }),
        (h, w, dtype, seed) => {
          const rng = new Rng(seed);
          const x = new Tensor(dtype, [2, 1, h, w]);
          for (let i = 0; i < x.size; i++) x.data[i] = values[rng.int(0, values.length)];
          const { output, indices } = maxPool2dForward(x, 2);
          const oh = Math.floor(h / 2);
          const ow = Math.floor(w / 2);
          expect(output.shape).toEqual([2, 1, oh, ow]);
          for (let p = 0; p < 2; p++)
            for (let oy = 0; oy < oh; oy++)
              for (let ox = 0; ox < ow; ox++) {
                let best = -Infinity;
                let at = 2 * oy * w + 2 * ox;
                for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
                  const k = (2 * oy + dy) * w + 2 * ox + dx;
                  const v = x.data[p * h * w + k];
                  if (v > best || Number.isNaN(v)) {
                    best = v;
                    at = k;
                  }
                }
                const o = (p * oh + oy) * ow + ox;
                expect(Object.is(output.data[o], best)).toBe(true);
                expect(indices[o]).toBe(at);
              }
        },
      ),
      { numRuns: 80 },
    );
  });

  it("routes to the first maximum on ties and never to the padding", () => {
    const x = new Tensor("float32", [1, 1, 2, 2], new Float32Array([-5, -5, -5, -5]));
    const { output, indices } = maxPool2dForward(x, 2, { stride: 1, padding: 1 });
    expect(output.toArray()).toEqual([-5, -5, -5, -5, -5, -5, -5, -5, -5]);
    expect(Array.from(indices)).toEqual([0, 0, 1, 0, 0, 1, 2, 2, 3]);
    const dx = maxPool2dBackward(new Tensor("float32", [1, 1, 3, 3]).fill(1), indices, x.shape);
    expect(dx.toArray()).toEqual([4, 2, 2, 1]);
  });

  it("gives -Infinity and no gradient for a window made only of padding (dilated), as PyTorch", () => {
    const x = new Tensor("float32", [1, 1, 1, 1], new Float32Array([3]));
    const pool = new MaxPool2D([2, 1], { stride: 1, padding: [1, 0], dilation: 2 });
    expect(pool.forward(x).toArray()).toEqual([-Infinity]);
    expect(pool.backward(new Tensor("float32", [1, 1, 1, 1]).fill(1)).toArray()).toEqual([0]);
  });

  for (const name of ["k2", "overlap", "overlap_s1", "rect", "ceil", "dilation"]) {
    it(`matches torch.nn.MaxPool2d values, indices and gradient (${name})`, () => {
      const fx = layerFixture(`layer-maxpool2d-${name}`);
      const m = fx.meta as { k: number | [number, number]; stride: number | [number, number] | null; padding: number | [number, number]; dilation: number; ceil_mode: boolean };
      const pool = new MaxPool2D(m.k, { stride: m.stride, padding: m.padding, dilation: m.dilation, ceilMode: m.ceil_mode });
      const x = tensorOf(fx, "x");
      expectMatches(pool.forward(x), tensorOf(fx, "y"), `${name} y`);
      expectMatches(pool.backward(tensorOf(fx, "dy")), tensorOf(fx, "dx"), `${name} dx`);
      const { indices } = maxPool2dForward(x, m.k, { stride: m.stride, padding: m.padding, dilation: m.dilation, ceilMode: m.ceil_mode });
      expect(Array.from(indices)).toEqual(intsOf(fx, "indices").toArray());
    });
  }

  it("refuses bad sizes, padding over half the kernel, small inputs and a wrong rank", () => {
    expect(() => new MaxPool2D(0)).toThrow(ArgumentError);
    expect(() => new MaxPool2D(2.5)).toThrow(/MaxPool2D: kernelSize must be a positive integer/);
    expect(() => new MaxPool2D(2, { stride: 0 })).toThrow(/MaxPool2D: stride/);
    expect(() => new MaxPool2D(3, { padding: 2 })).toThrow(/MaxPool2D: padding should be at most half of the kernel size \(kernel \[3,3\], padding \[2,2\]\)/);
    const pool = new MaxPool2D(3);
    expect(() => pool.forward(new Tensor("float32", [1, 1, 2, 5]))).toThrow(ShapeError);
    expect(() => pool.forward(new Tensor("float32", [1, 1, 2, 5]))).toThrow(/MaxPool2D: kernel larger than the padded input: input \[1,1,2,5\]/);
    expect(() => pool.forward(new Tensor("float32", [1, 5, 5]))).toThrow("MaxPool2D: input must be 4-D NCHW (got [1,5,5])");
    expect(() => pool.backward(new Tensor("float32", [1, 1, 1, 1]))).toThrow(/MaxPool2D: backward called without a matching forward/);
    pool.forward(new Tensor("float32", [1, 1, 6, 6]));
    expect(() => pool.backward(new Tensor("float32", [1, 1, 3, 3]))).toThrow(/gradient has shape \[1,1,3,3\] but the forward output was \[1,1,2,2\]/);
  });
});
