import { DataLoader, computeChannelStats, normalizeImages, type ClassificationSet } from "@unetkit/data";
import { SGD, crossEntropyLoss } from "@unetkit/layers";
import { Tensor } from "@unetkit/tensor";
import type { SmallResNet } from "./small-resnet.js";

/** Optimisation settings of {@link trainClassifier}. */
export interface ClassifierTrainOptions {
  epochs: number;
  batchSize: number;
  /** SGD learning rate. */
  lr: number;
  /** SGD momentum. */
  momentum: number;
  weightDecay: number;
  /** Seed of the batch order. */
  seed: number;
}

/** One epoch of a classifier's training. */
export interface ClassifierEpoch {
  epoch: number;
  /** Mean cross-entropy over the epoch's batches (training mode). */
  trainLoss: number;
  /** Share of the epoch's training images classified right while training (training mode). */
  trainAccuracy: number;
  /** Share of the test images classified right after the epoch (eval mode). */
  testAccuracy: number;
  seconds: number;
}

/** What {@link trainClassifier} returns. */
export interface ClassifierResult {
  history: ClassifierEpoch[];
  /** Test accuracy per class after the last epoch (null for a class absent from the test set). */
  perClassTestAccuracy: (number | null)[];
  wallSeconds: number;
}

/** Progress callbacks of {@link trainClassifier}. */
export interface ClassifierEvents {
  onBatch?(info: { epoch: number; batch: number; batches: number; loss: number }): void;
  onEpoch?(record: ClassifierEpoch): void;
}

function countCorrect(logits: Tensor, labels: Int32Array, perClass?: { hits: number[]; totals: number[] }): number {
  const [n, k] = logits.shape;
  const x = logits.data;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (x[i * k + c] > x[i * k + best]) best = c;
    const ok = best === labels[i];
    if (ok) hits++;
    if (perClass) {
      perClass.totals[labels[i]]++;
      if (ok) perClass.hits[labels[i]]++;
    }
  }
  return hits;
}

/**
 * Test accuracy of a classifier in eval mode (restoring its mode), in batches, on images already
 * normalised; optionally counting per class.
 *
 * @example
 * ```ts
 * evaluateClassifier(model, testImages, testLabels); // 0.81
 * ```
 */
export function evaluateClassifier(model: SmallResNet, images: Tensor, labels: Int32Array, perClass?: { hits: number[]; totals: number[] }, batchSize = 250): number {
  const wasTraining = model.training;
  model.eval();
  const [n, c, h, w] = images.shape;
  const plane = c * h * w;
  let hits = 0;
  try {
    for (let start = 0; start < n; start += batchSize) {
      const b = Math.min(batchSize, n - start);
      const x = new Tensor(images.dtype, [b, c, h, w], images.data.slice(start * plane, (start + b) * plane));
      hits += countCorrect(model.forward(x), labels.subarray(start, start + b), perClass);
    }
  } finally {
    model.train(wasTraining);
  }
  return hits / n;
}

/**
 * Trains a classifier with pixel-normalised inputs (per-channel mean and std of the training
 * images), cross-entropy and SGD with momentum; evaluates on the test set after every epoch.
 * Deterministic: the batch order is a pure function of the seed and the epoch, so the same model
 * seed and options give the same figures bit for bit.
 *
 * @example
 * ```ts
 * const model = new SmallResNet({ inChannels: 1, numClasses: 10, seed: 42 });
 * const { history } = trainClassifier(model, train, test, { epochs: 3, batchSize: 32, lr: 0.05, momentum: 0.9, weightDecay: 0, seed: 42 });
 * ```
 */
export function trainClassifier(
  model: SmallResNet,
  train: ClassificationSet,
  test: ClassificationSet,
  options: ClassifierTrainOptions,
  events: ClassifierEvents = {},
): ClassifierResult {
  const stats = computeChannelStats(train.images);
  const loader = new DataLoader({ images: train.images, labels: train.labels, batchSize: options.batchSize, shuffle: true, seed: options.seed, normalize: stats });
  const testImages = normalizeImages(test.images, stats);
  const optimizer = new SGD(model.parameters(), { lr: options.lr, momentum: options.momentum, weightDecay: options.weightDecay });
  const history: ClassifierEpoch[] = [];
  let wallSeconds = 0;
  const batches = loader.batchesPerEpoch;
  const k = train.numClasses;
  const perClass = { hits: new Array<number>(k).fill(0), totals: new Array<number>(k).fill(0) };
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const t0 = performance.now();
    model.train();
    let lossSum = 0;
    let hits = 0;
    let seen = 0;
    let b = 0;
    for (const batch of loader.epoch(epoch)) {
      const logits = model.forward(batch.images);
      const { loss, grad } = crossEntropyLoss(logits, batch.labels);
      model.zeroGrad();
      model.backward(grad, { inputGrad: false }); // the images need no gradient
      optimizer.step();
      hits += countCorrect(logits, batch.labels.data);
      seen += batch.labels.data.length;
      lossSum += loss;
      b++;
      events.onBatch?.({ epoch, batch: b, batches, loss });
    }
    const last = epoch === options.epochs - 1;
    const testAccuracy = evaluateClassifier(model, testImages, test.labels.data, last ? perClass : undefined);
    const seconds = (performance.now() - t0) / 1000;
    wallSeconds += seconds;
    const record: ClassifierEpoch = { epoch: epoch + 1, trainLoss: lossSum / b, trainAccuracy: hits / seen, testAccuracy, seconds };
    history.push(record);
    events.onEpoch?.(record);
  }
  return {
    history,
    perClassTestAccuracy: perClass.hits.map((h, c) => (perClass.totals[c] > 0 ? h / perClass.totals[c] : null)),
    wallSeconds,
  };
}
