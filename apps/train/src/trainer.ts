import type { LabelTensor } from "@unetkit/data";
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

/** What {@link train} returns. */
export interface TrainResult {
  session: Session;
  history: EpochRecord[];
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
      model.backward(grad);
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
  return { session, history, wallSeconds, resumedFrom: startEpoch };
}
