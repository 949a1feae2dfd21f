import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Rng, Tensor, randn } from "@unetkit/tensor";
import { assertLayerGradcheck } from "@unetkit/testing";
import { smallShape } from "../test/away-from-zero.js";
import { expectMatches, layerFixture, tensorOf } from "../test/fixture-helpers.js";
import { Sigmoid } from "./sigmoid.js";

describe("Sigmoid", () => {
  it("backward matches float64 central differences over random shapes", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: smallShape.min, max: smallShape.max }), smallShape), fc.integer({ min: 0, max: 10_000 }), (shape, seed) => {
        assertLayerGradcheck(new Sigmoid(), randn(shape, new Rng(seed), { dtype: "float64", std: 3 }), { seed });
      }),
      { numRuns: 25 },
    );
  });

  it("matches torch.nn.Sigmoid forward and backward", () => {
    const fx = layerFixture("layer-sigmoid");
    const s = new Sigmoid();
    expectMatches(s.forward(tensorOf(fx, "x")), tensorOf(fx, "y"), "y");
    expectMatches(s.backward(tensorOf(fx, "dy")), tensorOf(fx, "dx"), "dx");
  });

  it("is finite and saturates for huge inputs", () => {
    const y = new Sigmoid().forward(new Tensor("float32", [3], new Float32Array([-1e4, 0, 1e4]))).toArray();
    expect(y).toEqual([0, 0.5, 1]);
  });

  it("refuses backward without forward and a wrong gradient shape", () => {
    const s = new Sigmoid();
    expect(() => s.backward(new Tensor("float32", [2]))).toThrow(/^Sigmoid: backward called without a matching forward/);
    s.forward(new Tensor("float32", [2]));
    expect(() => s.backward(new Tensor("float64", [2]))).toThrow("Sigmoid.backward: gradient is float64 but the forward output was float32");
  });
});
