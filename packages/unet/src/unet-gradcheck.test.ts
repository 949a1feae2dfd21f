import { Rng, randn } from "@unetkit/tensor";
import { layerGradcheck } from "@unetkit/testing";
import { describe, expect, it } from "vitest";
import { UNet, type UNetOptions } from "./unet.js";

// Float64 central differences on small U-Nets: every parameter and the input, in train mode
// (batch statistics) and eval mode, for each architecture variant.
const VARIANTS: [string, UNetOptions, number][] = [
  ["nearest", { upsample: "nearest" }, 8],
  ["bilinear", { upsample: "bilinear" }, 8],
  ["transposed", { upsample: "transposed" }, 8],
  ["no skip", { skip: false }, 8],
  ["no BN, valid padding", { batchNorm: false, padding: "valid", upsample: "transposed", depth: 1 }, 14],
  ["attention", { attention: true, upsample: "bilinear" }, 8],
  ["attention, valid", { attention: true, padding: "valid", depth: 1 }, 14],
];

describe.each(VARIANTS)("UNet gradients (%s)", (_name, options, size) => {
  for (const train of [true, false]) {
    it(`${train ? "train" : "eval"} mode matches central differences`, () => {
      const model = new UNet({ inChannels: 2, numClasses: 3, baseChannels: 2, depth: 2, ...options, dtype: "float64", seed: 5 });
      model.train(train);
      const x = randn([2, 2, size, size], new Rng(11), { dtype: "float64" });
      const report = layerGradcheck(model, x, { seed: 3, maxChecksPerInput: 12 });
      expect(report.ok, JSON.stringify(report.worst)).toBe(true);
    });
  }
});
