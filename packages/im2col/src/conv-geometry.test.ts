import { ArgumentError, ShapeError } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { convGeometry, convOutputSize } from "./index.js";

/** Number of window positions along one axis, counted by sliding the window over the padded input. */
function bruteForceCount(size: number, kernel: number, stride: number, padding: number, dilation: number): number {
  const padded = size + 2 * padding;
  let count = 0;
  for (let start = 0; start + dilation * (kernel - 1) <= padded - 1; start += stride) count++;
  return count;
}

describe("convOutputSize", () => {
  it("matches a brute-force count of window positions (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        (size, kernel, stride, padding, dilation) => {
          const count = bruteForceCount(size, kernel, stride, padding, dilation);
          if (count === 0) {
            expect(() => convOutputSize(size, kernel, stride, padding, dilation, "Conv2D")).toThrow(ShapeError);
          } else {
            expect(convOutputSize(size, kernel, stride, padding, dilation)).toBe(count);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("gives PyTorch's sizes on known cases", () => {
    expect(convOutputSize(64, 3, 1, 1, 1)).toBe(64);
    expect(convOutputSize(64, 2, 2, 0, 1)).toBe(32);
    expect(convOutputSize(7, 3, 2, 0, 2)).toBe(2);
    expect(convOutputSize(5, 3, 2, 1, 1)).toBe(3);
    expect(convOutputSize(1, 1, 1, 0, 1)).toBe(1);
  });

  it("throws a ShapeError naming the op and the sizes when the kernel is too large", () => {
    expect(() => convOutputSize(2, 5, 1, 0, 1, "Conv2D")).toThrow(ShapeError);
    expect(() => convOutputSize(2, 5, 1, 0, 1, "Conv2D")).toThrow(
      /^Conv2D: kernel larger than the padded input: input 2 \+ 2\*padding 0 = 2 < kernel extent 5/,
    );
    expect(() => convOutputSize(3, 2, 1, 0, 3)).toThrow(/^conv: .*kernel extent 4 \(kernel 2, dilation 3\)/);
  });

  it("refuses non-integer or out-of-range arguments with an ArgumentError", () => {
    expect(() => convOutputSize(0, 1, 1, 0, 1)).toThrow(ArgumentError);
    expect(() => convOutputSize(4, 0, 1, 0, 1)).toThrow(/kernel size must be a positive integer \(got 0\)/);
    expect(() => convOutputSize(4, 1, 0, 0, 1)).toThrow(/stride/);
    expect(() => convOutputSize(4, 1, 1, -1, 1)).toThrow(/padding must be a non-negative integer/);
    expect(() => convOutputSize(4, 1, 1, 0, 1.5)).toThrow(/dilation/);
    expect(() => convOutputSize(Number.NaN, 1, 1, 0, 1)).toThrow(ArgumentError);
  });
});

describe("convGeometry", () => {
  it("expands numbers and pairs, applies defaults", () => {
    expect(convGeometry("Conv2D", [8, 16, 32, 32], { kernelSize: 3, padding: 1 })).toEqual({
      channels: 16,
      height: 32,
      width: 32,
      kernelH: 3,
      kernelW: 3,
      strideH: 1,
      strideW: 1,
      padH: 1,
      padW: 1,
      dilationH: 1,
      dilationW: 1,
      outH: 32,
      outW: 32,
    });
    const g = convGeometry("x", [1, 2, 9, 10], { kernelSize: [3, 1], stride: [2, 3], padding: [0, 2], dilation: [2, 1] });
    expect([g.kernelH, g.kernelW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW]).toEqual([
      3, 1, 2, 3, 0, 2, 2, 1,
    ]);
    expect([g.outH, g.outW]).toEqual([convOutputSize(9, 3, 2, 0, 2), convOutputSize(10, 1, 3, 2, 1)]);
    expect(convGeometry("x", [0, 1, 4, 4], { kernelSize: 2 }).outH).toBe(3);
  });

  it("names the op, the axis and the input shape when the window does not fit", () => {
    expect(() => convGeometry("MaxPool2D", [2, 3, 1, 8], { kernelSize: 2 })).toThrow(
      /^MaxPool2D: kernel larger than the padded input along height: .* \(input \[2,3,1,8\]\)$/,
    );
    expect(() => convGeometry("Conv2D", [2, 3, 8, 2], { kernelSize: [1, 3] })).toThrow(/along width/);
    expect(() => convGeometry("Conv2D", [2, 3, 8, 2], { kernelSize: [1, 3] })).toThrow(ShapeError);
  });

  it("refuses bad input shapes with a ShapeError", () => {
    expect(() => convGeometry("Conv2D", [3, 8, 8], { kernelSize: 3 })).toThrow(/^Conv2D: input must be 4-D NCHW \(got \[3,8,8\]\)/);
    expect(() => convGeometry("Conv2D", [1, 0, 8, 8], { kernelSize: 1 })).toThrow(ShapeError);
    expect(() => convGeometry("Conv2D", [1, 2, 8.5, 8], { kernelSize: 1 })).toThrow(/\[1,2,8.5,8\]/);
    expect(() => convGeometry("Conv2D", [-1, 2, 8, 8], { kernelSize: 1 })).toThrow(ShapeError);
  });

  it("refuses bad options with an ArgumentError naming the op and the option", () => {
    const s = [1, 1, 8, 8];
    const bad: [unknown, RegExp][] = [
      [{}, /^Conv2D: kernelSize is required/],
      [{ kernelSize: 0 }, /kernelSize must be a positive integer \(got 0\)/],
      [{ kernelSize: [3, 0] }, /kernelSize\[1\] must be a positive integer/],
      [{ kernelSize: [3, 3, 3] }, /kernelSize must be a number or a \[height, width\] pair/],
      [{ kernelSize: "3" }, /kernelSize must be a number or a \[height, width\] pair/],
      [{ kernelSize: 3, stride: 0 }, /stride must be a positive integer/],
      [{ kernelSize: 3, stride: 1.5 }, /stride must be a positive integer/],
      [{ kernelSize: 3, padding: -1 }, /padding must be a non-negative integer \(got -1\)/],
      [{ kernelSize: 3, padding: [0, -2] }, /padding\[1\]/],
      [{ kernelSize: 3, dilation: 0 }, /dilation must be a positive integer/],
      [{ kernelSize: 3, pad: 1 }, /unknown option "pad"/],
      [null, /options must be an object/],
    ];
    for (const [options, message] of bad) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      expect(() => convGeometry("Conv2D", s, options as any)).toThrow(ArgumentError);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      expect(() => convGeometry("Conv2D", s, options as any)).toThrow(message);
    }
  });
});
