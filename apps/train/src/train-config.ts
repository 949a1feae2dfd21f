import type { UpsampleMode } from "@unetkit/unet";
import { UsageError } from "./usage-error.js";

/** Everything a training run depends on; recorded in metrics.json and in every checkpoint. */
export interface TrainConfig {
  data: {
    kind: "shapes" | "folder";
    /** shapes: training and test set sizes and image size. */
    trainSize: number;
    testSize: number;
    imageSize: number;
    /** shapes: foreground-only variant (2 classes). */
    binary: boolean;
    /** folder: image and mask directories, test fraction, optional RGB palette file. */
    images?: string;
    masks?: string;
    testFraction: number;
    numClasses?: number;
  };
  model: {
    depth: number;
    baseChannels: number;
    upsample: UpsampleMode;
    skip: boolean;
    attention: boolean;
    padding: "same" | "valid";
    batchNorm: boolean;
  };
  loss: "ce" | "dice" | "ce+dice" | "focal";
  classWeights?: number[];
  optimizer: "sgd" | "adam" | "adamw";
  lr: number;
  momentum: number;
  weightDecay: number;
  schedule: "none" | "step" | "cosine";
  epochs: number;
  batchSize: number;
  augment: boolean;
  normalize: boolean;
  /**
   * After the last epoch, recompute BatchNorm's running statistics as the exact average over the
   * training set with the final weights ("precise BN"), before the final evaluation and the saved
   * weights. The momentum-0.1 running averages lag behind SGD with momentum, and the test score of
   * any one epoch swings with the last batches' statistics.
   */
  preciseBn: boolean;
  seed: number;
}

/**
 * The defaults reproduce the seed notebook's experiment: 200 training and 50 test images of 64x64
 * circles and squares, SimpleUNet with base 16 channels and nearest upsampling, pixel-wise
 * cross-entropy, SGD lr 0.01 momentum 0.9, batch 8, 25 epochs, seed 42.
 */
export const DEFAULT_CONFIG: TrainConfig = {
  data: { kind: "shapes", trainSize: 200, testSize: 50, imageSize: 64, binary: false, testFraction: 0.2 },
  model: { depth: 2, baseChannels: 16, upsample: "nearest", skip: true, attention: false, padding: "same", batchNorm: true },
  loss: "ce",
  optimizer: "sgd",
  lr: 0.01,
  momentum: 0.9,
  weightDecay: 0,
  schedule: "none",
  epochs: 25,
  batchSize: 8,
  augment: false,
  normalize: false,
  preciseBn: true,
  seed: 42,
};

/** The `train` options, their value kind and help text (also the source of `--help`). */
export const TRAIN_FLAGS = {
  data: { type: "string", help: "shapes (default) or folder" },
  images: { type: "string", help: "folder data: directory of PNG images" },
  masks: { type: "string", help: "folder data: directory of PNG masks (same file names)" },
  "num-classes": { type: "string", help: "folder data: number of classes (default: from the masks)" },
  "test-fraction": { type: "string", help: "folder data: share of images held out for testing (0.2)" },
  "train-size": { type: "string", help: "shapes: training images (200)" },
  "test-size": { type: "string", help: "shapes: test images (50)" },
  "image-size": { type: "string", help: "shapes: image side in pixels (64)" },
  binary: { type: "boolean", help: "shapes: foreground/background only" },
  depth: { type: "string", help: "pooling steps (2)" },
  base: { type: "string", help: "channels of the first level (16)" },
  upsample: { type: "string", help: "nearest (default), bilinear or transposed" },
  "no-skip": { type: "boolean", help: "drop the skip connections" },
  attention: { type: "boolean", help: "attention gates on the skips" },
  padding: { type: "string", help: "same (default) or valid" },
  "no-batch-norm": { type: "boolean", help: "no BatchNorm (convolutions get a bias)" },
  loss: { type: "string", help: "ce (default), dice, ce+dice or focal" },
  "class-weights": { type: "string", help: "comma-separated cross-entropy class weights" },
  optimizer: { type: "string", help: "sgd (default), adam or adamw" },
  lr: { type: "string", help: "learning rate (0.01)" },
  momentum: { type: "string", help: "SGD momentum (0.9)" },
  "weight-decay": { type: "string", help: "weight decay (0)" },
  schedule: { type: "string", help: "none (default), step or cosine" },
  epochs: { type: "string", help: "epochs (25)" },
  "batch-size": { type: "string", help: "batch size (8)" },
  augment: { type: "boolean", help: "flips, 90-degree turns and small elastic deformations" },
  normalize: { type: "boolean", help: "per-channel mean/std normalisation from the training set" },
  "no-precise-bn": { type: "boolean", help: "keep BatchNorm's running averages as trained (default: recompute them exactly over the training set after the last epoch)" },
  seed: { type: "string", help: "seed of data, weights and shuffles (42)" },
} as const;

