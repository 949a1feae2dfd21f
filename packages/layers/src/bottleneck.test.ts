import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, Rng, Tensor, randn } from "@unetkit/tensor";
import { assertLayerGradcheck } from "@unetkit/testing";
import { checkBlockFixture } from "../test/block-fixture.js";
import { Bottleneck } from "./bottleneck.js";

describe("Bottleneck", () => {
  it("matches torchvision's Bottleneck (identity shortcut), train and eval", () => {
    checkBlockFixture("layer-bottleneck-identity", new Bottleneck(8, 2, { rng: new Rng(0) }));
  });

  it("matches torchvision's Bottleneck with a downsample shortcut (stride 2, 4 -> 12)", () => {
    checkBlockFixture("layer-bottleneck-downsample", new Bottleneck(4, 3, { stride: 2, rng: new Rng(0) }));
  });

  it("backward matches float64 central differences (identity, projection, plain; train and eval)", () => {
    fc.assert(
      fc.property(
        fc.record({
          cin: fc.integer({ min: 1, max: 4 }),
          width: fc.integer({ min: 1, max: 2 }),
          expansion: fc.integer({ min: 1, max: 4 }),
          stride: fc.integer({ min: 1, max: 2 }),
          h: fc.integer({ min: 2, max: 4 }),
          w: fc.integer({ min: 2, max: 5 }),
          plain: fc.boolean(),
          train: fc.boolean(),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        (g) => {
          const rng = new Rng(g.seed);
          const block = new Bottleneck(g.cin, g.width, { stride: g.stride, expansion: g.expansion, plain: g.plain, dtype: "float64", rng });
          for (const [, b] of block.namedBuffers()) if (b.shape.length === 1) rng.fillUniform(b.data, 0.5, 1.5);
          block.train(g.train);
          const x = randn([2, g.cin, g.h, g.w], rng, { dtype: "float64" });
          assertLayerGradcheck(block, x, { seed: g.seed, maxChecksPerInput: 25 });
        },
      ),
      { numRuns: 12 },
    );
  });

  it("uses torchvision's keys and output channels width * expansion", () => {
    const block = new Bottleneck(4, 3, { stride: 2 });
    const keys = Object.keys(block.stateDict()).filter((k) => k.endsWith("weight"));
    expect(keys).toEqual([
      "conv1.weight",
      "bn1.weight",
      "conv2.weight",
      "bn2.weight",
      "conv3.weight",
      "bn3.weight",
      "downsample.0.weight",
      "downsample.1.weight",
    ]);
    expect(block.forward(new Tensor("float32", [1, 4, 5, 6])).shape).toEqual([1, 12, 3, 3]);
    expect(new Bottleneck(16, 4).downsample).toBeNull();
    expect(new Bottleneck(16, 4, { plain: true, stride: 2 }).downsample).toBeNull();
    expect(new Bottleneck(8, 4, { expansion: 2 }).downsample).toBeNull();
  });

  it("refuses bad options", () => {
    expect(() => new Bottleneck(4, 2, { expansion: 0 })).toThrow(ArgumentError);
    expect(() => new Bottleneck(4, 2, { stride: 1.5 })).toThrow(/Bottleneck: stride must be a positive integer/);
    const block = new Bottleneck(4, 1);
    expect(() => block.forward(new Tensor("float64", [1, 4, 3, 3]))).toThrow(/Bottleneck: input is float64 but the layer is float32/);
    expect(() => block.backward(new Tensor("float32", [1, 4, 3, 3]))).toThrow(/Bottleneck: backward called without a matching forward/);
    void randn;
  });
});
