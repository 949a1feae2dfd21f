import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ArgumentError,
  Rng,
  arange,
  fromArray,
  permute,
  randn,
  transpose,
  zeros,
} from "./index.js";

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i];
    flat = Math.floor(flat / shape[i]);
  }
  return idx;
}

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 });

describe("permute / transpose", () => {
  it("permutes NCHW to NHWC", () => {
    const x = arange(0, 24).reshape([1, 2, 3, 4]);
    const y = permute(x, [0, 2, 3, 1]);
    expect(y.shape).toEqual([1, 3, 4, 2]);
    expect(y.get(0, 2, 1, 1)).toBe(x.get(0, 1, 2, 1));
    expect(transpose(fromArray([[1, 2, 3], [4, 5, 6]]), 0, 1).toNested()).toEqual([[1, 4], [2, 5], [3, 6]]);
  });

  it("y[idx] = x[idx permuted back] for random shapes and permutations", () => {
    fc.assert(
      fc.property(shapeArb, fc.integer({ min: 0, max: 10000 }), (shape, seed) => {
        const rng = new Rng(seed);
        const perm = rng.permutation(shape.length);
        const x = randn(shape, rng, { dtype: "float64" });
        const y = permute(x, perm);
        expect(y.shape).toEqual(perm.map((p) => shape[p]));
        for (let i = 0; i < y.size; i++) {
          const idx = unravel(i, y.shape);
          const src: number[] = [];
          perm.forEach((p, k) => (src[p] = idx[k]));
          expect(y.data[i]).toBe(x.get(...src));
        }
        // inverse permutation restores x
        const inv: number[] = [];
        perm.forEach((p, k) => (inv[p] = k));
        expect(permute(y, inv).toArray()).toEqual(x.toArray());
      }),
      { numRuns: 150 },
    );
  });

  it("returns a copy and refuses bad axes", () => {
    const x = zeros([2, 3]);
    const y = permute(x, [0, 1]);
    y.data[0] = 1;
    expect(x.data[0]).toBe(0);
    expect(() => permute(zeros([2, 3]), [0])).toThrow(/permute: axes \[0\] must list each of the 2 axes of \[2,3\] once/);
    expect(() => permute(zeros([2, 3]), [1, -1])).toThrow(/repeat an axis/);
    expect(() => transpose(zeros([2, 3]), 0, 2)).toThrow(ArgumentError);
  });
});
