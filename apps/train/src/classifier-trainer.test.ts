import { labelTensor, type ClassificationSet } from "@unetkit/data";
import { Tensor } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";
import { barImages } from "./__fixtures__/classification-files.js";
import { evaluateClassifier, trainClassifier } from "./classifier-trainer.js";
import { SmallResNet } from "./small-resnet.js";

function bars(n: number, seed: number, size = 12): ClassificationSet {
  const { images, labels } = barImages(n, size, seed);
  const x = new Tensor("float32", [n, 1, size, size], Float32Array.from(images, (v) => v / 255));
  return { images: x, labels: labelTensor([n], Int32Array.from(labels)), numClasses: 4, classNames: ["top", "bottom", "left", "right"] };
}

const OPTIONS = { epochs: 4, batchSize: 8, lr: 0.05, momentum: 0.9, weightDecay: 0, seed: 3 };

describe("trainClassifier", () => {
  it("learns an easy four-class task (bars at the top, bottom, left or right) and reports per-epoch figures", () => {
    const model = new SmallResNet({ inChannels: 1, numClasses: 4, widths: [4, 8], blocksPerStage: 1, stemStride: 1, seed: 1 });
    const epochs: number[] = [];
    const { history, perClassTestAccuracy, wallSeconds } = trainClassifier(model, bars(64, 1), bars(32, 2), OPTIONS, { onEpoch: (r) => epochs.push(r.epoch) });
    expect(epochs).toEqual([1, 2, 3, 4]);
    expect(history.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    expect(history[3].trainLoss).toBeLessThan(history[0].trainLoss);
    expect(history[3].testAccuracy).toBeGreaterThan(0.9);
    expect(perClassTestAccuracy).toHaveLength(4);
    perClassTestAccuracy.forEach((a) => expect(a).not.toBeNull());
    // Balanced test set (8 per class): the overall accuracy is the mean of the per-class ones.
    const mean = (perClassTestAccuracy as number[]).reduce((a, b) => a + b, 0) / 4;
    expect(mean).toBeCloseTo(history[3].testAccuracy, 12);
    expect(wallSeconds).toBeGreaterThan(0);
    expect(model.training).toBe(true);
  });

  it("gives the same figures bit for bit for the same seeds", () => {
    const run = () => {
      const model = new SmallResNet({ inChannels: 1, numClasses: 4, widths: [2, 4], seed: 5, plain: true });
      return trainClassifier(model, bars(24, 1), bars(12, 2), { ...OPTIONS, epochs: 2 }).history.map(({ seconds: _s, ...r }) => r);
    };
    expect(run()).toEqual(run());
  });
});

describe("evaluateClassifier", () => {
  it("is the share of argmax hits in eval mode, counts per class, and restores the mode", () => {
    const model = new SmallResNet({ inChannels: 1, numClasses: 4, widths: [2], seed: 2 });
    const set = bars(20, 4);
    model.eval();
    const logits = model.forward(set.images);
    let hits = 0;
    for (let i = 0; i < 20; i++) {
      const row = Array.from(logits.data.subarray(i * 4, i * 4 + 4));
      if (row.indexOf(Math.max(...row)) === set.labels.data[i]) hits++;
    }
    model.train();
    const perClass = { hits: [0, 0, 0, 0], totals: [0, 0, 0, 0] };
    expect(evaluateClassifier(model, set.images, set.labels.data, perClass, 7)).toBe(hits / 20);
    expect(perClass.totals).toEqual([5, 5, 5, 5]);
    expect(perClass.hits.reduce((a, b) => a + b, 0)).toBe(hits);
    expect(model.training).toBe(true);
  });
});
