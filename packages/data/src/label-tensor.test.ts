import { ArgumentError, ShapeError } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";
import { checkLabelTensor, labelTensor } from "./label-tensor.js";

describe("labelTensor", () => {
  it("creates zero-filled or wraps Int32 data of the right length", () => {
    expect(labelTensor([2, 3]).data).toEqual(new Int32Array(6));
    const data = Int32Array.from([1, 2]);
    const l = labelTensor([2], data);
    expect(l.data).toBe(data);
    expect(l.shape).toEqual([2]);
    expect(() => labelTensor([3], data)).toThrow(ShapeError);
    expect(() => labelTensor([2], new Float32Array(2) as never)).toThrow(ArgumentError);
  });

  it("checkLabelTensor accepts plain objects and refuses wrong data", () => {
    expect(() => checkLabelTensor("t", { shape: [2], data: Int32Array.from([0, 1]) })).not.toThrow();
    expect(() => checkLabelTensor("t", { shape: [3], data: Int32Array.from([0, 1]) })).toThrow(/2 elements but shape \[3\] needs 3/);
    expect(() => checkLabelTensor("t", { shape: [2], data: [0, 1] })).toThrow(ArgumentError);
    expect(() => checkLabelTensor("t", null)).toThrow(ArgumentError);
  });
});