type Flags = Partial<Record<keyof typeof TRAIN_FLAGS, string | boolean | undefined>>;

function int(name: string, v: string | boolean | undefined, fallback: number, min: number, max = 1e9): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== "string" || !/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got ${String(v)})`);
  }
  return n;
}

function num(name: string, v: string | boolean | undefined, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max} (got ${String(v)})`);
  }
  return n;
}

function choice<T extends string>(name: string, v: string | boolean | undefined, fallback: T, options: readonly T[]): T {
  if (v === undefined) return fallback;
  if (typeof v !== "string" || !options.includes(v as T)) {
    throw new UsageError(`--${name} must be one of ${options.join(", ")} (got ${String(v)})`);
  }
  return v as T;
}

/** Builds and validates a configuration from parsed `train` flags (throws {@link UsageError}). */
export function configFromFlags(flags: Flags, base: TrainConfig = DEFAULT_CONFIG): TrainConfig {
  const kind = choice("data", flags.data, base.data.kind, ["shapes", "folder"] as const);
  if (kind === "folder" && (!flags.images || !flags.masks)) {
    throw new UsageError("--data folder needs --images DIR and --masks DIR");
  }
  if (kind === "shapes" && (flags.images || flags.masks)) {
    throw new UsageError("--images and --masks need --data folder");
  }
  const classWeights =
    typeof flags["class-weights"] === "string"
      ? flags["class-weights"].split(",").map((s, i) => num(`class-weights (entry ${i + 1})`, s.trim(), 1, 0, 1e6))
      : base.classWeights;
  const config: TrainConfig = {
    data: {
      kind,
      trainSize: int("train-size", flags["train-size"], base.data.trainSize, 1, 100_000),
      testSize: int("test-size", flags["test-size"], base.data.testSize, 1, 100_000),
      imageSize: int("image-size", flags["image-size"], base.data.imageSize, 8, 4096),
      binary: flags.binary === true ? true : base.data.binary,
      images: typeof flags.images === "string" ? flags.images : base.data.images,
      masks: typeof flags.masks === "string" ? flags.masks : base.data.masks,
      testFraction: num("test-fraction", flags["test-fraction"], base.data.testFraction, 0.01, 0.9),
      numClasses: flags["num-classes"] !== undefined ? int("num-classes", flags["num-classes"], 2, 2, 256) : base.data.numClasses,
    },
    model: {
      depth: int("depth", flags.depth, base.model.depth, 1, 6),
      baseChannels: int("base", flags.base, base.model.baseChannels, 1, 512),
      upsample: choice("upsample", flags.upsample, base.model.upsample, ["nearest", "bilinear", "transposed"] as const),
      skip: flags["no-skip"] === true ? false : base.model.skip,
      attention: flags.attention === true ? true : base.model.attention,
      padding: choice("padding", flags.padding, base.model.padding, ["same", "valid"] as const),
      batchNorm: flags["no-batch-norm"] === true ? false : base.model.batchNorm,
    },
    loss: choice("loss", flags.loss, base.loss, ["ce", "dice", "ce+dice", "focal"] as const),
    classWeights,
    optimizer: choice("optimizer", flags.optimizer, base.optimizer, ["sgd", "adam", "adamw"] as const),
    lr: num("lr", flags.lr, flags.optimizer && flags.optimizer !== "sgd" && flags.lr === undefined ? 1e-3 : base.lr, 1e-12, 10),
    momentum: num("momentum", flags.momentum, base.momentum, 0, 0.999999),
    weightDecay: num("weight-decay", flags["weight-decay"], base.weightDecay, 0, 1),
    schedule: choice("schedule", flags.schedule, base.schedule, ["none", "step", "cosine"] as const),
    epochs: int("epochs", flags.epochs, base.epochs, 1, 100_000),
    batchSize: int("batch-size", flags["batch-size"], base.batchSize, 1, 4096),
    augment: flags.augment === true ? true : base.augment,
    normalize: flags.normalize === true ? true : base.normalize,
    preciseBn: flags["no-precise-bn"] === true ? false : base.preciseBn,
    seed: int("seed", flags.seed, base.seed, 0, 2 ** 31 - 1),
  };
  if (config.model.attention && !config.model.skip) throw new UsageError("--attention needs skip connections (drop --no-skip)");
  return config;
}
