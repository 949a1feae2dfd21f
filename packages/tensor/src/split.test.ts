import { describe, expect, it } from "vitest";
import {
  arange,
  split,
  zeros,
} from "./index.js";

describe("split", () => {
  it("split into a count of equal parts", () => {
    expect(split(arange(0, 6), 3, 0).map((t) => t.toArray())).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(() => split(arange(0, 6), 4, 0)).toThrow(/split: cannot split axis 0 of size 6 into 4 equal parts \(shape \[6\]\)/);
    expect(() => split(zeros([2, 5]), [2, 2], 1)).toThrow(/sizes \[2,2\] must be non-negative integers adding up to 5/);
  });
});
