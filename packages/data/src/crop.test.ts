import { Rng, ShapeError } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";
import { crop, randomCrop } from "./crop.js";
import { expectAligned, labelImageSample, randomSample } from "./__fixtures__/samples.js";

describe("crop", () => {
  it("cuts the window and refuses windows outside the image", () => {
    const s = randomSample(5, 2, 6, 7);
    const c = crop(s, 1, 2, 3, 4);
    expect(c.image.shape).toEqual([2, 3, 4]);
    for (let ch = 0; ch < 2; ch++) for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) expect(c.image.get(ch, y, x)).toBe(s.image.get(ch, y + 1, x + 2));
    for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) expect(c.mask!.data[y * 4 + x]).toBe(s.mask.data[(y + 1) * 7 + x + 2]);
    expect(() => crop(s, 4, 0, 3, 4)).toThrow(ShapeError);
    expect(() => randomCrop(8, 8)(s, new Rng(0))).toThrow(/crop 8x8 is larger than the image \[2,6,7\]/);
  });

  it("randomCrop keeps image and mask aligned and reaches every offset", () => {
    const s = labelImageSample(9, 6, 6);
    const t = randomCrop(4, 3);
    const rng = new Rng(1);
    const offsets = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const out = t(s, rng);
      expect(out.image.shape).toEqual([2, 4, 3]);
      expectAligned(out);
      offsets.add(Array.from(out.mask!.data).join(","));
    }
    // 3 x 4 = 12 offsets; distinct random masks make each window distinct.
    expect(offsets.size).toBe(12);
  });
});
