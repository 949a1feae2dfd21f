import { Rng } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";
import { randomBrightness, randomContrast, randomGaussianNoise } from "./photometric.js";
import { randomSample } from "./__fixtures__/samples.js";

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
