import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hflip, vflip } from "./flip.js";
import { labelTensor } from "./label-tensor.js";
import { dims, randomSample, sameSample } from "./__fixtures__/samples.js";

describe("hflip / vflip", () => {
  it("flips are involutions, permute pixels, and follow the index formula", () => {
    fc.assert(
      fc.property(dims, ({ c, h, w, seed }) => {
        const s = randomSample(seed, c, h, w);
        const copy = { image: s.image.clone(), mask: labelTensor([h, w], s.mask.data.slice()) };
        sameSample(hflip(hflip(s)), s);
        sameSample(vflip(vflip(s)), s);
        sameSample(s, copy); // inputs untouched
        const f = hflip(s);
        const v = vflip(s);
        for (let ch = 0; ch < c; ch++)
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++) {
              expect(f.image.get(ch, y, x)).toBe(s.image.get(ch, y, w - 1 - x));
              expect(v.image.get(ch, y, x)).toBe(s.image.get(ch, h - 1 - y, x));
            }
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            expect(f.mask!.data[y * w + x]).toBe(s.mask.data[y * w + w - 1 - x]);
            expect(v.mask!.data[y * w + x]).toBe(s.mask.data[(h - 1 - y) * w + x]);
          }
      }),
      { numRuns: 60 },
    );
  });
});
