import { ArgumentError, Tensor } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { labelTensor } from "./label-tensor.js";
import { splitIndices, stratifiedIndices, takeSamples } from "./subset.js";

describe("subsets and splits", () => {
  it("takeSamples copies the chosen samples in order", () => {
    const images = new Tensor("float32", [4, 1, 2, 2]);
    for (let i = 0; i < 4; i++) images.data.fill(i, i * 4, i * 4 + 4);
    const masks = labelTensor([4, 2, 2], Int32Array.from({ length: 16 }, (_, k) => Math.floor(k / 4) * 10));
    const out = takeSamples(images, masks, [3, 1, 3]);
    expect(out.images.shape).toEqual([3, 1, 2, 2]);
    expect(Array.from(out.images.data)).toEqual([3, 3, 3, 3, 1, 1, 1, 1, 3, 3, 3, 3]);
    expect(Array.from(out.labels.data)).toEqual([30, 30, 30, 30, 10, 10, 10, 10, 30, 30, 30, 30]);
    expect(() => takeSamples(images, masks, [4])).toThrow(/indices\[0\]/);
  });

  it("stratifiedIndices takes perClass of every class, distinct, deterministic", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 0, max: 3 }), fc.integer(), (ls, per, seed) => {
        const labels = labelTensor([ls.length], Int32Array.from(ls));
        const counts = new Map<number, number>();
        for (const c of ls) counts.set(c, (counts.get(c) ?? 0) + 1);
        if ([...counts.values()].some((k) => k < per)) {
          expect(() => stratifiedIndices(labels, per, seed)).toThrow(ArgumentError);
          return;
        }
        const idx = stratifiedIndices(labels, per, seed);
        expect(idx).toEqual(stratifiedIndices(labels, per, seed));
        expect(new Set(idx).size).toBe(idx.length);
        const got = new Map<number, number>();
        for (const i of idx) got.set(ls[i], (got.get(ls[i]) ?? 0) + 1);
        for (const c of counts.keys()) expect(got.get(c) ?? 0).toBe(per);
      }),
      { numRuns: 100 },
    );
  });

  it("splitIndices partitions 0..n-1", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer(), (n, f, seed) => {
        const { train, val } = splitIndices(n, f, seed);
        expect(val.length).toBe(Math.floor(n * f));
        expect([...train, ...val].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
      { numRuns: 100 },
    );
    expect(splitIndices(50, 0.2, 1)).toEqual(splitIndices(50, 0.2, 1));
    expect(splitIndices(50, 0.2, 1).val).not.toEqual(splitIndices(50, 0.2, 2).val);
  });
});
