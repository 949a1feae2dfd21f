import { DataLoader, augmentation, computeChannelStats, labelTensor, shapes, type LabelTensor } from "@unetkit/data";
import { loadImageFolder } from "@unetkit/data/node";
import {
  Adam,
  AdamW,
  CosineAnnealingLR,
  SGD,
  StepLR,
  combinedLoss,
  crossEntropyLoss,
  diceLoss,
  focalLoss,
  type LabelsLike,
  type LossResult,
  type LRScheduler,
  type Optimizer,
} from "@unetkit/layers";
import { Rng, Tensor, fromArray } from "@unetkit/tensor";
import { UNet } from "@unetkit/unet";
import type { TrainConfig } from "./train-config.js";
import { UsageError } from "./usage-error.js";

/** A labelled image set: `[N, C, H, W]` images and `[N, H, W]` masks. */
export interface SegmentationSet {
  images: Tensor;
  masks: LabelTensor;
}

/** Everything a run needs, built from a {@link TrainConfig}. */
export interface Session {
  config: TrainConfig;
  train: SegmentationSet;
  test: SegmentationSet;
  numClasses: number;
  classNames: string[];
  model: UNet;
  optimizer: Optimizer;
  scheduler: LRScheduler | null;
  loader: DataLoader;
  normalize: { mean: number[]; std: number[] } | undefined;
  lossFn: (logits: Tensor, labels: LabelTensor) => LossResult;
}

function subset(set: SegmentationSet, indices: number[]): SegmentationSet {
  const [, c, h, w] = set.images.shape;
  const plane = c * h * w;
  const images = new Tensor(set.images.dtype, [indices.length, c, h, w]);
  const masks = new Int32Array(indices.length * h * w);
  indices.forEach((src, i) => {
    images.data.set(set.images.data.subarray(src * plane, (src + 1) * plane), i * plane);
    masks.set(set.masks.data.subarray(src * h * w, (src + 1) * h * w), i * h * w);
  });
  return { images, masks: labelTensor([indices.length, h, w], masks) };
}

/** Loads the configured data: the shapes set (train seed, test seed + 1) or a PNG folder split by seed. */
export function loadData(config: TrainConfig): { train: SegmentationSet; test: SegmentationSet; numClasses: number; classNames: string[] } {
  const d = config.data;
  if (d.kind === "shapes") {
    const train = shapes({ n: d.trainSize, size: d.imageSize, seed: config.seed, binary: d.binary });
    const test = shapes({ n: d.testSize, size: d.imageSize, seed: config.seed + 1, binary: d.binary });
    return { train: { images: train.images, masks: train.masks }, test: { images: test.images, masks: test.masks }, numClasses: train.numClasses, classNames: train.classNames };
  }
  const folder = loadImageFolder({ images: d.images as string, masks: d.masks as string, numClasses: d.numClasses });
  const n = folder.images.shape[0];
  if (n < 2) throw new UsageError(`--data folder needs at least 2 image/mask pairs (found ${n} in ${d.images})`);
  const order = new Rng(config.seed).permutation(n);
  const nTest = Math.max(1, Math.round(n * d.testFraction));
  const all = { images: folder.images, masks: folder.masks };
  return {
    train: subset(all, order.slice(nTest).sort((a, b) => a - b)),
    test: subset(all, order.slice(0, nTest).sort((a, b) => a - b)),
    numClasses: folder.numClasses,
    classNames: folder.classNames,
  };
}

/** The loss named in the config, as `(logits, labels) => { loss, grad }`. */
export function makeLoss(config: TrainConfig, numClasses: number): Session["lossFn"] {
  const weight = config.classWeights ? fromArray(config.classWeights) : undefined;
  if (weight && config.classWeights!.length !== numClasses) {
    throw new UsageError(`--class-weights has ${config.classWeights!.length} entries but the data has ${numClasses} classes`);
  }
  const ce = (logits: Tensor, y: LabelsLike): LossResult => crossEntropyLoss(logits, y, { weight: weight?.astype(logits.dtype) });
  switch (config.loss) {
    case "ce":
      return ce;
    case "dice":
      return (logits, y) => diceLoss(logits, y);
    case "ce+dice":
      return (logits, y) => combinedLoss(logits, y, [{ loss: ce }, { loss: (l, t) => diceLoss(l, t) }]);
    case "focal":
      // Class weights act as focal loss's per-class alpha.
      return (logits, y) => focalLoss(logits, y, { alpha: weight?.astype(logits.dtype) });
  }
}

/** Builds data, model, optimizer, schedule and loader for a configuration (fresh weights). */
export function createSession(config: TrainConfig): Session {
  const { train, test, numClasses, classNames } = loadData(config);
  const m = config.model;
  const model = new UNet({
    inChannels: train.images.shape[1],
    numClasses,
    baseChannels: m.baseChannels,
    depth: m.depth,
    upsample: m.upsample,
    skip: m.skip,
    attention: m.attention,
    padding: m.padding,
    batchNorm: m.batchNorm,
    seed: config.seed,
  });
  model.checkInput(train.images.shape);
  const params = model.parameters();
  const optimizer =
    config.optimizer === "sgd"
      ? new SGD(params, { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay })
      : config.optimizer === "adam"
        ? new Adam(params, { lr: config.lr, weightDecay: config.weightDecay })
        : new AdamW(params, { lr: config.lr, weightDecay: config.weightDecay || 1e-2 });
  const scheduler =
    config.schedule === "step"
      ? new StepLR(optimizer, { stepSize: Math.max(1, Math.floor(config.epochs / 3)), gamma: 0.1 })
      : config.schedule === "cosine"
        ? new CosineAnnealingLR(optimizer, { tMax: config.epochs })
        : null;
  const normalize = config.normalize ? computeChannelStats(train.images) : undefined;
  const loader = new DataLoader({
    images: train.images,
    labels: train.masks,
    batchSize: config.batchSize,
    shuffle: true,
    dropLast: false,
    seed: config.seed,
    augment: config.augment
      ? augmentation({ hflip: 0.5, vflip: 0.5, rotate90: train.images.shape[2] === train.images.shape[3] })
      : undefined,
    normalize,
  });
  return {
    config,
    train,
    test,
    numClasses,
    classNames,
    model,
    optimizer,
    scheduler,
    loader,
    normalize: normalize ? { mean: Array.from(normalize.mean), std: Array.from(normalize.std) } : undefined,
    lossFn: makeLoss(config, numClasses),
  };
}
