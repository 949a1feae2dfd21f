import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, Rng, ShapeError, Tensor, randn } from "@unetkit/tensor";
import { assertLayerGradcheck } from "@unetkit/testing";
import { expectMatches, layerFixture, tensorOf } from "../test/fixture-helpers.js";
import { Linear } from "./linear.js";

describe("Linear", () => {
  it("backward matches float64 central differences, with and without bias, any leading dims", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        (lead, inF, outF, bias, seed) => {
          const rng = new Rng(seed);
          const fcl = new Linear(inF, outF, { bias, dtype: "float64", rng });
          const x = randn([...lead, inF], rng, { dtype: "float64" });
          assertLayerGradcheck(fcl, x, { seed });
          expect(fcl.forward(x).shape).toEqual([...lead, outF]);
        },
      ),
      { numRuns: 20 },
    );
  });

  it("matches torch.nn.Linear forward and backward", () => {
    const fx = layerFixture("layer-linear");
    const fcl = new Linear(5, 3, { rng: new Rng(0) });
    fcl.loadStateDict({ weight: tensorOf(fx, "weight"), bias: tensorOf(fx, "bias") });
    expectMatches(fcl.forward(tensorOf(fx, "x")), tensorOf(fx, "y"), "y");
    expectMatches(fcl.backward(tensorOf(fx, "dy")), tensorOf(fx, "dx"), "dx");
    expectMatches(fcl.weight.grad, tensorOf(fx, "dweight"), "dweight");
    expectMatches(fcl.bias!.grad, tensorOf(fx, "dbias"), "dbias");
  });

  it("initialises as PyTorch: U(-1/sqrt(in), 1/sqrt(in)), reproducible from the seed", () => {
    const a = new Linear(16, 8, { rng: new Rng(1) });
    const b = new Linear(16, 8, { rng: new Rng(1) });
    expect(a.weight.value.toArray()).toEqual(b.weight.value.toArray());
    expect(a.weight.value.shape).toEqual([8, 16]);
    for (const v of [...a.weight.value.data, ...a.bias!.value.data]) expect(Math.abs(v)).toBeLessThanOrEqual(0.25);
    expect(Object.keys(a.stateDict())).toEqual(["weight", "bias"]);
  });

  it("refuses bad sizes and mismatched features with the layer name and shapes", () => {
    expect(() => new Linear(0, 3)).toThrow(ArgumentError);
    expect(() => new Linear(3, 1.5)).toThrow(/Linear: outFeatures must be a positive integer \(got 1.5\)/);
    const fcl = new Linear(4, 2);
    expect(() => fcl.forward(new Tensor("float32", [3, 5]))).toThrow(ShapeError);
    expect(() => fcl.forward(new Tensor("float32", [3, 5]))).toThrow(
      "Linear: input has 5 features in its last dimension, the layer expects 4 (input [3,5], weight [2,4])",
    );
    expect(() => fcl.backward(new Tensor("float32", [3, 2]))).toThrow(/Linear: backward called without a matching forward/);
    fcl.forward(new Tensor("float32", [3, 4]));
    expect(() => fcl.backward(new Tensor("float32", [2, 2]))).toThrow(/Linear.backward: gradient float32 \[2,2\] does not match the output float32 \[3,2\]/);
  });
});
