import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, Rng, ShapeError, Tensor, randn } from "@unetkit/tensor";
import { assertLayerGradcheck } from "@unetkit/testing";
import { expectMatches, layerFixture, tensorOf } from "../test/fixture-helpers.js";
import { AvgPool2D, avgPool2dBackward, avgPool2dForward } from "./avg-pool2d.js";
import { poolOutputSize } from "./pool-geometry.js";

const poolArb = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 1, max: 7 }),
    w: fc.integer({ min: 1, max: 7 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 3 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 2 }),
    padH: fc.integer({ min: 0, max: 2 }),
    padW: fc.integer({ min: 0, max: 1 }),
    ceil: fc.boolean(),
    include: fc.boolean(),
    seed: fc.integer({ min: 0, max: 10_000 }),
  })
  .map((g) => ({ ...g, padH: Math.min(g.padH, Math.floor(g.kh / 2)), padW: Math.min(g.padW, Math.floor(g.kw / 2)) }))
  .filter(
    (g) => poolOutputSize(g.h, g.kh, g.sh, g.padH, 1, g.ceil) >= 1 && poolOutputSize(g.w, g.kw, g.sw, g.padW, 1, g.ceil) >= 1,
  );

describe("AvgPool2D", () => {
  it("backward matches float64 central differences (padding, ceil mode, both divisor rules)", () => {
    fc.assert(
      fc.property(poolArb, (g) => {
        const x = randn([g.n, g.c, g.h, g.w], new Rng(g.seed), { dtype: "float64" });
        const pool = new AvgPool2D([g.kh, g.kw], { stride: [g.sh, g.sw], padding: [g.padH, g.padW], ceilMode: g.ceil, countIncludePad: g.include });
        assertLayerGradcheck(pool, x, { seed: g.seed });
      }),
      { numRuns: 25 },
    );
  });

  it("forward of a constant input is that constant when padding is excluded from the divisor", () => {
    fc.assert(
      fc.property(poolArb, (g) => {
        const x = new Tensor("float64", [g.n, g.c, g.h, g.w]).fill(3);
        const y = avgPool2dForward(x, [g.kh, g.kw], { stride: [g.sh, g.sw], padding: [g.padH, g.padW], ceilMode: g.ceil, countIncludePad: false });
        for (const v of y.data) expect(v).toBeCloseTo(3, 12);
      }),
      { numRuns: 40 },
    );
  });

  it("counts padded positions in the divisor by default", () => {
    const x = new Tensor("float32", [1, 1, 2, 2]).fill(4);
    expect(avgPool2dForward(x, 2, { stride: 1, padding: 1 }).toArray()).toEqual([1, 2, 1, 2, 4, 2, 1, 2, 1]);
    expect(avgPool2dForward(x, 2, { stride: 1, padding: 1, divisorOverride: 2 }).toArray()).toEqual([2, 4, 2, 4, 8, 4, 2, 4, 2]);
    const dx = avgPool2dBackward(new Tensor("float32", [1, 1, 1, 1]).fill(1), [1, 1, 2, 2], 2);
    expect(dx.toArray()).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  for (const name of ["k2", "pad_include", "pad_exclude", "rect_ceil"]) {
    it(`matches torch.nn.AvgPool2d forward and backward (${name})`, () => {
      const fx = layerFixture(`layer-avgpool2d-${name}`);
      const m = fx.meta as { k: number | [number, number]; stride: number | [number, number] | null; padding: number | [number, number]; ceil_mode: boolean; count_include_pad: boolean };
      const pool = new AvgPool2D(m.k, { stride: m.stride, padding: m.padding, ceilMode: m.ceil_mode, countIncludePad: m.count_include_pad });
      expectMatches(pool.forward(tensorOf(fx, "x")), tensorOf(fx, "y"), `${name} y`);
      expectMatches(pool.backward(tensorOf(fx, "dy")), tensorOf(fx, "dx"), `${name} dx`);
    });
  }

  it("refuses bad options and inputs with the layer name", () => {
    expect(() => new AvgPool2D(-1)).toThrow(ArgumentError);
    expect(() => new AvgPool2D(2, { padding: 2 })).toThrow(/AvgPool2D: padding should be at most half/);
    expect(() => new AvgPool2D(2, { divisorOverride: 0 })).toThrow(/AvgPool2D: divisorOverride/);
    const pool = new AvgPool2D(4);
    expect(() => pool.forward(new Tensor("float32", [1, 1, 3, 8]))).toThrow(ShapeError);
    expect(() => pool.forward(new Tensor("float32", [8, 8]))).toThrow("AvgPool2D: input must be 4-D NCHW (got [8,8])");
    expect(() => pool.backward(new Tensor("float32", [1, 1, 1, 1]))).toThrow(/AvgPool2D: backward called without a matching forward/);
    expect(() => avgPool2dBackward(new Tensor("float32", [1, 1, 2, 2]), [1, 1, 4, 4], 4)).toThrow(
      "AvgPool2D.backward: gradient has shape [1,1,2,2] but input [1,1,4,4] gives output [1,1,1,1]",
    );
  });
});
