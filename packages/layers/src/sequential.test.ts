import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, Rng, Tensor, randn } from "@unetkit/tensor";
import { assertLayerGradcheck } from "@unetkit/testing";
import { BatchNorm2D } from "./batch-norm2d.js";
import { Conv2D } from "./conv2d.js";
import { Flatten } from "./flatten.js";
import { GlobalAvgPool2D } from "./global-avg-pool2d.js";
import { Linear } from "./linear.js";
import { Sigmoid } from "./sigmoid.js";
import { Sequential } from "./sequential.js";
import { AvgPool2D } from "./avg-pool2d.js";

function smallNet(seed: number, dtype: "float32" | "float64" = "float64"): Sequential {
  const rng = new Rng(seed);
  return new Sequential(
    new Conv2D(2, 3, 3, { padding: 1, dtype, rng }),
    new BatchNorm2D(3, { dtype }),
    new Sigmoid(),
    new AvgPool2D(2),
    new GlobalAvgPool2D(),
    new Flatten(),
    new Linear(3, 2, { dtype, rng }),
  );
}

describe("Sequential", () => {
  it("chains forward and backward; the whole stack passes a gradient check", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 2, max: 5 }), (seed, size) => {
        const net = smallNet(seed);
        const x = randn([2, 2, size, size + 1], new Rng(seed + 1), { dtype: "float64" });
        assertLayerGradcheck(net, x, { seed, maxChecksPerInput: 30 });
      }),
      { numRuns: 10 },
    );
  });

  it("names children 0, 1, ... as torch.nn.Sequential", () => {
    const net = smallNet(0, "float32");
    expect(Object.keys(net.stateDict())).toEqual([
      "0.weight",
      "0.bias",
      "1.weight",
      "1.bias",
      "1.running_mean",
      "1.running_var",
      "1.num_batches_tracked",
      "6.weight",
      "6.bias",
    ]);
    expect(net.namedChildren().map(([k]) => k)).toEqual(["0", "1", "2", "3", "4", "5", "6"]);
    expect(net.length).toBe(7);
    expect(net.at(-1)).toBeInstanceOf(Linear);
  });

  it("refuses non-layers and backward without forward", () => {
    expect(() => new Sequential({} as never)).toThrow(ArgumentError);
    expect(() => new Sequential().backward(new Tensor("float32", [1]))).toThrow(/Sequential: backward called without a matching forward/);
    expect(() => smallNet(0).at(7)).toThrow(/Sequential.at: index 7 is out of range for 7 layers/);
  });
});
