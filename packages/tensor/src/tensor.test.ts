import { describe, expect, it } from "vitest";
import { ArgumentError, ShapeError, Tensor, fromArray, zeros } from "./index.js";

describe("Tensor", () => {
  it("reshape shares data and infers -1", () => {
    const x = fromArray([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
    const y = x.reshape([3, -1]);
    expect(y.shape).toEqual([3, 2]);
    y.data[0] = 9;
    expect(x.get(0, 0)).toBe(9);
  });

  it("refuses a reshape to another size, naming both shapes", () => {
    expect(() => zeros([2, 3]).reshape([4, 2])).toThrow(/reshape: cannot reshape \[2,3\] \(6 elements\) to \[4,2\]/);
    expect(() => zeros([2, 3]).reshape([4, 2])).toThrow(ShapeError);
  });

  it("refuses data of the wrong length or dtype", () => {
    expect(() => new Tensor("float32", [2, 2], new Float32Array(3))).toThrow(/data has 3 elements but shape \[2,2\] needs 4/);
    expect(() => new Tensor("float32", [1], new Float64Array(1))).toThrow(ArgumentError);
  });

  it("get/set check bounds", () => {
    const x = zeros([2, 2]);
    x.set(5, 1, 1);
    expect(x.get(1, 1)).toBe(5);
    expect(() => x.get(2, 0)).toThrow(/out of bounds for shape \[2,2\]/);
    expect(() => x.get(0)).toThrow(/has rank 2/);
  });

  it("fromArray infers nested shapes and refuses ragged input", () => {
    expect(fromArray([[1, 2], [3, 4]]).toNested()).toEqual([[1, 2], [3, 4]]);
    expect(() => fromArray([[1, 2], [3]])).toThrow(/ragged/);
  });

  it("astype converts with float32 rounding", () => {
    const x = fromArray([0.1], { dtype: "float64" });
    expect(x.astype("float32").data[0]).toBe(Math.fround(0.1));
  });
});
