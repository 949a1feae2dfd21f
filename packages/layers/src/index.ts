export { Parameter } from "./parameter.js";
export { Module, Layer, type StateDict, type LoadStateDictOptions } from "./module.js";
export { wantsInputGrad, type BackwardOptions } from "./backward-options.js";
export { labels, toLabels, type Labels, type LabelsLike, type IntegerArray } from "./labels.js";
export type { Loss, LossResult, UnreducedLossResult, Reduction } from "./loss.js";
export { crossEntropyLoss, CrossEntropyLoss, type CrossEntropyOptions } from "./cross-entropy-loss.js";
export {
  conv2dForward,
  conv2dBackwardData,
  conv2dBackwardWeight,
  conv2dBackwardBias,
  conv2dBackward,
  Conv2D,
  type Conv2dOptions,
  type Conv2dBackwardOptions,
  type Conv2dDataGradOptions,
  type Conv2dWeightGradOptions,
  type Conv2DOptions,
  type Size2,
} from "./conv2d.js";
export { BatchNorm2D, batchNormStatistics, type BatchNorm2DOptions } from "./batch-norm2d.js";
export { ReLU, reluForward, reluBackward } from "./relu.js";
export { LeakyReLU, leakyReluForward, leakyReluBackward } from "./leaky-relu.js";
export { Sigmoid, sigmoidForward, sigmoidBackward } from "./sigmoid.js";
export { MaxPool2D, maxPool2dForward, maxPool2dBackward, type MaxPool2DOptions, type MaxPool2DResult } from "./max-pool2d.js";
export { AvgPool2D, avgPool2dForward, avgPool2dBackward, type AvgPool2DOptions } from "./avg-pool2d.js";
export { poolOutputSize } from "./pool-geometry.js";
export { GlobalAvgPool2D, globalAvgPool2dForward, globalAvgPool2dBackward } from "./global-avg-pool2d.js";
export { Flatten } from "./flatten.js";
export { Linear, type LinearOptions } from "./linear.js";
export { Dropout, type DropoutOptions } from "./dropout.js";
export { Sequential } from "./sequential.js";
export { BasicBlock, type BasicBlockOptions } from "./basic-block.js";
export { Bottleneck, type BottleneckOptions } from "./bottleneck.js";
export { bceWithLogitsLoss, BCEWithLogitsLoss, type BCEWithLogitsOptions } from "./bce-with-logits-loss.js";
export {
  focalLoss,
  FocalLoss,
  binaryFocalLoss,
  BinaryFocalLoss,
  type FocalOptions,
  type BinaryFocalOptions,
} from "./focal-loss.js";
export { diceLoss, DiceLoss, type DiceOptions } from "./dice-loss.js";
export { combinedLoss, CombinedLoss, type WeightedLoss, type CombinedLossResult } from "./combined-loss.js";
export {
  Optimizer,
  type OptimizerStateDict,
  type ParamState,
  type HyperValue,
} from "./optimizer.js";
export { SGD, type SGDOptions, type SGDHyper } from "./sgd.js";
export { Adam, type AdamOptions, type AdamHyper } from "./adam.js";
export { AdamW } from "./adamw.js";
export { LRScheduler, type LRSchedulerStateDict } from "./lr-scheduler.js";
export { StepLR, type StepLROptions } from "./step-lr.js";
export { CosineAnnealingLR, type CosineAnnealingLROptions } from "./cosine-annealing-lr.js";
export { LinearLR, type LinearLROptions } from "./linear-lr.js";
export { SequentialLR, type SequentialLROptions } from "./sequential-lr.js";
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from "./clip-grad.js";
