import { Rng, randn } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";
import { argmaxChannels, predict, softmaxChannels } from "./predict.js";
import { SimpleUNet } from "./unet.js";

describe("predict", () => {
  it("returns probabilities that sum to 1 and the arg-max mask, restoring training mode", () => {
    const model = new SimpleUNet({ baseChannels: 2, seed: 2 });
    model.train();
    const x = randn([2, 1, 8, 8], new Rng(1));
    const { probabilities, mask, maskShape } = predict(model, x);
    expect(model.training).toBe(true);
    expect(maskShape).toEqual([2, 8, 8]);
    for (let p = 0; p < 64; p++) {
      let s = 0;
      for (let c = 0; c < 3; c++) s += probabilities.data[c * 64 + p];
      expect(s).toBeCloseTo(1, 6);
    }
    expect(Array.from(mask)).toEqual(Array.from(argmaxChannels(probabilities)));
    // eval mode output, not train mode (batch statistics) output
    model.eval();
    expect(Array.from(softmaxChannels(model.forward(x)).data)).toEqual(Array.from(probabilities.data));
  });

  it("a single channel is a sigmoid head thresholded at 0.5", () => {
    const logits = randn([1, 1, 4, 4], new Rng(4));
    const p = softmaxChannels(logits);
    const mask = argmaxChannels(p);
    for (let i = 0; i < 16; i++) {
      expect(p.data[i]).toBeCloseTo(1 / (1 + Math.exp(-logits.data[i])), 6);
      expect(mask[i]).toBe(logits.data[i] >= 0 ? 1 : 0);
    }
  });
});
