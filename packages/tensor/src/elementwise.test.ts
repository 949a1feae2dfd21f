import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ArgumentError,
  Rng,
  ShapeError,
  Tensor,
  add,
  addInPlace,
  axpyInPlace,
  broadcastShapes,
  div,
  fromArray,
  mul,
  mulInPlace,
  randn,
  scale,
  scaleInPlace,
  sub,
  subInPlace,
  zeros,
} from "./index.js";

/** Brute-force broadcast oracle: reads each operand through an explicit multi-index. */
function oracle(a: Tensor, b: Tensor, f: (x: number, y: number) => number): { shape: number[]; values: number[] } {
  const rank = Math.max(a.rank, b.rank);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a.shape[i - (rank - a.rank)] ?? 1;
    const db = b.shape[i - (rank - b.rank)] ?? 1;
    shape.push(Math.max(da, db));
  }
  const size = shape.reduce((x, y) => x * y, 1);
  const values: number[] = [];
  for (let flat = 0; flat < size; flat++) {
    const idx: number[] = [];
    let r = flat;
    for (let i = rank - 1; i >= 0; i--) {
      idx[i] = r % shape[i];
      r = Math.floor(r / shape[i]);
    }
    const pick = (t: Tensor) => t.get(...idx.slice(rank - t.rank).map((k, i) => (t.shape[i] === 1 ? 0 : k)));
    values.push(f(pick(a), pick(b)));
  }
  return { shape, values };
}

/** Two shapes that broadcast: derived from one shape by dropping leading axes and setting sizes to 1. */
const broadcastPair = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 })
  .chain((full) =>
    fc.tuple(
      fc.constant(full),
      fc.integer({ min: 0, max: full.length }),
      fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      fc.boolean(),
    ),
  )
  .map(([full, drop, onesA, onesB, swap]) => {
    const a = full.map((d, i) => (onesA[i] ? 1 : d));
    const b = full.map((d, i) => (onesB[i] ? 1 : d)).slice(drop);
    return swap ? [b, a] : [a, b];
  });

describe("elementwise ops", () => {
  it("same-shape add/sub/mul/div/scale", () => {
    const a = fromArray([[1, 2], [3, 4]]);
    const b = fromArray([[10, 20], [30, 40]]);
    expect(add(a, b).toArray()).toEqual([11, 22, 33, 44]);
    expect(sub(a, b).toArray()).toEqual([-9, -18, -27, -36]);
    expect(mul(a, b).toArray()).toEqual([10, 40, 90, 160]);
    expect(div(b, a).toArray()).toEqual([10, 10, 10, 10]);
    expect(scale(a, -2).toArray()).toEqual([-2, -4, -6, -8]);
    expect(add(a, 1).toArray()).toEqual([2, 3, 4, 5]);
    expect(a.toArray()).toEqual([1, 2, 3, 4]);
  });

  it("broadcasts like PyTorch (bias over NCHW channels)", () => {
    const x = zeros([2, 3, 2, 2]);
    const bias = fromArray([1, 2, 3]).reshape([1, 3, 1, 1]);
    const y = add(x, bias);
    expect(y.shape).toEqual([2, 3, 2, 2]);
    expect(y.get(1, 2, 1, 0)).toBe(3);
    expect(add(fromArray([[1], [2]]), fromArray([10, 20, 30])).toNested()).toEqual([
      [11, 21, 31],
      [12, 22, 32],
    ]);
  });

  it("matches a brute-force broadcast oracle on random shapes", () => {
    fc.assert(
      fc.property(broadcastPair, fc.integer({ min: 0, max: 1000 }), ([sa, sb], seed) => {
        const rng = new Rng(seed);
        const a = randn(sa, rng, { dtype: "float64" });
        const b = randn(sb, rng, { dtype: "float64" });
        for (const [f, g] of [
          [add, (x: number, y: number) => x + y],
          [sub, (x: number, y: number) => x - y],
          [mul, (x: number, y: number) => x * y],
          [div, (x: number, y: number) => x / y],
        ] as const) {
          const got = f(a, b);
          const want = oracle(a, b, g);
          expect(got.shape).toEqual(want.shape);
          expect(got.toArray()).toEqual(want.values);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("in-place ops match their out-of-place versions when b broadcasts to a", () => {
    fc.assert(
      fc.property(broadcastPair, fc.integer({ min: 0, max: 1000 }), fc.double({ min: -3, max: 3, noNaN: true }), ([sa, sb], seed, alpha) => {
        const full = broadcastShapes(sa, sb);
        const rng = new Rng(seed);
        const a = randn(full, rng, { dtype: "float64" });
        const b = randn(sb, rng, { dtype: "float64" });
        expect(addInPlace(a.clone(), b).toArray()).toEqual(add(a, b).toArray());
        expect(subInPlace(a.clone(), b).toArray()).toEqual(sub(a, b).toArray());
        expect(mulInPlace(a.clone(), b).toArray()).toEqual(mul(a, b).toArray());
        const y = a.clone();
        expect(axpyInPlace(y, alpha, b)).toBe(y);
        expect(y.toArray()).toEqual(oracle(a, b, (p, q) => p + alpha * q).values);
      }),
      { numRuns: 150 },
    );
  });

  it("scaleInPlace and scalar in-place forms", () => {
    const x = fromArray([1, 2, 3], { dtype: "float64" });
    expect(scaleInPlace(x, 3)).toBe(x);
    expect(x.toArray()).toEqual([3, 6, 9]);
    addInPlace(x, 1);
    expect(x.toArray()).toEqual([4, 7, 10]);
    mulInPlace(x, 0.5);
    expect(x.toArray()).toEqual([2, 3.5, 5]);
  });

  it("float32 results are rounded to float32", () => {
    const a = fromArray([0.1]);
    const b = fromArray([0.2]);
    expect(add(a, b).data[0]).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
  });

  it("refuses shapes that do not broadcast, naming the op and both shapes", () => {
    expect(() => add(zeros([2, 3]), zeros([4]))).toThrow(ShapeError);
    expect(() => add(zeros([2, 3]), zeros([4]))).toThrow(/^add: shapes \[2,3\] and \[4\] do not broadcast/);
    expect(() => mul(zeros([2, 3]), zeros([3, 2]))).toThrow(/mul: shapes \[2,3\] and \[3,2\]/);
  });

  it("refuses an in-place op that would change the shape of a", () => {
    expect(() => addInPlace(zeros([3]), zeros([2, 3]))).toThrow(/addInPlace: b \[2,3\] broadcasts a \[3\] to \[2,3\]/);
    expect(() => axpyInPlace(zeros([2]), 1, zeros([3]))).toThrow(/axpyInPlace: shapes \[2\] and \[3\]/);
  });

  it("refuses mixed dtypes and non-tensor arguments", () => {
    expect(() => add(zeros([2]), zeros([2], "float64"))).toThrow(ArgumentError);
    expect(() => sub(zeros([2]), zeros([2], "float64"))).toThrow(/sub: dtypes differ \(float32 \[2\] and float64 \[2\]\)/);
    expect(() => add([1, 2] as unknown as Tensor, zeros([2]))).toThrow(/add: a must be a Tensor/);
    expect(() => scale(zeros([2]), "2" as unknown as number)).toThrow(/scale: s must be a number/);
  });

  it("handles empty tensors and scalars", () => {
    expect(add(zeros([0, 3]), zeros([3])).shape).toEqual([0, 3]);
    expect(add(fromArray(2), fromArray(3)).item()).toBe(5);
    expect(add(fromArray(2), fromArray([1, 2])).toArray()).toEqual([3, 4]);
  });
});
