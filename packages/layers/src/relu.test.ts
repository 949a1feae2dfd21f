import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Rng, Tensor, randn, type Shape } from "@unetkit/tensor";
import { assertLayerGradcheck } from "@unetkit/testing";
import { expectMatches, layerFixture, tensorOf } from "../test/fixture-helpers.js";
import { LeakyReLU } from "./leaky-relu.js";
import { ReLU, reluForward } from "./relu.js";
import { Sigmoid } from "./sigmoid.js";

/** Random float64 values kept at least 0.05 away from 0 (the kink of ReLU and LeakyReLU). */
export function awayFromZero(shape: Shape, rng: Rng): Tensor {
  const x = randn(shape, rng, { dtype: "float64" });
  for (let i = 0; i < x.size; i++) x.data[i] += x.data[i] >= 0 ? 0.05 : -0.05;
  return x;
}

const shapeArb = fc.record({
  shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
  seed: fc.integer({ min: 0, max: 10_000 }),
});

describe("activations: backward matches float64 central differences", () => {
  it("ReLU, LeakyReLU (several slopes) and Sigmoid over random shapes", () => {
    fc.assert(
      fc.property(shapeArb, fc.double({ min: -0.5, max: 0.5, noNaN: true }), ({ shape, seed }, slope) => {
        const rng = new Rng(seed);
        const x = awayFromZero(shape, rng);
        assertLayerGradcheck(new ReLU(), x, { seed });
        assertLayerGradcheck(new LeakyReLU(slope), x, { seed });
        assertLayerGradcheck(new Sigmoid(), x.clone(), { seed });
      }),
      { numRuns: 25 },
    );
  });
});

describe("activations against PyTorch", () => {
  for (const [name, make] of [
    ["relu", () => new ReLU()],
    ["leaky_relu", () => new LeakyReLU(0.2)],
    ["sigmoid", () => new Sigmoid()],
  ] as const) {
    it(`${name} matches torch forward and backward`, () => {
      const fx = layerFixture(`layer-${name}`);
      const layer = make();
      expectMatches(layer.forward(tensorOf(fx, "x")), tensorOf(fx, "y"), `${name} y`);
      expectMatches(layer.backward(tensorOf(fx, "dy")), tensorOf(fx, "dx"), `${name} dx`);
    });
  }
});

describe("activation details", () => {
  it("ReLU gives gradient 0 at exactly 0 (PyTorch's threshold_backward) and keeps dtype and shape", () => {
    const relu = new ReLU();
    const x = new Tensor("float64", [1, 3], new Float64Array([-1, 0, 2]));
    expect(relu.forward(x).toArray()).toEqual([0, 0, 2]);
    expect(relu.backward(new Tensor("float64", [1, 3], new Float64Array([5, 5, 5]))).toArray()).toEqual([0, 0, 5]);
    expect(reluForward(x).dtype).toBe("float64");
  });

  it("LeakyReLU applies the slope at 0 and below, Sigmoid is finite for huge inputs", () => {
    const act = new LeakyReLU(0.1);
    const x = new Tensor("float64", [3], new Float64Array([-2, 0, 3]));
    const y = act.forward(x).toArray();
    expect(y[0]).toBeCloseTo(-0.2, 15);
    expect(y.slice(1)).toEqual([0, 3]);
    expect(act.backward(new Tensor("float64", [3], new Float64Array([1, 1, 1]))).toArray()).toEqual([0.1, 0.1, 1]);
    const s = new Sigmoid().forward(new Tensor("float32", [3], new Float32Array([-1e4, 0, 1e4]))).toArray();
    expect(s).toEqual([0, 0.5, 1]);
  });

  it("refuses backward without forward, twice, and a gradient of another shape", () => {
    for (const layer of [new ReLU(), new LeakyReLU(), new Sigmoid()]) {
      const name = layer.constructor.name;
      expect(() => layer.backward(new Tensor("float32", [2]))).toThrow(new RegExp(`^${name}: backward called without a matching forward`));
      layer.forward(new Tensor("float32", [2]));
      expect(() => layer.backward(new Tensor("float32", [3]))).toThrow(
        `${name}.backward: gradient has shape [3] but the forward output was [2]`,
      );
      layer.forward(new Tensor("float32", [2]));
      layer.backward(new Tensor("float32", [2]));
      expect(() => layer.backward(new Tensor("float32", [2]))).toThrow(/backward called without a matching forward/);
    }
    expect(() => new LeakyReLU(Number.NaN)).toThrow(/LeakyReLU: negativeSlope must be a finite number/);
  });
});
