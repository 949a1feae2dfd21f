import { BasicBlock } from "@unetkit/layers";
import { Rng, randn } from "@unetkit/tensor";
import { layerGradcheck } from "@unetkit/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SmallResNet } from "./small-resnet.js";

describe("SmallResNet", () => {
  it("maps [N, C, H, W] to [N, classes] logits for any widths, depth and stem stride", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 5, max: 12 }),
        fc.boolean(),
        (widths, blocks, stemStride, size, plain) => {
          const net = new SmallResNet({ inChannels: 2, numClasses: 3, widths, blocksPerStage: blocks, stemStride, plain, seed: 1 });
          const y = net.forward(randn([2, 2, size, size], new Rng(2)));
          expect(y.shape).toEqual([2, 3]);
          expect(net.depth).toBe(2 + 2 * blocks * widths.length);
          const dx = net.backward(randn([2, 3], new Rng(3)));
          expect(dx.shape).toEqual([2, 2, size, size]);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("backward with { inputGrad: false } returns null and accumulates the same parameter gradients, bit for bit", () => {
    const make = () => new SmallResNet({ inChannels: 2, numClasses: 3, widths: [3, 4], blocksPerStage: 1, stemStride: 2, seed: 5 });
    const x = randn([2, 2, 9, 9], new Rng(6));
    const dy = randn([2, 3], new Rng(7));
    const full = make();
    full.forward(x);
    expect(full.backward(dy)!.shape).toEqual([2, 2, 9, 9]);
    const only = make();
    only.forward(x);
    expect(only.backward(dy, { inputGrad: false })).toBe(null);
    const fullGrads = full.parameters().map((p) => Array.from(p.grad.data));
    only.parameters().forEach((p, i) => expect(Array.from(p.grad.data), `parameter ${i}`).toEqual(fullGrads[i]));
    only.forward(x);
    expect(() => only.backward(dy, { inputGrad: 1 as unknown as boolean })).toThrow(/SmallResNet: inputGrad must be a boolean/);
  });

  it("uses torchvision's state-dict keys; the plain twin lacks only the projection shortcuts", () => {
    const res = new SmallResNet({ inChannels: 1, numClasses: 10, widths: [4, 8], blocksPerStage: 2, seed: 7 });
    const plain = new SmallResNet({ inChannels: 1, numClasses: 10, widths: [4, 8], blocksPerStage: 2, seed: 7, plain: true });
    const keys = Object.keys(res.stateDict());
    expect(keys.slice(0, 2)).toEqual(["conv1.weight", "bn1.weight"]);
    expect(keys).toContain("layer1.0.conv1.weight");
    expect(keys).toContain("layer2.0.downsample.0.weight");
    expect(keys).toContain("layer2.1.bn2.running_var");
    expect(keys.slice(-2)).toEqual(["fc.weight", "fc.bias"]);
    const plainKeys = Object.keys(plain.stateDict());
    expect(plainKeys).toEqual(keys.filter((k) => !k.includes("downsample")));
    expect(res.namedModules().filter(([, m]) => m instanceof BasicBlock && m.plain)).toHaveLength(0);
    expect(plain.namedModules().filter(([, m]) => m instanceof BasicBlock && !m.plain)).toHaveLength(0);
  });

  it("starts the residual network and its plain twin from identical weights in every shared layer", () => {
    const res = new SmallResNet({ inChannels: 3, numClasses: 5, widths: [4, 6, 8], blocksPerStage: 2, seed: 42 });
    const plain = new SmallResNet({ inChannels: 3, numClasses: 5, widths: [4, 6, 8], blocksPerStage: 2, seed: 42, plain: true });
    const a = res.stateDict();
    for (const [k, t] of Object.entries(plain.stateDict())) expect(Array.from(t.data), k).toEqual(Array.from(a[k].data));
    const other = new SmallResNet({ inChannels: 3, numClasses: 5, widths: [4, 6, 8], blocksPerStage: 2, seed: 43 });
    expect(Array.from(other.stateDict()["layer3.1.conv2.weight"].data)).not.toEqual(Array.from(a["layer3.1.conv2.weight"].data));
  });

  it("differs from the plain twin in its outputs (the shortcuts are used)", () => {
    const x = randn([2, 1, 8, 8], new Rng(5));
    const res = new SmallResNet({ inChannels: 1, numClasses: 4, widths: [3, 4], seed: 1 });
    const plain = new SmallResNet({ inChannels: 1, numClasses: 4, widths: [3, 4], seed: 1, plain: true });
    expect(Array.from(res.forward(x).data)).not.toEqual(Array.from(plain.forward(x).data));
  });

  for (const plain of [false, true]) {
    for (const train of [true, false]) {
      it(`${plain ? "plain" : "residual"} network gradients match central differences (float64, ${train ? "train" : "eval"} mode)`, () => {
        const net = new SmallResNet({ inChannels: 2, numClasses: 3, widths: [2, 3], blocksPerStage: 1, stemStride: 2, plain, seed: 9, dtype: "float64" });
        const rng = new Rng(17);
        // Random BatchNorm affine parameters and running statistics keep pre-activations off ReLU's kink.
        for (const [key, p] of net.namedParameters()) {
          if (/bn\d\.weight$|downsample\.1\.weight$/.test(key)) rng.fillUniform(p.value.data, 0.5, 1.5);
          if (/bn\d\.bias$|downsample\.1\.bias$/.test(key)) rng.fillUniform(p.value.data, -0.3, 0.3);
        }
        for (const [key, b] of net.namedBuffers()) {
          if (key.endsWith("running_mean")) rng.fillUniform(b.data, -0.2, 0.2);
          if (key.endsWith("running_var")) rng.fillUniform(b.data, 0.5, 2);
        }
        net.train(train);
        const x = randn([3, 2, 8, 8], new Rng(11), { dtype: "float64" });
        const report = layerGradcheck(net, x, { seed: 3, maxChecksPerInput: 10 });
        expect(report.ok, JSON.stringify(report.worst)).toBe(true);
      });
    }
  }

  it("refuses bad options with the op name", () => {
    expect(() => new SmallResNet({ inChannels: 1, numClasses: 10, widths: [] })).toThrow(/SmallResNet: widths must be a non-empty list/);
    expect(() => new SmallResNet({ inChannels: 1, numClasses: 10, blocksPerStage: 0 })).toThrow(/SmallResNet: blocksPerStage must be an integer >= 1/);
    expect(() => new SmallResNet({ inChannels: 0, numClasses: 10 })).toThrow(/SmallResNet: inChannels/);
  });
});
