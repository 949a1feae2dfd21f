import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ShapeError, allClose, fromArray, maxAbsDiff, maxRelDiff } from "./index.js";

const f64 = (v: number[]) => fromArray(v, { dtype: "float64" });

describe("allClose / maxAbsDiff / maxRelDiff", () => {
  it("uses torch's asymmetric rule |a-b| <= atol + rtol*|b|", () => {
    expect(allClose(f64([1, 2]), f64([1, 2 + 1e-7]))).toBe(true);
    expect(allClose(f64([1]), f64([1.1]), { rtol: 0, atol: 0.2 })).toBe(true);
    expect(allClose(f64([1]), f64([1.1]), { rtol: 0, atol: 0.05 })).toBe(false);
    // asymmetric: rtol is relative to b
    expect(allClose(f64([0]), f64([1]), { rtol: 1, atol: 0 })).toBe(true);
    expect(allClose(f64([1]), f64([0]), { rtol: 1, atol: 0 })).toBe(false);
  });

  it("agrees with the formula on random pairs", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (a, b, rtol, atol) => {
          expect(allClose(f64([a]), f64([b]), { rtol, atol })).toBe(Math.abs(a - b) <= atol + rtol * Math.abs(b));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("NaN is never close unless equalNan; equal infinities are", () => {
    expect(allClose(f64([NaN]), f64([NaN]))).toBe(false);
    expect(allClose(f64([NaN]), f64([NaN]), { equalNan: true })).toBe(true);
    expect(allClose(f64([1]), f64([NaN]), { equalNan: true })).toBe(false);
    expect(allClose(f64([Infinity]), f64([Infinity]))).toBe(true);
    expect(allClose(f64([Infinity]), f64([-Infinity]))).toBe(false);
    expect(allClose(f64([1e300]), f64([Infinity]))).toBe(false);
  });

  it("diff helpers", () => {
    expect(maxAbsDiff(f64([1, 2]), f64([1.5, 2]))).toBe(0.5);
    expect(maxAbsDiff(f64([]), f64([]))).toBe(0);
    expect(maxAbsDiff(f64([1, NaN]), f64([1, 2]))).toBeNaN();
    expect(maxAbsDiff(f64([Infinity]), f64([Infinity]))).toBe(0);
    expect(maxRelDiff(f64([100, 1]), f64([101, 1]))).toBeCloseTo(1 / 101, 15);
    expect(maxRelDiff(f64([0]), f64([1e-20]))).toBe(1e-20 / 1e-12);
    expect(maxRelDiff(f64([Infinity]), f64([1]))).toBe(Infinity);
    expect(maxRelDiff(f64([NaN]), f64([1]))).toBeNaN();
    // float32 against float64 compares values
    expect(maxAbsDiff(fromArray([0.1]), f64([0.1]))).toBe(Math.abs(Math.fround(0.1) - 0.1));
  });

  it("refuses different shapes", () => {
    expect(() => allClose(f64([1, 2]), f64([1]))).toThrow(ShapeError);
    expect(() => maxAbsDiff(f64([1, 2]), f64([1]))).toThrow(/maxAbsDiff: shapes differ \(\[2\] and \[1\]\)/);
  });
});
