import { Rng, ShapeError, Tensor } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeChannelStats, normalizeImages } from "./channel-stats.js";

describe("computeChannelStats / normalizeImages", () => {
  it("agrees with a brute-force mean and population std per channel", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer(),
        (n, c, hw, seed) => {
          const images = new Tensor("float64", [n, c, hw, hw]);
          new Rng(seed).fillNormal(images.data, 3, 2);
          const stats = computeChannelStats(images);
          for (let ch = 0; ch < c; ch++) {
            const vals: number[] = [];
            for (let i = 0; i < n; i++) for (let p = 0; p < hw * hw; p++) vals.push(images.get(i, ch, Math.floor(p / hw), p % hw));
            const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
            const variance = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length;
            expect(stats.mean[ch]).toBeCloseTo(mean, 10);
            expect(stats.std[ch]).toBeCloseTo(Math.sqrt(variance), 10);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it("normalizeImages gives mean 0 and std 1 per channel, for batches and single images", () => {
    const images = new Tensor("float32", [6, 2, 3, 3]);
    new Rng(1).fillNormal(images.data, 5, 3);
    const stats = computeChannelStats(images);
    const after = computeChannelStats(normalizeImages(images, stats));
    for (let ch = 0; ch < 2; ch++) {
      expect(after.mean[ch]).toBeCloseTo(0, 5);
      expect(after.std[ch]).toBeCloseTo(1, 5);
    }
    const one = normalizeImages(new Tensor("float32", [2, 1, 1], Float32Array.from([1, 1])), { mean: [1, 0], std: [2, 4] });
    expect(Array.from(one.data)).toEqual([0, 0.25]);
    expect(() => normalizeImages(images, { mean: [0], std: [1] })).toThrow(ShapeError);
    expect(() => computeChannelStats(new Tensor("float32", [2, 2]))).toThrow(/expected images \[N,C,H,W\] \(got \[2,2\]\)/);
  });
});
