import { describe, expect, it } from "vitest";
import {
  ArgumentError,
  arange,
  narrow,
  slice,
} from "./index.js";

describe("slice / narrow", () => {
  it("slice bounds: negative from the end, strict range", () => {
    const x = arange(0, 10);
    expect(slice(x, 0, 2, 5).toArray()).toEqual([2, 3, 4]);
    expect(slice(x, 0, -2).toArray()).toEqual([8, 9]);
    expect(slice(x, 0, 3, 3).shape).toEqual([0]);
    expect(() => slice(x, 0, 0, 11)).toThrow(/slice: end 11 is out of range for axis 0 of size 10 \(shape \[10\]\)/);
    expect(() => slice(x, 0, 5, 2)).toThrow(/start 5 is after end 2/);
    expect(() => slice(x, 1, 0, 1)).toThrow(ArgumentError);
  });

  it("narrow crops several axes (U-Net center crop)", () => {
    const x = arange(0, 2 * 3 * 6 * 6, 1, "float64").reshape([2, 3, 6, 6]);
    const y = narrow(x, [null, [1, 3], [1, 5], [2, 4]]);
    expect(y.shape).toEqual([2, 2, 4, 2]);
    expect(y.get(1, 1, 3, 1)).toBe(x.get(1, 2, 4, 3));
    const whole = narrow(x, []);
    expect(whole).not.toBe(x);
    expect(whole.toArray()).toEqual(x.toArray());
  });
});
