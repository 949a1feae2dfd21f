import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, ShapeError, Tensor, fromArray } from "@unetkit/tensor";
import { binaryCounts, binaryMetrics, binaryScores } from "./binary-metrics.js";
import { ConfusionMatrix } from "./confusion-matrix.js";

const binaryCase = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.record({
    probs: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
    truth: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
    threshold: fc.constantFrom(0.5, 0.3, 0.9, 0, 1),
  }),
);

describe("binaryMetrics", () => {
  it("agrees with a brute-force count and with a 2-class confusion matrix (property)", () => {
    fc.assert(
      fc.property(binaryCase, ({ probs, truth, threshold }) => {
        const scores = fromArray(probs, { dtype: "float64" });
        const y = Int32Array.from(truth);
        const r = binaryMetrics(scores, y, { threshold });
        const pos = probs.map((p) => p > threshold);
        const count = (pp: boolean, tt: number) => pos.filter((p, i) => p === pp && truth[i] === tt).length;
        expect([r.tp, r.fp, r.fn, r.tn]).toEqual([count(true, 1), count(true, 0), count(false, 1), count(false, 0)]);
        const cm = new ConfusionMatrix(2).update(Int32Array.from(pos, (p) => (p ? 1 : 0)), y);
        expect(r.iou).toBe(cm.iou()[1]);
        expect(r.dice).toBe(cm.dice()[1]);
        expect(r.f1).toBe(r.dice);
        expect(r.precision).toBe(cm.precision()[1]);
        expect(r.recall).toBe(cm.recall()[1]);
        expect(r.accuracy).toBe(cm.pixelAccuracy());
      }),
      { numRuns: 200 },
    );
  });

  it("binaryCounts summed over batches give the scores of one pass (property)", () => {
    fc.assert(
      fc.property(binaryCase, fc.nat(), ({ probs, truth, threshold }, cutRaw) => {
        const cut = cutRaw % (probs.length + 1);
        const whole = binaryMetrics(fromArray(probs, { dtype: "float64" }), Int32Array.from(truth), { threshold });
        const total = { tp: 0, fp: 0, fn: 0, tn: 0 };
        for (const [a, b] of [[0, cut], [cut, probs.length]]) {
          if (a === b) continue;
          const c = binaryCounts(fromArray(probs.slice(a, b), { dtype: "float64" }), Int32Array.from(truth.slice(a, b)), { threshold });
          total.tp += c.tp;
          total.fp += c.fp;
          total.fn += c.fn;
          total.tn += c.tn;
        }
        expect(binaryScores(total)).toEqual(whole);
      }),
      { numRuns: 100 },
    );
  });

  it("fromLogits thresholds sigmoid(x), strictly above the threshold", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (xs, threshold) => {
          const truth = Int32Array.from(xs, (_, i) => i % 2);
          const viaLogits = binaryMetrics(fromArray(xs, { dtype: "float64" }), truth, { fromLogits: true, threshold });
          const probs = fromArray(xs.map((x) => 1 / (1 + Math.exp(-x))), { dtype: "float64" });
          const viaProbs = binaryMetrics(probs, truth, { threshold });
          expect(viaLogits).toEqual(viaProbs);
        },
      ),
      { numRuns: 100 },
    );
    // exactly at the threshold is negative (torchmetrics: preds > threshold)
    const r = binaryMetrics(fromArray([0.5, 0.5000001]), Int32Array.of(1, 1));
    expect([r.tp, r.fn]).toEqual([1, 1]);
  });

  it("accepts a one-channel head [N, 1, H, W] against truth [N, H, W], and the documented example", () => {
    const logits = fromArray([[[[2, -1], [0.5, -3]]]]);
    const truth = { shape: [1, 2, 2], data: Int32Array.of(1, 1, 0, 0) };
    const r = binaryMetrics(logits, truth, { fromLogits: true });
    expect([r.tp, r.fp, r.fn, r.tn]).toEqual([1, 1, 1, 1]);
    expect(r.iou).toBeCloseTo(1 / 3, 15);
    expect(r.dice).toBe(0.5);
    expect(r.accuracy).toBe(0.5);
  });

  it("skips ignored pixels and scores 'no positives anywhere' per the absent option", () => {
    const probs = fromArray([0.9, 0.1, 0.2]);
    const r = binaryMetrics(probs, Int32Array.of(255, 0, 0), { ignoreIndex: 255 });
    expect([r.tp, r.fp, r.fn, r.tn]).toEqual([0, 0, 0, 2]);
    expect(r.iou).toBeNaN();
    expect(r.precision).toBeNaN();
    expect(r.accuracy).toBe(1);
    const one = binaryMetrics(probs, Int32Array.of(255, 0, 0), { ignoreIndex: 255, absent: "one" });
    expect([one.iou, one.dice, one.precision, one.recall]).toEqual([1, 1, 1, 1]);
    // predicted nothing but truth has positives: precision 0, recall 0
    const missed = binaryScores({ tp: 0, fp: 0, fn: 3, tn: 1 });
    expect([missed.precision, missed.recall, missed.iou]).toEqual([0, 0, 0]);
    expect(binaryScores({ tp: 3, fp: 1, fn: 2, tn: 10 }).iou).toBe(0.5);
  });

  it("refuses bad input naming it", () => {
    const p = fromArray([0.2, 0.7]);
    expect(() => binaryMetrics(p, Int32Array.of(0, 2))).toThrow(
      "binaryMetrics: truth label 2 at [1] is not 0 or 1",
    );
    expect(() => binaryCounts(p, Int32Array.of(0, 2), { ignoreIndex: 255 })).toThrow(
      "binaryCounts: truth label 2 at [1] is not 0 or 1 or the ignore index 255",
    );
    expect(() => binaryMetrics(fromArray([0.2, 1.5]), Int32Array.of(0, 1))).toThrow(
      "score 1.5 at [1] is not a probability in [0, 1]; pass { fromLogits: true } for logits",
    );
    expect(() => binaryMetrics(fromArray([0.2, NaN]), Int32Array.of(0, 1))).toThrow("hold NaN at [1]");
    expect(() => binaryMetrics(p, Int32Array.of(0))).toThrow(ShapeError);
    expect(() =>
      binaryMetrics(new Tensor("float32", [2, 2, 3, 3]), { shape: [2, 3, 3], data: new Int32Array(18) }),
    ).toThrow("scores [2,2,3,3] do not match truth [2,3,3]");
    expect(() => binaryMetrics(p, Int32Array.of(0, 1), { threshold: 2 })).toThrow(ArgumentError);
    expect(() => binaryScores({ tp: -1, fp: 0, fn: 0, tn: 0 })).toThrow("tp must be a non-negative count");
  });
});
