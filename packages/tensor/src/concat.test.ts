import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ArgumentError,
  Rng,
  ShapeError,
  Tensor,
  arange,
  concat,
  fromArray,
  randn,
  slice,
  split,
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

describe("concat", () => {
  it("channel concat of NCHW tensors", () => {
    const a = arange(0, 8).reshape([2, 1, 2, 2]);
    const b = arange(100, 116).reshape([2, 2, 2, 2]);
    const c = concat([a, b], 1);
    expect(c.shape).toEqual([2, 3, 2, 2]);
    expect(c.get(1, 0, 1, 1)).toBe(a.get(1, 0, 1, 1));
    expect(c.get(1, 2, 0, 1)).toBe(b.get(1, 1, 0, 1));
  });

  it("concat matches a per-element oracle and split inverts it", () => {
    fc.assert(
      fc.property(
        shapeArb,
        fc.nat(),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 10000 }),
        (shape, axisPick, sizes, seed) => {
          const axis = axisPick % shape.length;
          const rng = new Rng(seed);
          const parts = sizes.map((s) => randn(shape.map((d, i) => (i === axis ? s : d)), rng));
          const c = concat(parts, axis - shape.length); // negative axis
          const total = sizes.reduce((a, b) => a + b, 0);
          expect(c.shape).toEqual(shape.map((d, i) => (i === axis ? total : d)));
          for (let i = 0; i < c.size; i++) {
            const idx = unravel(i, c.shape);
            let k = idx[axis];
            let p = 0;
            while (k >= sizes[p]) k -= sizes[p++];
            idx[axis] = k;
            expect(c.data[i]).toBe(parts[p].get(...idx));
          }
          const back = split(c, sizes, axis);
          expect(back.map((t) => t.shape)).toEqual(parts.map((t) => t.shape));
          back.forEach((t, i) => expect(t.toArray()).toEqual(parts[i].toArray()));
          // slices give the same pieces
          let at = 0;
          sizes.forEach((s, i) => {
            expect(slice(c, axis, at, at + s).toArray()).toEqual(parts[i].toArray());
            at += s;
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("concat refuses mismatched inputs, naming the shapes", () => {
    expect(() => concat([zeros([2, 3, 4, 4]), zeros([2, 3, 5, 4])], 1)).toThrow(
      /concat: sizes differ on axis 2 \(shapes \[2,3,4,4\], \[2,3,5,4\], concatenating on axis 1\)/,
    );
    expect(() => concat([zeros([2]), zeros([2, 1])], 0)).toThrow(ShapeError);
    expect(() => concat([zeros([2]), zeros([2], "float64")], 0)).toThrow(/concat: dtypes differ/);
    expect(() => concat([], 0)).toThrow(ArgumentError);
    expect(() => concat([zeros([2])], 1)).toThrow(/axis 1 is out of range/);
  });

  it("concat keeps the dtype and copies data", () => {
    const a = fromArray([1, 2], { dtype: "float64" });
    const c = concat([a], 0);
    expect(c).toBeInstanceOf(Tensor);
    expect(c.dtype).toBe("float64");
    c.data[0] = 9;
    expect(a.data[0]).toBe(1);
  });
});
