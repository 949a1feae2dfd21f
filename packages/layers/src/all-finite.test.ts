import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allFinite } from "./all-finite.js";

describe("allFinite", () => {
  it("is true exactly when every element is finite (any length, any position of a NaN or an infinity, both dtypes)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e30, max: 1e30, noNaN: true }), { maxLength: 23 }),
        fc.option(fc.tuple(fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity))),
        fc.boolean(),
        (values, bad, f32) => {
          const d = f32 ? Float32Array.from(values) : Float64Array.from(values);
          if (bad !== null && d.length > 0) d[bad[0] % d.length] = bad[1];
          expect(allFinite(d)).toBe(Array.from(d).every(Number.isFinite));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is not fooled by values whose products with 0 cancel, nor by float32 overflow", () => {
    expect(allFinite(Float64Array.from([-0, 0, -0, 0, -0]))).toBe(true);
    expect(allFinite(Float64Array.from([Number.MAX_VALUE, -Number.MAX_VALUE, Number.MAX_VALUE, 1]))).toBe(true);
    expect(allFinite(Float32Array.from([3e38, 3e38, 3e38, 3e38, 3e38]))).toBe(true);
    expect(allFinite(Float32Array.from([1, 2, 3, 4, Infinity]))).toBe(false);
    expect(allFinite(Float64Array.from([Infinity, -Infinity, 1, 1]))).toBe(false);
  });
});
