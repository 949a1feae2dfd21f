import { ShapeError, ArgumentError, Rng, randn, zeros } from "@unetkit/tensor";
import { loadFixture } from "@unetkit/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configFromTorch } from "../test/fixture-model.js";
import { PaperUNet, SimpleUNet, UNet } from "./unet.js";
import { SGD, crossEntropyLoss, labels } from "@unetkit/layers";

describe("UNet shapes", () => {
  it("SimpleUNet keeps the spatial size and outputs one channel per class", () => {
    const model = new SimpleUNet({ baseChannels: 4 });
    expect(model.forward(zeros([2, 1, 16, 16])).shape).toEqual([2, 3, 16, 16]);
  });

  it("the paper's U-Net maps 572x572 to 388x388", () => {
    const model = new PaperUNet({ baseChannels: 2 });
    expect(model.planSize(572)).toEqual({ ok: true, output: 388 });
    expect(model.checkInput([1, 1, 572, 572])).toEqual([1, 2, 388, 388]);
  });

  it("same padding accepts exactly the multiples of 2^depth", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 200 }), (depth, size) => {
        const model = new UNet({ baseChannels: 1, depth });
        expect(model.planSize(size).ok).toBe(size % 2 ** depth === 0);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses an input size that cannot be pooled, naming sizes that work", () => {
    const model = new SimpleUNet({ baseChannels: 2 });
    expect(() => model.forward(zeros([1, 1, 30, 32]))).toThrow(ShapeError);
    expect(() => model.forward(zeros([1, 1, 30, 32]))).toThrow(/input height 30 .*multiple of 4.*28 or 32/);
    const valid = new UNet({ baseChannels: 2, depth: 2, padding: "valid" });
    expect(() => valid.forward(zeros([1, 1, 45, 44]))).toThrow(/input height 45 .*nearest sizes that work: 44 or 48/);
  });

  it("refuses a wrong channel count and a wrong rank", () => {
    const model = new SimpleUNet({ baseChannels: 2 });
    expect(() => model.forward(zeros([1, 3, 16, 16]))).toThrow(/input has 3 channels, the model expects 1 \(input \[1,3,16,16\]\)/);
    expect(() => model.forward(zeros([1, 16, 16]))).toThrow(/4-D NCHW/);
  });

  it("refuses bad options", () => {
    expect(() => new UNet({ depth: 0 })).toThrow(ArgumentError);
    expect(() => new UNet({ upsample: "cubic" as never })).toThrow(/upsample must be/);
    expect(() => new UNet({ padding: "full" as never })).toThrow(/padding must be/);
  });
});

