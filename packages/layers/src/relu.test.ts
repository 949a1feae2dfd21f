import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Rng, Tensor } from "@unetkit/tensor";
import { assertLayerGradcheck } from "@unetkit/testing";
import { awayFromZero, smallShape } from "../test/away-from-zero.js";
import { expectMatches, layerFixture, tensorOf } from "../test/fixture-helpers.js";
import { ReLU, reluBackward, reluForward } from "./relu.js";

describe("ReLU", () => {
  it("backward matches float64 central differences over random shapes", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: smallShape.min, max: smallShape.max }), smallShape), fc.integer({ min: 0, max: 10_000 }), (shape, seed) => {
        assertLayerGradcheck(new ReLU(), awayFromZero(shape, new Rng(seed)), { seed });
      }),
      { numRuns: 25 },
    );
  });

  it("matches torch.nn.ReLU forward and backward", () => {
    const fx = layerFixture("layer-relu");
    const relu = new ReLU();
    expectMatches(relu.forward(tensorOf(fx, "x")), tensorOf(fx, "y"), "y");
    expectMatches(relu.backward(tensorOf(fx, "dy")), tensorOf(fx, "dx"), "dx");
  });

  it("gives gradient 0 at exactly 0 (PyTorch's threshold_backward) and keeps the dtype", () => {
    const x = new Tensor("float64", [1, 3], new Float64Array([-1, 0, 2]));
    const y = reluForward(x);
    expect(y.toArray()).toEqual([0, 0, 2]);
    expect(y.dtype).toBe("float64");
    expect(reluBackward(new Tensor("float64", [1, 3], new Float64Array([5, 5, 5])), y).toArray()).toEqual([0, 0, 5]);
  });

  it("float32 forward and backward equal `v > 0 ? v : 0` bit for bit on any float32 (NaN, -0, Infinity, subnormals)", () => {
    const specials = [0, -0, 1, -1, Infinity, -Infinity, NaN, 1.4e-45, -1.4e-45, 3.4028234663852886e38, -3.4028234663852886e38];
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(...specials.map((v) => new Int32Array(new Float32Array([v]).buffer)[0]), 0x7f800001, -1)), { minLength: 1, maxLength: 64 }),
        (bits) => {
          const xd = new Float32Array(new Int32Array(bits).buffer);
          const dyd = new Float32Array(xd.length).map((_, i) => xd[xd.length - 1 - i]);
          const x = new Tensor("float32", [xd.length], xd);
          const y = reluForward(x);
          const dx = reluBackward(new Tensor("float32", [xd.length], dyd), x);
          for (let i = 0; i < xd.length; i++) {
            expect(Object.is(y.data[i], xd[i] > 0 ? xd[i] : 0)).toBe(true);
            expect(Object.is(dx.data[i], xd[i] > 0 ? dyd[i] : 0)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses backward without forward, twice, and a gradient of another shape", () => {
    const relu = new ReLU();
    expect(() => relu.backward(new Tensor("float32", [2]))).toThrow(/^ReLU: backward called without a matching forward/);
    relu.forward(new Tensor("float32", [2]));
    expect(() => relu.backward(new Tensor("float32", [3]))).toThrow("ReLU.backward: gradient has shape [3] but the forward output was [2]");
    relu.forward(new Tensor("float32", [2]));
    relu.backward(new Tensor("float32", [2]));
    expect(() => relu.backward(new Tensor("float32", [2]))).toThrow(/backward called without a matching forward/);
    expect(() => relu.forward([1, 2] as unknown as Tensor)).toThrow("ReLU: input must be a Tensor");
  });
});
