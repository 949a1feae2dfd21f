import { ArgumentError, Tensor, fromArray } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectClose } from "./index.js";

describe("expectClose", () => {
  it("accepts tensors within atol + rtol * |expected| and refuses just beyond (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 20 }),
        fc.nat(19),
        (values, pick) => {
          const expected = fromArray(values, { shape: [values.length], dtype: "float64" });
          const i = pick % values.length;
          const allowed = 1e-8 + 1e-6 * Math.abs(values[i]);
          const inside = expected.clone();
          inside.data[i] += 0.5 * allowed;
          expectClose(inside, expected, { rtol: 1e-6, atol: 1e-8 });
          const outside = expected.clone();
          outside.data[i] += 2 * allowed;
          expect(() => expectClose(outside, expected, { rtol: 1e-6, atol: 1e-8 })).toThrow(
            new RegExp(`1 of ${values.length} elements differ; worst at \\[${i}\\]`),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("reports the worst element with its multi-index, values and errors, under the label", () => {
    const expected = fromArray([[[1, 2, 3], [4, 5, 6]]], { dtype: "float64" });
    const actual = expected.clone();
    actual.data[1] = 2.001; // small miss
    actual.data[4] = 5.5; // worst, at [0,1,1]
    expect(() => expectClose(actual, expected, { label: "Conv2D forward", rtol: 1e-6, atol: 0 })).toThrow(
      /^Conv2D forward: 2 of 6 elements differ; worst at \[0,1,1\]: actual 5.5 expected 5 \(abs error 0.500, rel error 0.100; rtol 0.000001, atol 0; shape \[1,2,3\]\)$/,
    );
  });

  it("reports a shape mismatch", () => {
    expect(() => expectClose(new Tensor("float32", [2, 3]), new Tensor("float32", [3, 2]), { label: "y" })).toThrow(
      /^y: shape mismatch: actual \[2,3\], expected \[3,2\]$/,
    );
    expect(() => expectClose(new Tensor("float32", [6]), new Tensor("float32", [2, 3]))).toThrow(/shape mismatch/);
  });

  it("never accepts NaN, accepts equal infinities", () => {
    const e = fromArray([1, Number.POSITIVE_INFINITY], { dtype: "float64" });
    expectClose(e.clone(), e);
    const nan = e.clone();
    nan.data[0] = Number.NaN;
    expect(() => expectClose(nan, e)).toThrow(/worst at \[0\]: actual NaN/);
    expect(() => expectClose(e, nan)).toThrow(/1 of 2 elements differ/);
    const negInf = e.clone();
    negInf.data[1] = Number.NEGATIVE_INFINITY;
    expect(() => expectClose(negInf, e)).toThrow(/worst at \[1\]/);
    const finite = e.clone();
    finite.data[1] = 1e300;
    expect(() => expectClose(finite, e)).toThrow(/worst at \[1\]: actual 1e\+300 expected Infinity/);
  });

  it("uses float32 tolerances when either side is float32, tight ones for float64", () => {
    const e64 = fromArray([1, 2, 3], { dtype: "float64" });
    const a = e64.clone();
    a.data[2] += 3e-6; // within 1e-6 + 1e-5 * 3, far outside float64 defaults
    expectClose(a.astype("float32"), e64);
    expectClose(a, e64.astype("float32"));
    expect(() => expectClose(a, e64)).toThrow(/rtol 1e-9, atol 1e-12/);
    expect(() => expectClose(a, e64, { rtol: -1 })).toThrow(ArgumentError);
  });
});