describe("UNet parameters", () => {
  const counts = (loadFixture(new URL("../test/fixtures/param-counts.json", import.meta.url)).meta as {
    counts: Record<string, { config: Record<string, unknown>; params: number }>;
  }).counts;
  it.each(Object.keys(counts))("parameter count of %s equals PyTorch's", (name) => {
    const { config, params } = counts[name];
    expect(new UNet(configFromTorch(config)).parameterCount()).toBe(params);
  });

  it("state-dict keys follow the seed's module names", () => {
    const keys = Object.keys(new UNet({ baseChannels: 2, depth: 2, upsample: "transposed" }).stateDict());
    expect(keys).toContain("enc1.double_conv.conv1.weight");
    expect(keys).toContain("enc1.double_conv.bn1.running_var");
    expect(keys).toContain("bottleneck.conv2.weight");
    expect(keys).toContain("dec1.up.weight");
    expect(keys).toContain("dec1.double_conv.bn2.bias");
    expect(keys.slice(-2)).toEqual(["out_conv.weight", "out_conv.bias"]);
    expect(keys.filter((k) => /^(enc|dec)\d/.test(k)).map((k) => k.split(".")[0])).toEqual(
      expect.arrayContaining(["enc1", "enc2", "dec2", "dec1"]),
    );
  });

  it("the same seed builds the same model, another seed another", () => {
    const a = new SimpleUNet({ baseChannels: 2, seed: 7 }).stateDict();
    const b = new SimpleUNet({ baseChannels: 2, seed: 7 }).stateDict();
    const c = new SimpleUNet({ baseChannels: 2, seed: 8 }).stateDict();
    for (const k of Object.keys(a)) expect(Array.from(b[k].data)).toEqual(Array.from(a[k].data));
    expect(Array.from(c["enc1.double_conv.conv1.weight"].data)).not.toEqual(Array.from(a["enc1.double_conv.conv1.weight"].data));
  });

  it("summary lists every block with shapes and the total", () => {
    const model = new SimpleUNet({ baseChannels: 16 });
    const text = model.summary([8, 1, 64, 64]);
    for (const name of ["enc1", "enc2", "bottleneck", "dec2", "dec1", "out_conv"]) expect(text).toContain(name);
    expect(text).toContain("[8,3,64,64]");
    expect(text).toContain(model.parameterCount().toLocaleString("en-US"));
  });

  it("forward is deterministic and eval mode does not touch the running statistics", () => {
    const model = new SimpleUNet({ baseChannels: 2, seed: 1 });
    const x = randn([2, 1, 8, 8], new Rng(3));
    model.eval();
    const before = model.stateDict()["enc1.double_conv.bn1.running_mean"].toArray();
    const y1 = model.forward(x).toArray();
    const y2 = model.forward(x).toArray();
    expect(y2).toEqual(y1);
    expect(model.stateDict()["enc1.double_conv.bn1.running_mean"].toArray()).toEqual(before);
  });
});

describe("UNet backward without the input gradient", () => {
  /** Three SGD steps; the losses, logits, parameter gradients and buffers of each, and what backward returned. */
  function steps(options: ConstructorParameters<typeof UNet>[0], inputGrad: boolean) {
    const model = new UNet({ inChannels: 2, numClasses: 3, baseChannels: 4, seed: 11, ...options }).train();
    const rng = new Rng(4);
    const x = randn([2, 2, 16, 16], rng, { dtype: options?.dtype ?? "float32" });
    const y = labels(Int32Array.from({ length: 2 * 16 * 16 }, () => rng.int(0, 3)), [2, 16, 16]);
    const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const history: number[][] = [];
    const returned: (number[] | null)[] = [];
    for (let s = 0; s < 3; s++) {
      opt.zeroGrad();
      const logits = model.forward(x);
      const loss = crossEntropyLoss(logits, y);
      const dx = model.backward(loss.grad, { inputGrad });
      returned.push(dx === null ? null : Array.from(dx.data));
      history.push([loss.loss], Array.from(logits.data));
      for (const p of model.parameters()) history.push(Array.from(p.grad.data));
      opt.step();
    }
    for (const [, b] of model.namedBuffers()) history.push(Array.from(b.data));
    return { history, returned };
  }

  const configs: ConstructorParameters<typeof UNet>[0][] = [
    { depth: 2 },
    { depth: 1, batchNorm: false, arena: false },
    { depth: 3, upsample: "bilinear", attention: true },
    { depth: 2, skip: false, dtype: "float64" },
  ];
  for (const config of configs) {
    it(`returns null and gives the same training, bit for bit (${JSON.stringify(config)})`, () => {
      const full = steps(config, true);
      const only = steps(config, false);
      expect(full.returned.every((d) => d !== null && d.length === 2 * 2 * 16 * 16)).toBe(true);
      expect(only.returned).toEqual([null, null, null]);
      expect(only.history.length).toBe(full.history.length);
      only.history.forEach((h, i) => expect(h, `entry ${i}`).toEqual(full.history[i]));
    });
  }

  it("refuses an inputGrad that is not a boolean", () => {
    const model = new SimpleUNet({ baseChannels: 2, seed: 1 });
    const logits = model.forward(zeros([1, 1, 8, 8]));
    expect(() => model.backward(logits, { inputGrad: "false" as unknown as boolean })).toThrow(/UNet: inputGrad must be a boolean/);
  });
});
