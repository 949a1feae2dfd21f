import type { LabelTensor } from "@unetkit/data";
import { BatchNorm2D } from "@unetkit/layers";
import { ConfusionMatrix } from "@unetkit/metrics";
import { Tensor } from "@unetkit/tensor";
import { centerCrop } from "@unetkit/unet";
import { join } from "node:path";
import { configDifferences, readCheckpoint, restoreSession, saveCheckpoint } from "./checkpoint.js";
import type { EpochRecord } from "./epoch-record.js";
import { createSession, type SegmentationSet, type Session } from "./session.js";
import type { TrainConfig } from "./train-config.js";
import { UsageError } from "./usage-error.js";

/** Progress callbacks (the CLI's progress bar and JSON lines use them). */
export interface TrainEvents {
  onStart?(info: { session: Session; startEpoch: number; batchesPerEpoch: number }): void;
  onBatch?(info: { epoch: number; batch: number; batches: number; loss: number }): void;
  onEpoch?(record: EpochRecord): void;
}

/** The test-set figures after training (after precise BN when it is on). */
export interface FinalScores {
  testAccuracy: number;
  testMeanIoU: number;
  testIoU: (number | null)[];
  /** Whether BatchNorm's statistics were recomputed over the training set first. */
  preciseBn: boolean;
}

/** What {@link train} returns. */
export interface TrainResult {
  session: Session;
  history: EpochRecord[];
  /** The final test figures (the last epoch's, or after precise BN). */
  final: FinalScores;
  /** Training seconds, summed over resumed parts. */
  wallSeconds: number;
  resumedFrom: number;
}

/** Crops `[N, H, W]` masks to the centre `h x w` (for `valid` padding, whose output is smaller). */
export function cropMasks(masks: LabelTensor, h: number, w: number): LabelTensor {
  const [n, H, W] = masks.shape;
  if (H === h && W === w) return masks;
  const as = new Tensor("float64", [n, 1, H, W], Float64Array.from(masks.data));
  const c = centerCrop(as, h, w, "cropMasks");
  return { shape: [n, h, w], data: Int32Array.from(c.data) };
}

function record(cm: ConfusionMatrix) {
  const iou = Array.from(cm.iou(), (v) => (Number.isNaN(v) ? null : v));
  const present = iou.filter((v): v is number => v !== null);
  return {
    accuracy: cm.pixelAccuracy(),
    meanIoU: present.length ? present.reduce((a, b) => a + b, 0) / present.length : 0,
    iou,
  };
}

/**
 * Evaluates a model on a labelled set in eval mode, in batches, accumulating one confusion matrix
 * over the whole set (dataset-level scores, not a mean of per-batch scores). Restores the mode.
 */
export function evaluate(session: Session, set: SegmentationSet, batchSize = 10): ConfusionMatrix {
  const { model } = session;
  const wasTraining = model.training;
  model.eval();
  const cm = new ConfusionMatrix(session.numClasses);
  const [n, c, h, w] = set.images.shape;
  try {
    for (let start = 0; start < n; start += batchSize) {
      const b = Math.min(batchSize, n - start);
      const x = new Tensor(set.images.dtype, [b, c, h, w], set.images.data.slice(start * c * h * w, (start + b) * c * h * w));
      if (session.normalize) normalizeInPlace(x, session.normalize);
      const logits = model.forward(x);
      const masks: LabelTensor = { shape: [b, h, w], data: set.masks.data.slice(start * h * w, (start + b) * h * w) };
      cm.updateFromLogits(logits, cropMasks(masks, logits.shape[2], logits.shape[3]));
    }
  } finally {
    model.train(wasTraining);
  }
  return cm;
}

/** `(x - mean) / std` per channel, in place. */
export function normalizeInPlace(x: Tensor, stats: { mean: number[]; std: number[] }): void {
  const [n, c, h, w] = x.shape;
  const hw = h * w;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * hw;
      const m = stats.mean[ch];
      const s = stats.std[ch] || 1;
      for (let k = 0; k < hw; k++) x.data[base + k] = (x.data[base + k] - m) / s;
    }
  }
}

function heapMiB(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  return Math.round((process.memoryUsage().heapUsed / 2 ** 20) * 10) / 10;
}

/**
 * Trains a U-Net as configured, writing `checkpoint.safetensors` into `outDir` after every epoch
 * (atomically). With `resume`, continues from that checkpoint: the result is bit for bit the one an
 * uninterrupted run gives, because the weights, the optimizer state and the LR schedule are
 * restored exactly and every batch is a pure function of (seed, epoch, batch index).
 */
