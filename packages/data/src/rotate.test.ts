import { Rng } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { elastic, elasticField } from "./elastic.js";
import { rotate } from "./rotate.js";
import { rot90 } from "./rotate90.js";
import { blobSample, dims, randomSample } from "./__fixtures__/samples.js";

describe("rotate", () => {
  it("rotate(0) is the identity and rotate(90) on a square equals rot90(1)", () => {
    for (const mode of ["reflect", "edge", "constant"] as const) {
      const s = randomSample(4, 2, 7, 7);
      const r0 = rotate(s, 0, { fillMode: mode });
      expect(Array.from(r0.mask!.data)).toEqual(Array.from(s.mask.data));
      for (let i = 0; i < s.image.size; i++) expect(r0.image.data[i]).toBeCloseTo(s.image.data[i], 6);
      const r90 = rotate(s, 90, { fillMode: mode });
      const q = rot90(s, 1);
      expect(Array.from(r90.mask!.data)).toEqual(Array.from(q.mask!.data));
      for (let i = 0; i < s.image.size; i++) expect(r90.image.data[i]).toBeCloseTo(q.image.data[i], 5);
    }
  });

  it("masks keep their label set after every resampling transform (never interpolated)", () => {
    fc.assert(
      fc.property(
        dims,
        fc.double({ min: -180, max: 180, noNaN: true }),
        fc.constantFrom("reflect", "edge", "constant"),
        ({ c, h, w, seed }, degrees, fillMode) => {
          const labels = [0, 3, 255];
          const s = randomSample(seed, c, h, w, labels);
          const opts = { fillMode, maskFill: 3 } as const;
          const allowed = new Set([...labels, 3]);
          const r = rotate(s, degrees, opts);
          const e = elastic(s, elasticField(h, w, new Rng(seed), { sigma: 4 }), opts);
          for (const out of [r, e]) {
            expect(out.mask!.shape).toEqual([h, w]);
            for (const v of out.mask!.data) expect(allowed.has(v)).toBe(true);
            for (const v of out.image.data) expect(Number.isFinite(v)).toBe(true);
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it("image and mask move together under rotation and elastic deformation", () => {
    // Binary image equal to its mask: wherever the bilinear image is exactly 0 or 1 (all weight on
    // one label), the nearest-neighbour mask must carry that label.
    fc.assert(
      fc.property(
        fc.integer(),
        fc.double({ min: -30, max: 30, noNaN: true }),
        fc.constantFrom("reflect", "edge", "constant"),
        (seed, degrees, fillMode) => {
          const s = blobSample(seed, 20, 24);
          const outs = [
            rotate(s, degrees, { fillMode }),
            elastic(s, elasticField(20, 24, new Rng(seed), { sigma: 5 }), { fillMode }),
          ];
          for (const out of outs) {
            let decided = 0;
            for (let i = 0; i < 20 * 24; i++) {
              const v = out.image.data[i];
              if (Math.abs(v - 1) < 1e-6) {
                expect(out.mask!.data[i]).toBe(1);
                decided++;
              } else if (Math.abs(v) < 1e-6) {
                expect(out.mask!.data[i]).toBe(0);
                decided++;
              } else {
                // At a boundary the mask is one of the two labels and agrees with rounding the image
                // whenever the image is clearly on one side.
                if (v > 0.75) expect(out.mask!.data[i]).toBe(1);
                if (v < 0.25) expect(out.mask!.data[i]).toBe(0);
              }
            }
            expect(decided).toBeGreaterThan(20 * 24 * 0.5);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
