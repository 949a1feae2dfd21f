import { Rng } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hflip, vflip } from "./flip.js";
import { randomRotate90, rot90 } from "./rotate90.js";
import { dims, randomSample, sameSample } from "./__fixtures__/samples.js";

describe("rot90", () => {
  it("four quarter turns are the identity; rot90(2) = hflip(vflip); rot90(-1) undoes rot90(1)", () => {
    fc.assert(
      fc.property(dims, ({ c, h, w, seed }) => {
        const s = randomSample(seed, c, h, w);
        const r1 = rot90(s, 1);
        expect(r1.image.shape).toEqual([c, w, h]);
        expect(r1.mask!.shape).toEqual([w, h]);
        sameSample(rot90(rot90(rot90(r1, 1), 1), 1), s);
        sameSample(rot90(s, 4), s);
        sameSample(rot90(s, 2), hflip(vflip(s)));
        sameSample(rot90(r1, -1), s);
        sameSample(rot90(s, 3), rot90(s, -1));
        // numpy.rot90 formula: out[i][j] = in[j][W-1-i]
        for (let i = 0; i < w; i++) for (let j = 0; j < h; j++) expect(r1.mask!.data[i * h + j]).toBe(s.mask.data[j * w + (w - 1 - i)]);
      }),
      { numRuns: 60 },
    );
  });

  it("randomRotate90 keeps non-square shapes (only 0 or 2 turns) and covers all 4 turns on squares", () => {
    const t = randomRotate90();
    const rng = new Rng(3);
    const rect = randomSample(1, 1, 3, 5);
    const square = randomSample(2, 1, 4, 4);
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      expect(t(rect, rng).image.shape).toEqual([1, 3, 5]);
      const out = t(square, rng);
      seen.add(Array.from(out.mask!.data).join(","));
    }
    expect(seen.size).toBe(4);
  });
});
