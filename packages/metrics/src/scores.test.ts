import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError } from "@unetkit/tensor";
import { ConfusionMatrix } from "./confusion-matrix.js";
import {
  classCounts,
  dice,
  iou,
  meanDice,
  meanIoU,
  nanMean,
  pixelAccuracy,
  precision,
  recall,
  segmentationScores,
  type AbsentPolicy,
} from "./scores.js";
import { caseArb } from "../test/arbitraries.js";

/** The seed notebook's way, per class over one batch: |P ∩ T| / |P ∪ T|, skipping empty unions. */
function seedStyleIoU(c: number, pred: Int32Array, truth: Int32Array, ignore?: number) {
  const per: number[] = [];
  for (let k = 0; k < c; k++) {
    let inter = 0;
    let union = 0;
    for (let i = 0; i < pred.length; i++) {
      if (truth[i] === ignore) continue;
      const a = pred[i] === k;
      const b = truth[i] === k;
      if (a && b) inter++;
      if (a || b) union++;
    }
    per.push(union > 0 ? inter / union : NaN);
  }
  return per;
}

function bruteDice(c: number, pred: Int32Array, truth: Int32Array) {
  const per: number[] = [];
  for (let k = 0; k < c; k++) {
    let inter = 0;
    let sizes = 0;
    for (let i = 0; i < pred.length; i++) {
      if (pred[i] === k && truth[i] === k) inter++;
      if (pred[i] === k) sizes++;
      if (truth[i] === k) sizes++;
    }
    per.push(sizes > 0 ? (2 * inter) / sizes : NaN);
  }
  return per;
}

const present = (v: number) => !Number.isNaN(v);

