import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Rng, Tensor, randn } from "@unetkit/tensor";
import { assertLayerGradcheck } from "@unetkit/testing";
import { GlobalAvgPool2D, globalAvgPool2dForward } from "./global-avg-pool2d.js";

describe("GlobalAvgPool2D", () => {
  it("is the plane mean ([N, C, 1, 1]) and its backward matches central differences", () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
        fc.integer({ min: 0, max: 1000 }),
        ([n, c, h, w], seed) => {
          const x = randn([n, c, h, w], new Rng(seed), { dtype: "float64" });
          const y = globalAvgPool2dForward(x);
          expect(y.shape).toEqual([n, c, 1, 1]);
          for (let p = 0; p < n * c; p++) {
            let s = 0;
            for (let i = 0; i < h * w; i++) s += x.data[p * h * w + i];
            expect(y.data[p]).toBeCloseTo(s / (h * w), 12);
          }
          assertLayerGradcheck(new GlobalAvgPool2D(), x, { seed });
        },
      ),
      { numRuns: 20 },
    );
  });

  it("refuses a wrong rank and backward without forward", () => {
    const pool = new GlobalAvgPool2D();
    expect(() => pool.forward(new Tensor("float32", [2, 3]))).toThrow("GlobalAvgPool2D: input must be 4-D NCHW (got [2,3])");
    expect(() => pool.backward(new Tensor("float32", [1, 1, 1, 1]))).toThrow(/GlobalAvgPool2D: backward called without a matching forward/);
    pool.forward(new Tensor("float32", [2, 3, 4, 4]));
    expect(() => pool.backward(new Tensor("float32", [2, 3, 4, 4]))).toThrow(/gradient has shape \[2,3,4,4\] but the forward output was \[2,3,1,1\]/);
  });
});
