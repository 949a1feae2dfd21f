// Test-only sample builders and assertions shared by the augmentation tests.
import { Rng, Tensor } from "@unetkit/tensor";
import fc from "fast-check";
import { expect } from "vitest";
import { labelTensor } from "../label-tensor.js";
import type { Sample } from "../sample.js";

/** A random sample: image values uniform, mask labels from `labels`. */
export function randomSample(seed: number, c: number, h: number, w: number, labels = [0, 1, 2]): Required<Sample> {
  const rng = new Rng(seed);
  const image = new Tensor("float32", [c, h, w]);
  rng.fillUniform(image.data);
  const mask = labelTensor([h, w]);
  for (let i = 0; i < h * w; i++) mask.data[i] = labels[rng.int(0, labels.length)];
  return { image, mask };
}

/** A blob image (smooth, piecewise) with its mask = image > 0.5 (binary). */
export function blobSample(seed: number, h: number, w: number): Required<Sample> {
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

export const dims = fc.record({
  c: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 9 }),
  w: fc.integer({ min: 1, max: 9 }),
  seed: fc.integer(),
});

export function sameSample(a: Sample, b: Sample): void {
  expect(a.image.shape).toEqual(b.image.shape);
  expect(Array.from(a.image.data)).toEqual(Array.from(b.image.data));
  expect(a.mask?.shape).toEqual(b.mask?.shape);
  expect(Array.from(a.mask?.data ?? [])).toEqual(Array.from(b.mask?.data ?? []));
}

/** Image and mask move together: every image channel 0 pixel equals its mask label. */
export function expectAligned(s: Sample): void {
  const m = s.mask!.data;
  for (let i = 0; i < m.length; i++) expect(s.image.data[i]).toBe(m[i]);
}

/** A sample whose image channel 0 is its mask (as float) and channel 1 is noise. */
export function labelImageSample(seed: number, h: number, w: number): Required<Sample> {
  const s = randomSample(seed, 2, h, w, [0, 3, 7]);
  for (let i = 0; i < h * w; i++) s.image.data[i] = s.mask.data[i];
  return s;
}

