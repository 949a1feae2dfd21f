import { Rng, ShapeError, Tensor, ArgumentError } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { augment, augmentation, compose } from "./augment.js";
import { crop, randomCrop } from "./crop.js";
import { bicubicUpsample, elastic, elasticField, randomElastic } from "./elastic.js";
import { hflip, randomHorizontalFlip, vflip } from "./flip.js";
import { labelTensor, type LabelTensor } from "./label-tensor.js";
import { randomBrightness, randomContrast, randomGaussianNoise } from "./photometric.js";
import { randomRotation, rotate } from "./rotate.js";
import { randomRotate90, rot90 } from "./rotate90.js";
import type { Sample } from "./sample.js";

/** A random sample: image values uniform, mask labels from `labels`. */
function randomSample(seed: number, c: number, h: number, w: number, labels = [0, 1, 2]): Required<Sample> {
  const rng = new Rng(seed);
  const image = new Tensor("float32", [c, h, w]);
  rng.fillUniform(image.data);
  const mask = labelTensor([h, w]);
  for (let i = 0; i < h * w; i++) mask.data[i] = labels[rng.int(0, labels.length)];
  return { image, mask };
}

/** A blob image (smooth, piecewise) with its mask = image > 0.5 (binary). */
function blobSample(seed: number, h: number, w: number): Required<Sample> {
  const rng = new Rng(seed);
  const image = new Tensor("float32", [1, h, w]);
  const mask = labelTensor([h, w]);
  const cx = rng.uniform(0, w);
  const cy = rng.uniform(0, h);
  const r = rng.uniform(3, Math.min(h, w) / 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 <= r * r || (x > w / 2 && y < h / 3);
      image.data[y * w + x] = inside ? 1 : 0;
      mask.data[y * w + x] = inside ? 1 : 0;
    }
  }
  return { image, mask };
}

const dims = fc.record({
  c: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 9 }),
  w: fc.integer({ min: 1, max: 9 }),
  seed: fc.integer(),
});

function sameSample(a: Sample, b: Sample): void {
  expect(a.image.shape).toEqual(b.image.shape);
  expect(Array.from(a.image.data)).toEqual(Array.from(b.image.data));
  expect(a.mask?.shape).toEqual(b.mask?.shape);
  expect(Array.from(a.mask?.data ?? [])).toEqual(Array.from(b.mask?.data ?? []));
}

/** Image and mask move together: every image channel 0 pixel equals its mask label. */
function expectAligned(s: Sample): void {
  const m = s.mask!.data;
  for (let i = 0; i < m.length; i++) expect(s.image.data[i]).toBe(m[i]);
}

/** A sample whose image channel 0 is its mask (as float) and channel 1 is noise. */
function labelImageSample(seed: number, h: number, w: number): Required<Sample> {
  const s = randomSample(seed, 2, h, w, [0, 3, 7]);
  for (let i = 0; i < h * w; i++) s.image.data[i] = s.mask.data[i];
  return s;
}

describe("flips and quarter turns", () => {
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

describe("rotation and elastic deformation", () => {
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

  it("elastic field: zero sigma is the identity, bicubic is exact at grid points, field is smooth", () => {
    const s = randomSample(8, 1, 10, 12);
    const id = elastic(s, elasticField(10, 12, new Rng(0), { sigma: 0 }));
    expect(Array.from(id.mask!.data)).toEqual(Array.from(s.mask.data));
    for (let i = 0; i < s.image.size; i++) expect(id.image.data[i]).toBeCloseTo(s.image.data[i], 6);

    const grid = Float64Array.from([1, -2, 3, 0.5, 4, -1, 2, 2, -3]);
    const up = bicubicUpsample(grid, 3, 3, 9, 9);
    for (let gy = 0; gy < 3; gy++) for (let gx = 0; gx < 3; gx++) expect(up[gy * 4 * 9 + gx * 4]).toBeCloseTo(grid[gy * 3 + gx], 12);
    // A linear ramp is reproduced exactly inside (Catmull-Rom reproduces linear functions away from clamped edges).
    const ramp = bicubicUpsample(Float64Array.from([0, 1, 2, 3, 0, 1, 2, 3]), 2, 4, 2, 7);
    for (let x = 2; x <= 4; x++) expect(ramp[x]).toBeCloseTo(x / 2, 12);

    const f = elasticField(64, 64, new Rng(5), { sigma: 10, grid: 3 });
    let maxStep = 0;
    let sq = 0;
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 63; x++) {
        maxStep = Math.max(maxStep, Math.abs(f.dx[y * 64 + x + 1] - f.dx[y * 64 + x]));
        sq += f.dx[y * 64 + x] ** 2;
      }
    expect(maxStep).toBeLessThan(3); // smooth: neighbours move together
    expect(Math.sqrt(sq / (64 * 63))).toBeGreaterThan(0.5); // but it does move
  });
});

describe("photometric transforms", () => {
  it("touch the image only: brightness shifts, contrast keeps the mean, noise has the std", () => {
    const s = randomSample(2, 2, 32, 32);
    const rng = new Rng(4);
    const b = randomBrightness(0.2)(s, rng);
    const shift = b.image.data[0] - s.image.data[0];
    expect(Math.abs(shift)).toBeLessThanOrEqual(0.2);
    for (let i = 0; i < s.image.size; i++) expect(b.image.data[i] - s.image.data[i]).toBeCloseTo(shift, 5);
    const c = randomContrast(0.5)(s, rng);
    for (let ch = 0; ch < 2; ch++) {
      let m0 = 0;
      let m1 = 0;
      for (let i = ch * 1024; i < (ch + 1) * 1024; i++) {
        m0 += s.image.data[i];
        m1 += c.image.data[i];
      }
      expect(m1 / 1024).toBeCloseTo(m0 / 1024, 5);
    }
    const n = randomGaussianNoise(0.1)(s, rng);
    let sq = 0;
    for (let i = 0; i < s.image.size; i++) sq += (n.image.data[i] - s.image.data[i]) ** 2;
    expect(Math.sqrt(sq / s.image.size)).toBeGreaterThan(0.09);
    expect(Math.sqrt(sq / s.image.size)).toBeLessThan(0.11);
    for (const out of [b, c, n]) expect(out.mask).toBe(s.mask);
  });
});

describe("pipelines", () => {
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
