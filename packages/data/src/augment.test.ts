import { Rng, ShapeError, Tensor, ArgumentError } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { augment, augmentation, compose } from "./augment.js";
import { randomElastic } from "./elastic.js";
import { hflip, randomHorizontalFlip } from "./flip.js";
import { labelTensor, type LabelTensor } from "./label-tensor.js";
import { randomRotation } from "./rotate.js";
import { rot90 } from "./rotate90.js";
import type { Sample } from "./sample.js";
import { expectAligned, labelImageSample, randomSample, sameSample } from "./__fixtures__/samples.js";

describe("augmentation pipelines", () => {
  const config = {
    hflip: 0.5,
    vflip: 0.5,
    rotate90: true,
    rotation: { degrees: 15 },
    elastic: { sigma: 6 },
    crop: [24, 20] as [number, number],
    brightness: 0.1,
    contrast: 0.2,
    noise: 0.02,
  };

  it("flips, quarter turns and crops keep a label image and its mask identical", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed, augSeed) => {
        const s = labelImageSample(seed, 8, 8);
        const t = augmentation({ hflip: 0.5, vflip: 0.5, rotate90: true, crop: [5, 6] });
        expectAligned(t(s, new Rng(augSeed)));
      }),
      { numRuns: 50 },
    );
  });

  it("is deterministic by seed; different seeds differ; classification samples work without a mask", () => {
    const s = randomSample(11, 1, 32, 32);
    const a = augment(s.image, s.mask, new Rng(5), config);
    const b = augment(s.image, s.mask, new Rng(5), config);
    sameSample(a, b);
    expect(a.image.shape).toEqual([1, 24, 20]);
    const c = augment(s.image, s.mask, new Rng(6), config);
    expect(Array.from(c.image.data)).not.toEqual(Array.from(a.image.data));
    const noMask = augmentation(config)({ image: s.image }, new Rng(5));
    expect(noMask.mask).toBeUndefined();
    expect(Array.from(noMask.image.data)).toEqual(Array.from(a.image.data));
  });

  it("compose chains in order with one stream", () => {
    const s = randomSample(12, 1, 6, 6);
    const rng1 = new Rng(9);
    const composed = compose([randomHorizontalFlip(0.5), randomRotation({ degrees: 10 }), randomElastic({ sigma: 2 })])(s, rng1);
    const rng2 = new Rng(9);
    let manual: Sample = randomHorizontalFlip(0.5)(s, rng2);
    manual = randomRotation({ degrees: 10 })(manual, rng2);
    manual = randomElastic({ sigma: 2 })(manual, rng2);
    sameSample(composed, manual);
  });

  it("validates configs and samples", () => {
    const s = randomSample(1, 1, 4, 4);
    expect(() => augmentation({ hflip: 2 })).toThrow(ArgumentError);
    expect(() => augmentation({ flip: 0.5 } as never)).toThrow(/unknown option "flip"/);
    expect(() => augmentation({ crop: [2, 2], centerCrop: [2, 2] })).toThrow(/not both/);
    expect(() => randomRotation({ degrees: 10, fillMode: "wrap" as never })).toThrow(/fillMode/);
    const badMask: LabelTensor = labelTensor([4, 5]);
    expect(() => hflip({ image: s.image, mask: badMask })).toThrow(/mask must be \[H,W\] matching the image \(image \[1,4,4\], mask \[4,5\]\)/);
    expect(() => rot90({ image: new Tensor("float32", [4, 4]) })).toThrow(ShapeError);
    const centre = augmentation({ centerCrop: [2, 2] })(s, new Rng(0));
    expect(centre.image.get(0, 0, 0)).toBe(s.image.get(0, 1, 1));
  });
});
