import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, ShapeError, Tensor, fromArray } from "@unetkit/tensor";
import { loadFixture } from "@unetkit/testing";
import { ConfusionMatrix } from "./confusion-matrix.js";
import { argmaxChannels } from "./argmax-channels.js";
import { caseArb } from "../test/arbitraries.js";

/** Brute force: count pixel pairs one class pair at a time, with array filters. */
function bruteMatrix(c: number, pred: Int32Array, truth: Int32Array, ignore?: number): number[][] {
  const rows: number[][] = [];
  const idx = Array.from(truth.keys()).filter((i) => truth[i] !== ignore);
  for (let t = 0; t < c; t++) {
    const row: number[] = [];
    for (let p = 0; p < c; p++) row.push(idx.filter((i) => truth[i] === t && pred[i] === p).length);
    rows.push(row);
  }
  return rows;
}

describe("ConfusionMatrix", () => {
  it("counts rows = truth, columns = prediction", () => {
    const cm = new ConfusionMatrix(3);
    cm.update(
      { shape: [1, 2, 3], data: Int32Array.of(0, 1, 2, 2, 2, 1) },
      { shape: [1, 2, 3], data: Int32Array.of(0, 1, 1, 2, 0, 1) },
    );
    expect(cm.toArray()).toEqual([
      [1, 0, 1],
      [0, 2, 1],
      [0, 0, 1],
    ]);
    expect(cm.count(1, 2)).toBe(1);
    expect(cm.total).toBe(6);
    expect(Array.from(cm.matrix)).toEqual([1, 0, 1, 0, 2, 1, 0, 0, 1]);
  });

  it("agrees with a brute-force count, ignore index included (property)", () => {
    fc.assert(
      fc.property(caseArb({ ignore: 255 }), ({ c, shape, pred, truth }) => {
        const cm = new ConfusionMatrix(c, { ignoreIndex: 255 }).update(
          { shape, data: pred },
          { shape, data: truth },
        );
        expect(cm.toArray()).toEqual(bruteMatrix(c, pred, truth, 255));
      }),
      { numRuns: 200 },
    );
  });

  it("agrees with a brute-force count with many classes (the unsplit counting path)", () => {
    fc.assert(
      fc.property(caseArb({ ignore: 7, minC: 30, maxC: 40 }), ({ c, shape, pred, truth }) => {
        const cm = new ConfusionMatrix(c, { ignoreIndex: 7 }).update({ shape, data: pred }, { shape, data: truth });
        expect(cm.toArray()).toEqual(bruteMatrix(c, pred, truth, 7));
        const noIgnore = new ConfusionMatrix(c).update(pred, truth);
        expect(noIgnore.toArray()).toEqual(bruteMatrix(c, pred, truth));
      }),
      { numRuns: 60 },
    );
  });

  it("streaming over any split of the batch equals one pass (property)", () => {
    fc.assert(
      fc.property(
        caseArb({ ignore: -100 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }),
        ({ c, pred, truth }, cutsRaw) => {
          const once = new ConfusionMatrix(c, { ignoreIndex: -100 }).update(pred, truth);
          const cuts = [0, ...cutsRaw.map((u) => Math.floor(u * pred.length)).sort((a, b) => a - b), pred.length];
          const streamed = new ConfusionMatrix(c, { ignoreIndex: -100 });
          for (let i = 0; i + 1 < cuts.length; i++) {
            streamed.update(pred.subarray(cuts[i], cuts[i + 1]), truth.subarray(cuts[i], cuts[i + 1]));
          }
          expect(streamed.matrix).toEqual(once.matrix);
          // merging per-shard matrices gives the same counts too
          const merged = new ConfusionMatrix(c, { ignoreIndex: -100 });
          for (let i = 0; i + 1 < cuts.length; i++) {
            const shard = new ConfusionMatrix(c, { ignoreIndex: -100 });
            shard.update(pred.subarray(cuts[i], cuts[i + 1]), truth.subarray(cuts[i], cuts[i + 1]));
            merged.merge(shard);
          }
          expect(merged.matrix).toEqual(once.matrix);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("permuting pixels (same permutation on both) changes nothing (property)", () => {
    fc.assert(
      fc.property(caseArb({ ignore: 255 }), fc.integer(), ({ c, pred, truth }, seed) => {
        const n = pred.length;
        const perm = Array.from({ length: n }, (_, i) => i);
        let s = seed >>> 0;
        for (let i = n - 1; i > 0; i--) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          const j = s % (i + 1);
          [perm[i], perm[j]] = [perm[j], perm[i]];
        }
        const pp = Int32Array.from(perm, (j) => pred[j]);
        const tp = Int32Array.from(perm, (j) => truth[j]);
        const a = new ConfusionMatrix(c, { ignoreIndex: 255 }).update(pred, truth);
        const b = new ConfusionMatrix(c, { ignoreIndex: 255 }).update(pp, tp);
        expect(b.matrix).toEqual(a.matrix);
        expect(b.meanIoU()).toBe(a.meanIoU());
      }),
      { numRuns: 150 },
    );
  });

  it("pixels with the ignore index change nothing, whatever is predicted there (property)", () => {
    fc.assert(
      fc.property(
        caseArb(),
        fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 20 }),
        ({ c, pred, truth }, extra) => {
          const base = new ConfusionMatrix(c, { ignoreIndex: 255 }).update(pred, truth);
          // insert ignored pixels with arbitrary valid predictions (or the ignore index itself)
          const p2: number[] = Array.from(pred);
          const t2: number[] = Array.from(truth);
          for (const e of extra) {
            const at = e % (p2.length + 1);
            p2.splice(at, 0, e % 7 === 0 ? 255 : e % c);
            t2.splice(at, 0, 255);
          }
          const withIgnored = new ConfusionMatrix(c, { ignoreIndex: 255 }).update(
            Int32Array.from(p2),
            Int32Array.from(t2),
          );
          expect(withIgnored.matrix).toEqual(base.matrix);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("an ignore index inside [0, C) skips that truth class but still counts it as a prediction", () => {
    const cm = new ConfusionMatrix(3, { ignoreIndex: 0 }).update(
      Int32Array.of(0, 0, 1, 2),
      Int32Array.of(0, 1, 1, 2),
    );
    expect(cm.toArray()).toEqual([
      [0, 0, 0],
      [1, 1, 0],
      [0, 0, 1],
    ]);
  });

  it("updateFromLogits equals update with the channel argmax", () => {
    fc.assert(
      fc.property(
        caseArb(),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        ({ c, shape, truth }, seed) => {
          const [n, h, w] = shape;
          let s = seed;
          const data = new Float32Array(n * c * h * w).map(() => {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            return ((s >>> 16) % 7) - 3; // small integers: plenty of ties
          });
          const logits = new Tensor("float32", [n, c, h, w], data);
          const a = new ConfusionMatrix(c).updateFromLogits(logits, { shape, data: truth });
          const b = new ConfusionMatrix(c).update(argmaxChannels(logits), { shape, data: truth });
          expect(a.matrix).toEqual(b.matrix);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("matches PyTorch: torch.argmax over channels (ties) and a bincount matrix with an ignore index", () => {
    const fx = loadFixture(new URL("../test/fixtures/confusion.json", import.meta.url));
    const c = fx.meta.numClasses as number;
    const ignoreIndex = fx.meta.ignoreIndex as number;
    const truth = { shape: fx.ints.truth.shape, data: Int32Array.from(fx.ints.truth.data) };
    const pred = argmaxChannels(fx.tensors.logits);
    expect(Array.from(pred.data)).toEqual(fx.ints.pred.data);
    const cm = new ConfusionMatrix(c, { ignoreIndex }).updateFromLogits(fx.tensors.logits, truth);
    expect(Array.from(cm.matrix)).toEqual(fx.ints.matrix.data);
    // float64 logits give the same
    const cm64 = new ConfusionMatrix(c, { ignoreIndex }).updateFromLogits(
      fx.tensors.logits.astype("float64"),
      truth,
    );
    expect(cm64.matrix).toEqual(cm.matrix);
  });

  it("handles classification: logits [N, C] against labels [N]", () => {
    const cm = new ConfusionMatrix(3).updateFromLogits(
      fromArray([
        [0.1, 0.8, 0.1],
        [0.5, 0.2, 0.3],
        [0.2, 0.2, 0.6],
      ]),
      Int32Array.of(1, 2, 2),
    );
    expect(cm.toArray()).toEqual([
      [0, 0, 0],
      [0, 1, 0],
      [1, 0, 1],
    ]);
  });

  it("names the bad label, its position and the shape", () => {
    const cm = new ConfusionMatrix(3, { ignoreIndex: 255 });
    const shape = [2, 2, 2];
    const ok = Int32Array.of(0, 1, 2, 0, 1, 2, 0, 1);
    const badTruth = Int32Array.of(0, 1, 2, 0, 1, 7, 0, 1);
    expect(() => cm.update({ shape, data: ok }, { shape, data: badTruth })).toThrow(ArgumentError);
    expect(() => cm.update({ shape, data: ok }, { shape, data: badTruth })).toThrow(
      "ConfusionMatrix.update: truth label 7 at [1,0,1] of [2,2,2] is outside [0, 3) and is not the ignore index 255",
    );
    const badPred = Int32Array.of(0, -1, 2, 0, 1, 2, 0, 1);
    expect(() => cm.update({ shape, data: badPred }, { shape, data: ok })).toThrow(
      "prediction label -1 at [0,0,1] of [2,2,2] is outside [0, 3)",
    );
    const ignoredPred = Int32Array.of(255, 1, 2, 0, 1, 2, 0, 1);
    expect(() => cm.update({ shape, data: ignoredPred }, { shape, data: ok })).toThrow(
      "the ignore index 255 is allowed in a prediction only where the truth is ignored too",
    );
    // out-of-range predictions are refused even where the truth is ignored
    const ignoredTruth = Int32Array.of(255, 1, 2, 0, 1, 2, 0, 1);
    expect(() => cm.update({ shape, data: badPred.map((v, i) => (i === 0 ? 9 : Math.abs(v))) }, { shape, data: ignoredTruth })).toThrow(
      "prediction label 9 at [0,0,0]",
    );
    // a plain-array prediction against a shaped truth: positions are given in the truth's shape
    expect(() => cm.update(Int32Array.of(0, 1, 2, 0, 1, 2, 0, 5), { shape, data: ok })).toThrow(
      "prediction label 5 at [1,1,1] of [2,2,2]",
    );
    expect(cm.total).toBe(0); // every failed update left the matrix unchanged
  });

  it("an update that fails part-way leaves the matrix unchanged", () => {
    const cm = new ConfusionMatrix(2).update(Int32Array.of(0, 1), Int32Array.of(0, 1));
    const before = cm.matrix;
    expect(() => cm.update(Int32Array.of(0, 1, 1, 1), Int32Array.of(0, 1, 1, 5))).toThrow(ArgumentError);
    const logits = new Tensor("float32", [1, 2, 1, 3], Float32Array.of(1, 2, 3, 0, NaN, 0));
    expect(() => cm.updateFromLogits(logits, { shape: [1, 1, 3], data: Int32Array.of(0, 0, 0) })).toThrow(
      "ConfusionMatrix.updateFromLogits: logits [1,2,1,3] hold NaN at [0,1,0,1]",
    );
    expect(cm.matrix).toEqual(before);
  });

  it("refuses mismatched shapes naming them", () => {
    const cm = new ConfusionMatrix(2);
    expect(() =>
      cm.update({ shape: [1, 2, 2], data: new Int32Array(4) }, { shape: [1, 4], data: new Int32Array(4) }),
    ).toThrow("ConfusionMatrix.update: prediction [1,2,2] and truth [1,4] must have the same shape");
    expect(() => cm.update(new Int32Array(3), new Int32Array(4))).toThrow(ShapeError);
    expect(() => cm.update({ shape: [2, 2], data: new Int32Array(3) }, new Int32Array(3))).toThrow(
      "prediction has shape [2,2] (4 elements) but 3 labels",
    );
    expect(() =>
      cm.updateFromLogits(new Tensor("float32", [2, 3, 4, 4]), { shape: [2, 4, 4], data: new Int32Array(32) }),
    ).toThrow("logits [2,3,4,4] have 3 channels but the matrix has 2 classes");
    expect(() =>
      cm.updateFromLogits(new Tensor("float32", [2, 2, 4, 4]), { shape: [2, 4, 5], data: new Int32Array(40) }),
    ).toThrow("truth [2,4,5] does not match logits [2,2,4,4] (expected [2,4,4])");
    expect(() => cm.update(Float32Array.of(0) as unknown as Int32Array, Int32Array.of(0))).toThrow(
      "prediction must be an Int32Array or a { shape, data: Int32Array } mask (got Float32Array)",
    );
    expect(() =>
      cm.update({ shape: [1], data: [0] as unknown as Int32Array }, Int32Array.of(0)),
    ).toThrow("prediction.data must be an Int32Array of class indices (got Array)");
    expect(() => cm.update(new Tensor("float32", [1, 2, 2, 2]) as unknown as Int32Array, new Int32Array(4))).toThrow(
      "prediction is a float Tensor [1,2,2,2], not a class-index mask; take the argmax first",
    );
  });

  it("validates its options, merge partners and count indices", () => {
    expect(() => new ConfusionMatrix(0)).toThrow(ArgumentError);
    expect(() => new ConfusionMatrix(2.5)).toThrow("numClasses must be an integer");
    expect(() => new ConfusionMatrix(2, { ignoreIndex: 0.5 })).toThrow("ignoreIndex must be an Int32 integer");
    expect(() => new ConfusionMatrix(2).merge(new ConfusionMatrix(3))).toThrow(
      "cannot merge a 3-class matrix into a 2-class one",
    );
    expect(() => new ConfusionMatrix(2).merge(new ConfusionMatrix(2, { ignoreIndex: 255 }))).toThrow(
      "ignore indices differ",
    );
    expect(() => new ConfusionMatrix(2).count(2, 0)).toThrow("truthClass 2 is outside [0, 2)");
  });

  it("reset, clone and fromCounts", () => {
    const cm = ConfusionMatrix.fromCounts([
      [3, 0],
      [1, 4],
    ]);
    expect(cm.meanIoU()).toBeCloseTo(0.775, 15);
    const copy = cm.clone();
    cm.reset();
    expect(cm.total).toBe(0);
    expect(copy.total).toBe(8);
    expect(ConfusionMatrix.fromCounts(Float64Array.of(3, 0, 1, 4)).toArray()).toEqual(copy.toArray());
    expect(() => ConfusionMatrix.fromCounts([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => ConfusionMatrix.fromCounts([1, 2, 3])).toThrow("do not make a");
    expect(() => ConfusionMatrix.fromCounts([[1, -2], [3, 4]])).toThrow("got -2 at [0,1]");
    // the matrix getter returns a copy
    const m = copy.matrix;
    m[0] = 100;
    expect(copy.count(0, 0)).toBe(3);
  });

  it("counts stay exact past the Int32 range", () => {
    const cm = ConfusionMatrix.fromCounts([
      [2 ** 40, 0],
      [0, 0],
    ]);
    cm.update(Int32Array.of(0, 0, 1), Int32Array.of(0, 0, 0));
    expect(cm.count(0, 0)).toBe(2 ** 40 + 2);
    expect(cm.count(0, 1)).toBe(1);
  });
});
