import { ArgumentError, Rng, ShapeError, Tensor, randn } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";
import { maskFromScores, predict, softmaxChannels } from "./predict.js";
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
    expect(Array.from(mask)).toEqual(Array.from(maskFromScores(probabilities)));
    // eval mode output, not train mode (batch statistics) output
    model.eval();
    expect(Array.from(softmaxChannels(model.forward(x)).data)).toEqual(Array.from(probabilities.data));
  });

  it("a single channel is a sigmoid head thresholded at 0.5", () => {
    const logits = randn([1, 1, 4, 4], new Rng(4));
    const p = softmaxChannels(logits);
    const mask = maskFromScores(p);
    for (let i = 0; i < 16; i++) {
      expect(p.data[i]).toBeCloseTo(1 / (1 + Math.exp(-logits.data[i])), 6);
      expect(mask[i]).toBe(logits.data[i] >= 0 ? 1 : 0);
    }
  });

  it("maskFromScores: the arg-max with ties to the lower class, a threshold for one channel, NaN refused with its position", () => {
    // [1, 3, 1, 3]: position 0 -> class 1, position 1 a tie of classes 0 and 2 -> 0, position 2 -> 2
    const scores = new Tensor("float32", [1, 3, 1, 3], Float32Array.from([0.1, 0.5, 0.2, 0.7, 0.1, 0.3, 0.2, 0.5, 0.9]));
    expect(Array.from(maskFromScores(scores))).toEqual([1, 0, 2]);
    const one = new Tensor("float32", [1, 1, 1, 3], Float32Array.from([0.2, 0.5, 0.9]));
    expect(Array.from(maskFromScores(one))).toEqual([0, 1, 1]);
    expect(Array.from(maskFromScores(one, 0.95))).toEqual([0, 0, 0]);
    const bad = scores.clone();
    bad.data[4] = NaN; // class 1, position 1
    expect(() => maskFromScores(bad)).toThrow(/maskFromScores: score at \[0, 1, 0, 1\] is NaN \(scores \[1,3,1,3\]\)/);
    bad.data[4] = 0;
    bad.data[0] = NaN; // class 0, position 0
    expect(() => maskFromScores(bad)).toThrow(/score at \[0, 0, 0, 0\] is NaN/);
    const oneBad = one.clone();
    oneBad.data[2] = NaN;
    expect(() => maskFromScores(oneBad)).toThrow(/score at \[0, 0, 0, 2\] is NaN/);
    expect(() => maskFromScores(one, NaN)).toThrow(/binaryThreshold must be a finite number/);
    expect(() => maskFromScores(new Tensor("float32", [3, 1, 1]))).toThrow(ShapeError);
  });
});