describe("segmentation scores", () => {
  it("agree with brute-force counts (property)", () => {
    fc.assert(
      fc.property(caseArb({ ignore: 255 }), ({ c, pred, truth }) => {
        const cm = new ConfusionMatrix(c, { ignoreIndex: 255 }).update(pred, truth);
        const expectedIoU = seedStyleIoU(c, pred, truth, 255);
        expect(Array.from(iou(cm))).toEqual(expectedIoU);
        const kept = Array.from(truth.keys()).filter((i) => truth[i] !== 255);
        const correct = kept.filter((i) => pred[i] === truth[i]).length;
        expect(pixelAccuracy(cm)).toBe(kept.length === 0 ? NaN : correct / kept.length);
        const p = Int32Array.from(kept, (i) => pred[i]);
        const t = Int32Array.from(kept, (i) => truth[i]);
        expect(Array.from(dice(cm))).toEqual(bruteDice(c, p, t));
        for (let k = 0; k < c; k++) {
          const tp = kept.filter((i) => pred[i] === k && truth[i] === k).length;
          const np = kept.filter((i) => pred[i] === k).length;
          const nt = kept.filter((i) => truth[i] === k).length;
          expect(precision(cm)[k]).toBe(np > 0 ? tp / np : nt > 0 ? 0 : NaN);
          expect(recall(cm)[k]).toBe(nt > 0 ? tp / nt : np > 0 ? 0 : NaN);
          const cc = classCounts(cm);
          expect([cc.tp[k], cc.fp[k], cc.fn[k], cc.tn[k]]).toEqual([
            tp,
            np - tp,
            nt - tp,
            kept.length - np - nt + tp,
          ]);
        }
        const valid = expectedIoU.filter(present);
        if (valid.length === 0) expect(meanIoU(cm)).toBeNaN();
        else expect(meanIoU(cm)).toBeCloseTo(valid.reduce((a, b) => a + b, 0) / valid.length, 12);
      }),
      { numRuns: 200 },
    );
  });

  it("a perfect prediction scores 1 for every present class (property)", () => {
    fc.assert(
      fc.property(caseArb({ ignore: 255 }), ({ c, truth }) => {
        // predict the truth; where the truth is ignored predict anything valid
        const pred = truth.map((t) => (t === 255 ? 0 : t));
        const cm = new ConfusionMatrix(c, { ignoreIndex: 255 }).update(pred, truth);
        const counted = truth.some((t) => t !== 255);
        expect(cm.pixelAccuracy()).toBe(counted ? 1 : NaN);
        for (let k = 0; k < c; k++) {
          const isPresent = truth.includes(k);
          for (const scores of [cm.iou(), cm.dice(), cm.precision(), cm.recall()]) {
            expect(scores[k]).toBe(isPresent ? 1 : NaN);
          }
        }
        expect(cm.meanIoU()).toBe(counted ? 1 : NaN);
        expect(cm.meanDice()).toBe(counted ? 1 : NaN);
        expect(cm.meanIoU({ absent: "one" })).toBe(1);
      }),
      { numRuns: 150 },
    );
  });

  it("IoU <= Dice and Dice = 2 IoU / (1 + IoU) per class (property)", () => {
    fc.assert(
      fc.property(caseArb(), fc.constantFrom<AbsentPolicy>("exclude", "one", "zero"), ({ c, pred, truth }, absent) => {
        const cm = new ConfusionMatrix(c).update(pred, truth);
        const j = cm.iou({ absent });
        const d = cm.dice({ absent });
        for (let k = 0; k < c; k++) {
          if (Number.isNaN(j[k])) {
            expect(d[k]).toBeNaN();
            continue;
          }
          expect(j[k]).toBeLessThanOrEqual(d[k]);
          expect(d[k]).toBeCloseTo((2 * j[k]) / (1 + j[k]), 14);
          expect(j[k]).toBeGreaterThanOrEqual(0);
          expect(d[k]).toBeLessThanOrEqual(1);
        }
        expect(cm.meanIoU({ absent })).toBeLessThanOrEqual(cm.meanDice({ absent }) + 1e-15);
      }),
      { numRuns: 200 },
    );
  });

  it("treats classes absent from both prediction and truth as the option says", () => {
    // class 2 never appears; class 1 is predicted but absent from the truth
    const cm = new ConfusionMatrix(3).update(Int32Array.of(0, 0, 1, 0), Int32Array.of(0, 0, 0, 0));
    expect(Array.from(cm.iou())).toEqual([0.75, 0, NaN]);
    expect(cm.meanIoU()).toBe(0.375);
    expect(Array.from(cm.iou({ absent: "one" }))).toEqual([0.75, 0, 1]);
    expect(cm.meanIoU({ absent: "one" })).toBeCloseTo(1.75 / 3, 15);
    expect(Array.from(cm.iou({ absent: "zero" }))).toEqual([0.75, 0, 0]);
    expect(cm.meanIoU({ absent: "zero" })).toBe(0.25);
    expect(Array.from(cm.dice())).toEqual([6 / 7, 0, NaN]);
    // precision of class 1: predicted once, never right -> 0; recall of class 1: no truth, predicted -> 0
    expect(Array.from(cm.precision())).toEqual([1, 0, NaN]);
    expect(Array.from(cm.recall())).toEqual([0.75, 0, NaN]);
    expect(Array.from(cm.recall({ absent: "one" }))).toEqual([0.75, 0, 1]);
    expect(() => cm.iou({ absent: "skip" as AbsentPolicy })).toThrow(ArgumentError);
    expect(() => cm.iou({ absent: "skip" as AbsentPolicy })).toThrow(
      'iou: absent must be "exclude", "one" or "zero" (got "skip")',
    );
  });

  it("an empty matrix scores NaN (nothing counted), not 0", () => {
    const cm = new ConfusionMatrix(2);
    expect(cm.pixelAccuracy()).toBeNaN();
    expect(cm.meanIoU()).toBeNaN();
    expect(cm.meanDice()).toBeNaN();
    expect(cm.meanIoU({ absent: "one" })).toBe(1);
  });

  it("data-set scores differ from the average of per-batch scores (the README example)", () => {
    const batches = [
      { pred: Int32Array.of(0, 0, 0, 0), truth: Int32Array.of(0, 0, 0, 1) },
      { pred: Int32Array.of(1, 1, 1, 1), truth: Int32Array.of(1, 1, 1, 1) },
    ];
    const cm = new ConfusionMatrix(2);
    const perBatch: number[] = [];
    for (const { pred, truth } of batches) {
      cm.update(pred, truth);
      perBatch.push(nanMean(seedStyleIoU(2, pred, truth)));
    }
    expect(perBatch).toEqual([0.375, 1]);
    expect((perBatch[0] + perBatch[1]) / 2).toBe(0.6875);
    expect(cm.toArray()).toEqual([
      [3, 0],
      [1, 4],
    ]);
    expect(Array.from(cm.iou())).toEqual([0.75, 0.8]);
    expect(cm.meanIoU()).toBeCloseTo(0.775, 15);
  });

  it("segmentationScores bundles every score", () => {
    const cm = new ConfusionMatrix(2).update(Int32Array.of(0, 1, 1), Int32Array.of(0, 1, 0));
    const s = segmentationScores(cm);
    expect(s.pixelAccuracy).toBeCloseTo(2 / 3, 15);
    expect(Array.from(s.iou)).toEqual([0.5, 0.5]);
    expect(s.meanIoU).toBe(0.5);
    expect(s.meanDice).toBeCloseTo(2 / 3, 15);
    expect(Array.from(s.precision)).toEqual([1, 0.5]);
    expect(Array.from(s.recall)).toEqual([0.5, 1]);
    expect(cm.scores()).toEqual(s);
    expect(meanDice(cm)).toBe(s.meanDice);
  });

  it("precision and recall: the documented example", () => {
    const cm = new ConfusionMatrix(2).update(Int32Array.of(1, 1, 1), Int32Array.of(0, 1, 1));
    expect(Array.from(precision(cm))).toEqual([0, 2 / 3]);
    expect(Array.from(recall(cm))).toEqual([0, 1]);
  });

  it("nanMean skips NaN and is NaN when nothing is left", () => {
    expect(nanMean(Float64Array.of(0.5, NaN, 1))).toBe(0.75);
    expect(nanMean([NaN, NaN])).toBeNaN();
    expect(nanMean([])).toBeNaN();
  });
});
