import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, Rng, ShapeError, Tensor, manualSeed, randn } from "@unetkit/tensor";
import { assertLayerGradcheck } from "@unetkit/testing";
import { checkBlockFixture } from "../test/block-fixture.js";
import { BasicBlock } from "./basic-block.js";

describe("BasicBlock", () => {
  it("matches torchvision's BasicBlock (identity shortcut), train and eval", () => {
    checkBlockFixture("layer-basicblock-identity", new BasicBlock(4, 4, { rng: new Rng(0) }));
  });

  it("matches torchvision's BasicBlock with a downsample shortcut (stride 2, 3 -> 5)", () => {
    checkBlockFixture("layer-basicblock-downsample", new BasicBlock(3, 5, { stride: 2, rng: new Rng(0) }));
  });

  it("backward matches float64 central differences (identity, projection and plain; train and eval)", () => {
    fc.assert(
      fc.property(
        fc.record({
          cin: fc.integer({ min: 1, max: 3 }),
          cout: fc.integer({ min: 1, max: 3 }),
          stride: fc.integer({ min: 1, max: 2 }),
          h: fc.integer({ min: 2, max: 5 }),
          w: fc.integer({ min: 2, max: 5 }),
          plain: fc.boolean(),
          train: fc.boolean(),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        (g) => {
          const rng = new Rng(g.seed);
          const block = new BasicBlock(g.cin, g.cout, { stride: g.stride, plain: g.plain, dtype: "float64", rng });
          for (const [, b] of block.namedBuffers()) if (b.shape.length === 1) rng.fillUniform(b.data, 0.5, 1.5);
          block.train(g.train);
          const x = randn([2, g.cin, g.h, g.w], rng, { dtype: "float64" });
          assertLayerGradcheck(block, x, { seed: g.seed, maxChecksPerInput: 25 });
        },
      ),
      { numRuns: 12 },
    );
  });

  it("uses torchvision's keys; plain drops the shortcut; projection only when needed", () => {
    const keys = Object.keys(new BasicBlock(3, 5, { stride: 2 }).stateDict()).filter((k) => !k.includes("running") && !k.includes("num_batches"));
    expect(keys).toEqual([
      "conv1.weight",
      "bn1.weight",
      "bn1.bias",
      "conv2.weight",
      "bn2.weight",
      "bn2.bias",
      "downsample.0.weight",
      "downsample.1.weight",
      "downsample.1.bias",
    ]);
    expect(new BasicBlock(4, 4).downsample).toBeNull();
    expect(new BasicBlock(4, 4, { stride: 2 }).downsample).not.toBeNull();
    expect(new BasicBlock(3, 5, { stride: 2, plain: true }).downsample).toBeNull();
    expect(Object.keys(new BasicBlock(3, 5, { plain: true }).stateDict()).some((k) => k.startsWith("downsample"))).toBe(false);
    expect(new BasicBlock(3, 5, { stride: 2 }).forward(new Tensor("float32", [1, 3, 7, 6])).shape).toEqual([1, 5, 4, 3]);
  });

  it("the residual path adds the shortcut: with zeroed bn2 scale and shift the block is relu(shortcut)", () => {
    const block = new BasicBlock(2, 2, { rng: new Rng(1), dtype: "float64" });
    block.bn2.weight!.value.fill(0);
    const x = randn([2, 2, 3, 3], new Rng(2), { dtype: "float64" });
    const y = block.forward(x);
    for (let i = 0; i < x.size; i++) expect(y.data[i]).toBeCloseTo(Math.max(0, x.data[i]), 12);
    const plain = new BasicBlock(2, 2, { rng: new Rng(1), dtype: "float64", plain: true });
    plain.bn2.weight!.value.fill(0);
    expect(plain.forward(x).toArray().every((v) => v === 0)).toBe(true);
  });

  it("builds the same weights from the same seed (explicit rng or manualSeed)", () => {
    const a = new BasicBlock(3, 5, { stride: 2, rng: new Rng(4) }).stateDict();
    const b = new BasicBlock(3, 5, { stride: 2, rng: new Rng(4) }).stateDict();
    for (const k of Object.keys(a)) expect(Array.from(a[k].data), k).toEqual(Array.from(b[k].data));
    manualSeed(11);
    const c = new BasicBlock(3, 5).stateDict();
    manualSeed(11);
    const d = new BasicBlock(3, 5).stateDict();
    for (const k of Object.keys(c)) expect(Array.from(c[k].data), k).toEqual(Array.from(d[k].data));
    expect(Array.from(c["conv1.weight"].data)).not.toEqual(Array.from(a["conv1.weight"].data));
  });

  it("refuses bad sizes and inputs with the layer name", () => {
    expect(() => new BasicBlock(0, 4)).toThrow(/Conv2D: inChannels must be a positive integer/);
    expect(() => new BasicBlock(4, 4, { stride: 0 })).toThrow(ArgumentError);
    const block = new BasicBlock(4, 4);
    expect(() => block.forward(new Tensor("float32", [1, 3, 5, 5]))).toThrow(ShapeError);
    expect(() => block.forward(new Tensor("float32", [4, 5, 5]))).toThrow("BasicBlock: input must be 4-D NCHW (got [4,5,5])");
    expect(() => block.backward(new Tensor("float32", [1, 4, 5, 5]))).toThrow(/BasicBlock: backward called without a matching forward/);
  });
});
