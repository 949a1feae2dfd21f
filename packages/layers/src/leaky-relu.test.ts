import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Rng, Tensor } from "@unetkit/tensor";
import { assertLayerGradcheck } from "@unetkit/testing";
import { awayFromZero, smallShape } from "../test/away-from-zero.js";
import { expectMatches, layerFixture, tensorOf } from "../test/fixture-helpers.js";
import { LeakyReLU } from "./leaky-relu.js";

describe("LeakyReLU", () => {
  it("backward matches float64 central differences over random shapes and slopes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: smallShape.min, max: smallShape.max }), smallShape),
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        fc.integer({ min: 0, max: 10_000 }),
        (shape, slope, seed) => {
          assertLayerGradcheck(new LeakyReLU(slope), awayFromZero(shape, new Rng(seed)), { seed });
        },
      ),
      { numRuns: 25 },
    );
  });

  it("matches torch.nn.LeakyReLU(0.2) forward and backward", () => {
    const fx = layerFixture("layer-leaky_relu");
    const act = new LeakyReLU(0.2);
    expectMatches(act.forward(tensorOf(fx, "x")), tensorOf(fx, "y"), "y");
    expectMatches(act.backward(tensorOf(fx, "dy")), tensorOf(fx, "dx"), "dx");
  });

  it("applies the slope at 0 and below; default slope 0.01", () => {
    const act = new LeakyReLU(0.1);
    const y = act.forward(new Tensor("float64", [3], new Float64Array([-2, 0, 3]))).toArray();
    expect(y[0]).toBeCloseTo(-0.2, 15);
    expect(y.slice(1)).toEqual([0, 3]);
    expect(act.backward(new Tensor("float64", [3], new Float64Array([1, 1, 1]))).toArray()).toEqual([0.1, 0.1, 1]);
    expect(new LeakyReLU().negativeSlope).toBe(0.01);
  });

  it("refuses a non-finite slope, backward without forward and a wrong gradient shape", () => {
    expect(() => new LeakyReLU(Number.NaN)).toThrow(/LeakyReLU: negativeSlope must be a finite number/);
    const act = new LeakyReLU();
    expect(() => act.backward(new Tensor("float32", [2]))).toThrow(/^LeakyReLU: backward called without a matching forward/);
    act.forward(new Tensor("float32", [2]));
    expect(() => act.backward(new Tensor("float32", [3]))).toThrow("LeakyReLU.backward: gradient has shape [3] but the forward output was [2]");
  });
});
