import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, Rng, ShapeError, Tensor, randn } from "@unetkit/tensor";
import { CombinedLoss, combinedLoss } from "./combined-loss.js";
import { CrossEntropyLoss, crossEntropyLoss } from "./cross-entropy-loss.js";
import { DiceLoss, diceLoss } from "./dice-loss.js";
import { labels } from "./labels.js";
import { lossGradError } from "../test/loss-helpers.js";

describe("CombinedLoss", () => {
  it("sums weighted values and gradients (cross-entropy + Dice) and reports each part", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: -2, max: 2, noNaN: true }), (seed, w) => {
        const rng = new Rng(seed);
        const x = randn([2, 3, 2, 2], rng, { dtype: "float64" });
        const y = labels(Array.from({ length: 8 }, () => rng.int(0, 3)), [2, 2, 2]);
        const loss = new CombinedLoss([{ loss: new CrossEntropyLoss() }, { loss: new DiceLoss(), weight: w }]);
        const r = loss.compute(x, y);
        const ce = crossEntropyLoss(x, y);
        const dice = diceLoss(x, y);
        expect(r.loss).toBeCloseTo(ce.loss + w * dice.loss, 12);
        expect(r.parts.map((p) => p.name)).toEqual(["CrossEntropyLoss", "DiceLoss"]);
        expect(r.parts[1].loss).toBe(dice.loss);
        for (let i = 0; i < x.size; i++) expect(r.grad.data[i]).toBeCloseTo(ce.grad.data[i] + w * dice.grad.data[i], 12);
        expect(lossGradError((z) => loss.compute(z, y).loss, r.grad, x)).toBeLessThan(1e-6);
      }),
      { numRuns: 20 },
    );
  });

  it("accepts functions and has a function form", () => {
    const x = randn([2, 3], new Rng(1), { dtype: "float64" });
    const y = labels([0, 2], [2]);
    const r = combinedLoss(x, y, [{ loss: (a, b) => crossEntropyLoss(a, b, { reduction: "sum" }), weight: 2 }]);
    expect(r.loss).toBeCloseTo(2 * crossEntropyLoss(x, y, { reduction: "sum" }).loss, 14);
  });

  it("refuses no terms, bad weights, bad losses and wrong-shaped gradients", () => {
    expect(() => new CombinedLoss([])).toThrow(ArgumentError);
    expect(() => new CombinedLoss([{ loss: new DiceLoss(), weight: Number.NaN }])).toThrow(/non-finite weight/);
    expect(() => new CombinedLoss([{ loss: {} as DiceLoss }])).toThrow(ArgumentError);
    const bad = new CombinedLoss([{ loss: () => ({ loss: 0, grad: new Tensor("float32", [1]) }) }]);
    expect(() => bad.compute(randn([2, 3], new Rng(2)), labels([0, 1], [2]))).toThrow(ShapeError);
  });
});
