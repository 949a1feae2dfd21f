import { ShapeError, Tensor, fromArray } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";
import { relativeError, relativeErrorStats } from "./index.js";

const t = (v: number[]) => fromArray(v, { shape: [v.length], dtype: "float64" });

describe("relativeError", () => {
  it("is max |a - e| / max(|e|, floor)", () => {
    expect(relativeError(t([1.0001, 2]), t([1, 2]))).toBeCloseTo(1e-4, 12);
    expect(relativeError(t([1, 2.002]), t([1, 2]))).toBeCloseTo(1e-3, 12);
    expect(relativeError(t([3, -4]), t([3, -4]))).toBe(0);
    expect(relativeError(new Tensor("float64", [0]), new Tensor("float64", [0]))).toBe(0);
  });

  it("uses a floor of 1e-3 * max|expected| by default so near-zero values do not blow up", () => {
    // expected 1e-9 next to 10: the denominator is 1e-2, not 1e-9.
    expect(relativeError(t([1e-9 + 1e-6, 10]), t([1e-9, 10]))).toBeCloseTo(1e-4, 10);
    expect(relativeError(t([1e-9 + 1e-6, 10]), t([1e-9, 10]), { floor: 1e-9 })).toBeCloseTo(1000, 6);
    // All-zero expected: the floor is the smallest positive double, so any difference is huge.
    expect(relativeError(t([1e-300, 0]), t([0, 0]))).toBeGreaterThan(1e20);
    expect(() => relativeError(t([1]), t([1]), { floor: -1 })).toThrow(/floor must be a non-negative number/);
  });

  it("counts NaN as infinitely wrong and refuses shape mismatches", () => {
    expect(relativeError(t([Number.NaN, 1]), t([1, 1]))).toBe(Number.POSITIVE_INFINITY);
    expect(() => relativeError(t([1, 2]), t([1, 2, 3]))).toThrow(ShapeError);
    expect(() => relativeError(t([1, 2]), t([1, 2, 3]))).toThrow(/^relativeError: shapes differ: actual \[2\], expected \[3\]/);
  });

  it("compares float32 with float64 data", () => {
    const e = t([0.1, 0.2, 0.3]);
    const r = relativeError(e.astype("float32"), e);
    expect(r).toBeGreaterThan(0);
    expect(r).toBeLessThan(2 ** -24);
  });
});

describe("relativeErrorStats", () => {
  it("gives max, mean, median and where the worst is", () => {
    const expected = fromArray([[1, 2], [4, 8]], { dtype: "float64" });
    const actual = fromArray([[1.01, 2], [4.4, 8.08]], { dtype: "float64" });
    const s = relativeErrorStats(actual, expected);
    expect(s.max).toBeCloseTo(0.1, 12);
    expect(s.mean).toBeCloseTo((0.01 + 0 + 0.1 + 0.01) / 4, 12);
    expect(s.median).toBeCloseTo(0.01, 12);
    expect(s.worst).toEqual({ index: [1, 0], actual: 4.4, expected: 4 });
    expect(s.floor).toBeCloseTo(8e-3, 15);
    expect(relativeErrorStats(new Tensor("float64", [0, 3]), new Tensor("float64", [0, 3])).worst).toBeNull();
  });
});
