import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Rng, Tensor, randn } from "@unetkit/tensor";
import { assertLayerGradcheck } from "@unetkit/testing";
import { Flatten } from "./flatten.js";

describe("Flatten", () => {
  it("merges dims 1.. by default, shares data, and its backward restores the shape", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 5 }), fc.integer({ min: 0, max: 100 }), (shape, seed) => {
        const x = randn(shape, new Rng(seed), { dtype: "float64" });
        const f = new Flatten();
        const y = f.forward(x);
        expect(y.shape).toEqual([shape[0], shape.slice(1).reduce((a, b) => a * b, 1)]);
        expect(y.data).toBe(x.data);
        assertLayerGradcheck(new Flatten(), x, { seed });
      }),
      { numRuns: 15 },
    );
  });

  it("supports other start and end dims as torch.nn.Flatten", () => {
    const x = new Tensor("float32", [2, 3, 4, 5]);
    expect(new Flatten(0).forward(x).shape).toEqual([120]);
    expect(new Flatten(1, 2).forward(x).shape).toEqual([2, 12, 5]);
    expect(new Flatten(-2).forward(x).shape).toEqual([2, 3, 20]);
  });

  it("refuses dims out of range and backward without forward", () => {
    expect(() => new Flatten(3).forward(new Tensor("float32", [2, 3]))).toThrow("Flatten: cannot flatten dims 3..-1 of input [2,3]");
    expect(() => new Flatten(1.5)).toThrow(/Flatten: startDim must be an integer/);
    const f = new Flatten();
    expect(() => f.backward(new Tensor("float32", [2, 3]))).toThrow(/Flatten: backward called without a matching forward/);
    f.forward(new Tensor("float32", [2, 3, 2]));
    expect(() => f.backward(new Tensor("float32", [2, 3, 2]))).toThrow(/Flatten.backward: gradient has shape \[2,3,2\] but the forward output was \[2,6\]/);
  });
});