export async function train(config: TrainConfig, outDir: string, options: { resume?: boolean; events?: TrainEvents } = {}): Promise<TrainResult> {
  const events = options.events ?? {};
  const session = createSession(config);
  const checkpointPath = join(outDir, "checkpoint.safetensors");
  let history: EpochRecord[] = [];
  let startEpoch = 0;
  let wallSeconds = 0;
  if (options.resume) {
    const { meta, tensors } = readCheckpoint(checkpointPath);
    const diffs = configDifferences(meta.config, config);
    if (diffs.length > 0) {
      throw new UsageError(`the checkpoint in ${outDir} was made with another configuration (${diffs.join("; ")}); rerun with the same options, or use another --out`);
    }
    restoreSession(session, meta, tensors);
    history = meta.history;
    startEpoch = meta.epochsDone;
    wallSeconds = meta.wallSeconds;
  }
  const batchesPerEpoch = session.loader.batchesPerEpoch;
  events.onStart?.({ session, startEpoch, batchesPerEpoch });
  const { model, optimizer, scheduler, lossFn } = session;
  for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
    const t0 = performance.now();
    model.train();
    const cm = new ConfusionMatrix(session.numClasses);
    let lossSum = 0;
    let batches = 0;
    const lr = optimizer.lr;
    for (const batch of session.loader.epoch(epoch)) {
      const logits = model.forward(batch.images);
      const y = cropMasks(batch.labels, logits.shape[2], logits.shape[3]);
      const { loss, grad } = lossFn(logits, y);
      model.zeroGrad();
      model.backward(grad, { inputGrad: false }); // the images need no gradient
      optimizer.step();
      cm.updateFromLogits(logits, y);
      lossSum += loss;
      batches++;
      events.onBatch?.({ epoch, batch: batches, batches: batchesPerEpoch, loss });
    }
    scheduler?.step();
    const trainScores = record(cm);
    const testScores = record(evaluate(session, session.test));
    const seconds = (performance.now() - t0) / 1000;
    wallSeconds += seconds;
    const rec: EpochRecord = {
      epoch: epoch + 1,
      trainLoss: lossSum / batches,
      trainAccuracy: trainScores.accuracy,
      trainMeanIoU: trainScores.meanIoU,
      testAccuracy: testScores.accuracy,
      testMeanIoU: testScores.meanIoU,
      testIoU: testScores.iou,
      lr,
      seconds,
      heapUsedMiB: heapMiB(),
    };
    history.push(rec);
    await saveCheckpoint(checkpointPath, session, epoch + 1, history, wallSeconds);
    events.onEpoch?.(rec);
  }
  const last = history[history.length - 1];
  let final: FinalScores = { testAccuracy: last.testAccuracy, testMeanIoU: last.testMeanIoU, testIoU: last.testIoU, preciseBn: false };
  if (config.preciseBn && recalibrateBatchNorm(session) > 0) {
    const s = record(evaluate(session, session.test));
    final = { testAccuracy: s.accuracy, testMeanIoU: s.meanIoU, testIoU: s.iou, preciseBn: true };
  }
  return { session, history, final, wallSeconds, resumedFrom: startEpoch };
}

/**
 * "Precise BN": recomputes every BatchNorm2D's running mean and variance as the exact average of
 * the batch statistics over the whole training set (in order, without augmentation, normalised as
 * in training) with the current weights, using PyTorch's cumulative mode (`momentum = null`). The
 * momenta are restored afterwards. Returns the number of BatchNorm layers recalibrated.
 */
export function recalibrateBatchNorm(session: Session): number {
  const { model, config } = session;
  const bns = model.namedModules().map(([, m]) => m).filter((m): m is BatchNorm2D => m instanceof BatchNorm2D);
  if (bns.length === 0) return 0;
  const momenta = bns.map((b) => b.momentum);
  const wasTraining = model.training;
  for (const b of bns) {
    b.resetRunningStats();
    b.momentum = null;
  }
  model.train();
  try {
    const [n, c, h, w] = session.train.images.shape;
    const size = c * h * w;
    for (let start = 0; start < n; start += config.batchSize) {
      const b = Math.min(config.batchSize, n - start);
      const x = new Tensor(session.train.images.dtype, [b, c, h, w], session.train.images.data.slice(start * size, (start + b) * size));
      if (session.normalize) normalizeInPlace(x, session.normalize);
      model.forward(x);
    }
  } finally {
    bns.forEach((b, i) => (b.momentum = momenta[i]));
    model.train(wasTraining);
  }
  return bns.length;
}
