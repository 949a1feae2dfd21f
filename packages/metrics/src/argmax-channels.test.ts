import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, ShapeError, Tensor, fromArray } from "@unetkit/tensor";
import { argmaxChannels } from "./argmax-channels.js";
import { formatPosition } from "./label-mask.js";

describe("argmaxChannels", () => {
  it("matches a per-pixel brute force, first maximum wins (property)", () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 0, max: 3 }),
          c: fc.integer({ min: 1, max: 5 }),
          spatial: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }),
        }),
        fc.integer(),
        ({ n, c, spatial }, seed) => {
          const s = spatial.reduce((a, b) => a * b, 1);
          let state = seed >>> 0;
          const data = new Float64Array(n * c * s).map(() => {
            state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
            return (state >>> 28) - 8; // 16 values: frequent ties
          });
          const logits = new Tensor("float64", [n, c, ...spatial], data);
          const out = argmaxChannels(logits);
          expect(out.shape).toEqual([n, ...spatial]);
          for (let b = 0; b < n; b++) {
            for (let i = 0; i < s; i++) {
              const scores = Array.from({ length: c }, (_, k) => data[(b * c + k) * s + i]);
              expect(out.data[b * s + i]).toBe(scores.indexOf(Math.max(...scores)));
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("works on the documented example and on infinities", () => {
    const logits = fromArray([[[[0.1, 2]], [[0.5, -1]]]]);
    expect(argmaxChannels(logits)).toEqual({ shape: [1, 1, 2], data: Int32Array.of(1, 0) });
    const inf = new Tensor("float32", [1, 3], Float32Array.of(-Infinity, -Infinity, -Infinity));
    expect(Array.from(argmaxChannels(inf).data)).toEqual([0]);
  });

  it("refuses NaN (naming where) and tensors without a channel axis", () => {
    const bad = new Tensor("float32", [1, 2, 2], Float32Array.of(0, 1, 2, NaN));
    expect(() => argmaxChannels(bad)).toThrow(ArgumentError);
    expect(() => argmaxChannels(bad)).toThrow("argmaxChannels: logits [1,2,2] hold NaN at [0,1,1]");
    const first = new Tensor("float32", [1, 2], Float32Array.of(NaN, 0));
    expect(() => argmaxChannels(first)).toThrow("hold NaN at [0,0]");
    expect(() => argmaxChannels(new Tensor("float32", [4]))).toThrow(ShapeError);
    expect(() => argmaxChannels(new Tensor("float32", [2, 0, 3]))).toThrow("have no channels");
  });
});

describe("formatPosition", () => {
  it("turns a flat offset into a multi-index", () => {
    expect(formatPosition(5, [2, 2, 2])).toBe("[1,0,1]");
    expect(formatPosition(0, [3])).toBe("[0]");
    expect(formatPosition(23, [2, 3, 4])).toBe("[1,2,3]");
  });
});
