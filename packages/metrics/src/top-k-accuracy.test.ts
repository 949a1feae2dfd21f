import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, ShapeError, Tensor, fromArray } from "@unetkit/tensor";
import { accuracy, topKAccuracy } from "./top-k-accuracy.js";
import { argmaxChannels } from "./argmax-channels.js";

/** Brute force: sort class indices by score descending, ties by index ascending; take k. */
function bruteTopK(rows: number[][], labels: number[], k: number): number {
  let hits = 0;
  rows.forEach((row, i) => {
    const order = row
      .map((v, j) => [v, j] as const)
      .sort((a, b) => (b[0] !== a[0] ? b[0] - a[0] : a[1] - b[1]))
      .map(([, j]) => j);
    if (order.slice(0, k).includes(labels[i])) hits++;
  });
  return hits / rows.length;
}

const problem = fc
  .record({ n: fc.integer({ min: 1, max: 12 }), c: fc.integer({ min: 1, max: 6 }) })
  .chain(({ n, c }) =>
    fc.record({
      rows: fc.array(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: c, maxLength: c }), {
        minLength: n,
        maxLength: n,
      }),
      labels: fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: n, maxLength: n }),
      k: fc.integer({ min: 1, max: c }),
    }),
  );

describe("topKAccuracy", () => {
  it("agrees with sorting every row, ties to the lower index (property)", () => {
    fc.assert(
      fc.property(problem, ({ rows, labels, k }) => {
        const logits = fromArray(rows, { dtype: "float64" });
        expect(topKAccuracy(logits, Int32Array.from(labels), k)).toBe(bruteTopK(rows, labels, k));
      }),
      { numRuns: 300 },
    );
  });

  it("k = 1 is argmax accuracy, k = C is 1, and accuracy() is top-1", () => {
    fc.assert(
      fc.property(problem, ({ rows, labels }) => {
        const logits = fromArray(rows);
        const y = Int32Array.from(labels);
        const pred = argmaxChannels(logits).data;
        const expected = labels.filter((l, i) => pred[i] === l).length / labels.length;
        expect(topKAccuracy(logits, y)).toBe(expected);
        expect(accuracy(logits, y)).toBe(expected);
        expect(accuracy(pred, y)).toBe(expected);
        expect(topKAccuracy(logits, { shape: [labels.length], data: y }, rows[0].length)).toBe(1);
      }),
      { numRuns: 150 },
    );
  });

  it("works on the documented example", () => {
    const logits = fromArray([
      [0.1, 0.7, 0.2],
      [0.5, 0.1, 0.4],
    ]);
    expect(topKAccuracy(logits, Int32Array.of(2, 2), 1)).toBe(0);
    expect(topKAccuracy(logits, Int32Array.of(2, 2), 2)).toBe(1);
    expect(accuracy(Int32Array.of(0, 2, 1), Int32Array.of(0, 1, 1))).toBeCloseTo(2 / 3, 15);
  });

  it("refuses bad input", () => {
    const logits = fromArray([
      [0.1, 0.7],
      [0.5, 0.1],
    ]);
    expect(() => topKAccuracy(logits, Int32Array.of(0, 2))).toThrow("topKAccuracy: label 2 at [1] is outside [0, 2)");
    expect(() => topKAccuracy(logits, Int32Array.of(0, 1), 3)).toThrow("k must be an integer in [1, 2]");
    expect(() => topKAccuracy(logits, Int32Array.of(0))).toThrow(ShapeError);
    expect(() => topKAccuracy(new Tensor("float32", [2, 2, 1]), Int32Array.of(0, 1))).toThrow(
      "logits must be a Tensor shaped [N, C] (got [2,2,1])",
    );
    expect(() => topKAccuracy(fromArray([[NaN, 1]]), Int32Array.of(1))).toThrow("hold NaN at [0,0]");
    expect(() => accuracy(Int32Array.of(0, 1), Int32Array.of(0, -1))).toThrow(ArgumentError);
    expect(() => accuracy(Int32Array.of(0), Int32Array.of(0, 1))).toThrow(ShapeError);
    expect(topKAccuracy(new Tensor("float32", [0, 3]), new Int32Array(0))).toBeNaN();
  });
});
