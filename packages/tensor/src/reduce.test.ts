import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArgumentError, Rng, ShapeError, Tensor, argmax, fromArray, max, mean, randn, sum, zeros } from "./index.js";

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i];
    flat = Math.floor(flat / shape[i]);
  }
  return idx;
}

/** Brute-force reduction: groups elements by their index with the reduced axes removed. */
function oracle(t: Tensor, axes: number[], f: (vals: number[]) => number): Map<string, number> {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < t.size; i++) {
    const idx = unravel(i, t.shape);
    const key = idx.filter((_, d) => !axes.includes(d)).join(",");
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(t.data[i]);
  }
  const out = new Map<string, number>();
  for (const [k, v] of groups) out.set(k, f(v));
  return out;
}

function asMap(t: Tensor): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < t.size; i++) m.set(unravel(i, t.shape).join(","), t.data[i]);
  return m;
}

const shapeAndAxes = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 })
  .chain((shape) => fc.tuple(fc.constant(shape), fc.subarray(shape.map((_, i) => i), { minLength: 1 })));

describe("reductions", () => {
  it("sum / mean / max over examples", () => {
    const x = fromArray([[1, 2, 3], [4, 5, 6]]);
    expect(sum(x).item()).toBe(21);
    expect(sum(x).shape).toEqual([]);
    expect(sum(x, 0).toArray()).toEqual([5, 7, 9]);
    expect(sum(x, -1).toArray()).toEqual([6, 15]);
    expect(sum(x, 1, { keepDims: true }).shape).toEqual([2, 1]);
    expect(sum(x, undefined, { keepDims: true }).shape).toEqual([1, 1]);
    expect(mean(x, 1).toArray()).toEqual([2, 5]);
    expect(mean(x).item()).toBe(3.5);
    expect(max(x, 0).toArray()).toEqual([4, 5, 6]);
    expect(max(x).item()).toBe(6);
    expect(sum(zeros([2, 3, 4, 5]), [0, 2, 3]).shape).toEqual([3]);
    expect(sum(x, []).toNested()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it("match brute-force reductions over random shapes and axes", () => {
    fc.assert(
      fc.property(shapeAndAxes, fc.boolean(), fc.integer({ min: 0, max: 10000 }), ([shape, axes], keepDims, seed) => {
        const t = randn(shape, new Rng(seed), { dtype: "float64" });
        const want = {
          sum: oracle(t, axes, (v) => v.reduce((a, b) => a + b, 0)),
          max: oracle(t, axes, (v) => Math.max(...v)),
        };
        const s = sum(t, axes);
        const m = max(t, axes);
        const expectedShape = shape.filter((_, d) => !axes.includes(d));
        expect(s.shape).toEqual(expectedShape);
        for (const [k, v] of asMap(s)) expect(v).toBeCloseTo(want.sum.get(k)!, 12);
        for (const [k, v] of asMap(m)) expect(v).toBe(want.max.get(k));
        const mn = mean(t, axes, { keepDims });
        const count = axes.reduce((a, d) => a * shape[d], 1);
        expect(mn.shape).toEqual(shape.map((d, i) => (axes.includes(i) ? (keepDims ? 1 : -1) : d)).filter((d) => d >= 0));
        const flatMean = mean(t, axes);
        for (const [k, v] of asMap(flatMean)) expect(v).toBeCloseTo(want.sum.get(k)! / count, 12);
      }),
      { numRuns: 200 },
    );
  });

  it("argmax matches a brute-force first-maximum over random shapes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.integer({ min: 0, max: 10000 }),
        (shape, axisPick, seed) => {
          const axis = axisPick % shape.length;
          const rng = new Rng(seed);
          // small integers so ties happen often
          const t = new Tensor("float32", shape);
          for (let i = 0; i < t.size; i++) t.data[i] = rng.int(0, 3);
          const got = asMap(argmax(t, axis));
          const groups = new Map<string, number>();
          const best = new Map<string, number>();
          for (let i = 0; i < t.size; i++) {
            const idx = unravel(i, shape);
            const key = idx.filter((_, d) => d !== axis).join(",");
            if (!best.has(key) || t.data[i] > best.get(key)!) {
              best.set(key, t.data[i]);
              groups.set(key, idx[axis]);
            }
          }
          expect(got).toEqual(groups);
          // whole-tensor argmax: flat index of the first maximum
          let bi = 0;
          for (let i = 1; i < t.size; i++) if (t.data[i] > t.data[bi]) bi = i;
          expect(argmax(t).item()).toBe(bi);
          expect(argmax(t, axis, { keepDims: true }).shape).toEqual(shape.map((d, i) => (i === axis ? 1 : d)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("argmax over the channels of NCHW logits", () => {
    const logits = zeros([1, 3, 1, 2]);
    logits.set(5, 0, 2, 0, 0);
    logits.set(5, 0, 1, 0, 1);
    expect(argmax(logits, 1).toNested()).toEqual([[[2, 1]]]);
  });

  it("NaN propagates through max and wins argmax, as in PyTorch", () => {
    const x = fromArray([[1, NaN, 3], [NaN, 5, NaN]]);
    expect(max(x, 1).toArray()).toEqual([NaN, NaN]);
    expect(max(x, 0).toArray()).toEqual([NaN, NaN, NaN]);
    expect(argmax(x, 1).toArray()).toEqual([1, 0]);
    expect(argmax(x, 0).toArray()).toEqual([1, 0, 1]);
    expect(argmax(x).item()).toBe(1);
  });

  it("float32 sums are accumulated in float64 and rounded once", () => {
    const x = new Tensor("float32", [1 << 16]).fill(0.1);
    expect(sum(x).item()).toBe(Math.fround(Math.fround(0.1) * (1 << 16)));
  });

  it("handles empty reductions like PyTorch", () => {
    expect(sum(zeros([0, 3]), 0).toArray()).toEqual([0, 0, 0]);
    expect(mean(zeros([0, 3]), 0).toArray()).toEqual([NaN, NaN, NaN]);
    expect(() => max(zeros([0, 3]), 0)).toThrow(/max: cannot reduce over an empty axis \(shape \[0,3\]\)/);
    expect(() => argmax(zeros([0]))).toThrow(ShapeError);
    expect(max(zeros([3, 0]), 0).shape).toEqual([0]);
  });

  it("refuses bad axes, naming the op and the shape", () => {
    expect(() => sum(zeros([2, 3]), 2)).toThrow(/sum: axis 2 is out of range for a tensor of rank 2/);
    expect(() => mean(zeros([2, 3]), [0, -2])).toThrow(/mean: axis -2 is listed twice/);
    expect(() => argmax(zeros([2, 3]), [0, 1] as unknown as number)).toThrow(ArgumentError);
    expect(() => max(zeros([2]), 0.5)).toThrow(ArgumentError);
  });
});
