import { fromArray } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";
import { normRelativeError } from "./norm-relative-error.js";

describe("normRelativeError", () => {
  it("is ||a - e|| / ||e||", () => {
    expect(normRelativeError(fromArray([3, 4.5]), fromArray([3, 4]))).toBeCloseTo(0.1, 7);
    expect(normRelativeError(fromArray([1, 2]), fromArray([1, 2]))).toBe(0);
  });
  it("treats NaN and a zero reference explicitly", () => {
    expect(normRelativeError(fromArray([NaN]), fromArray([1]))).toBe(Infinity);
    expect(normRelativeError(fromArray([0, 0]), fromArray([0, 0]))).toBe(0);
    expect(normRelativeError(fromArray([1, 0]), fromArray([0, 0]))).toBe(Infinity);
  });
  it("refuses different shapes", () => {
    expect(() => normRelativeError(fromArray([1]), fromArray([1, 2]))).toThrow(/shapes differ/);
  });
});
