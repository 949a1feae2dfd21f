import { Rng, randn } from "@unetkit/tensor";
import { layerGradcheck } from "@unetkit/testing";
import { describe, expect, it } from "vitest";
import { UNet, type UNetOptions } from "./unet.js";

// Float64 central differences on small U-Nets: every parameter and the input, in train mode
// (batch statistics) and eval mode, for each architecture variant. BatchNorm gets random affine
// parameters and running statistics: with the defaults (bias 0) a bias-free conv over a dead ReLU
// region puts pre-activations exactly on ReLU's kink, where no derivative exists.
function randomizeBatchNorm(model: UNet, rng: Rng): void {
  for (const [key, p] of model.namedParameters()) {
    if (/\.bn\d\.weight$/.test(key)) rng.fillUniform(p.value.data, 0.5, 1.5);
    if (/\.bn\d\.bias$/.test(key)) rng.fillUniform(p.value.data, -0.3, 0.3);
  }
  for (const [key, b] of model.namedBuffers()) {
    if (key.endsWith("running_mean")) rng.fillUniform(b.data, -0.2, 0.2);
    if (key.endsWith("running_var")) rng.fillUniform(b.data, 0.5, 2);
  }
}
const VARIANTS: [string, UNetOptions, number][] = [
  ["nearest", { upsample: "nearest" }, 8],
  ["bilinear", { upsample: "bilinear" }, 8],
  ["transposed", { upsample: "transposed" }, 8],
  ["no skip", { skip: false }, 8],
  ["no BN, valid padding", { batchNorm: false, padding: "valid", upsample: "transposed", depth: 1 }, 20],
  ["attention", { attention: true, upsample: "bilinear" }, 8],
  ["attention, valid", { attention: true, padding: "valid", depth: 1 }, 20],
];

describe.each(VARIANTS)("UNet gradients (%s)", (_name, options, size) => {
  for (const train of [true, false]) {
    it(`${train ? "train" : "eval"} mode matches central differences`, () => {
      const model = new UNet({ inChannels: 2, numClasses: 3, baseChannels: 2, depth: 2, ...options, dtype: "float64", seed: 5 });
      randomizeBatchNorm(model, new Rng(17));
      model.train(train);
      const x = randn([2, 2, size, size], new Rng(11), { dtype: "float64" });
      const report = layerGradcheck(model, x, { seed: 3, maxChecksPerInput: 12 });
      expect(report.ok, JSON.stringify(report.worst)).toBe(true);
    });
  }
});
