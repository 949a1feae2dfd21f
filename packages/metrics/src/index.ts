export type { LabelMask, MaskInput } from "./label-mask.js";
export { argmaxChannels } from "./argmax-channels.js";
export { ConfusionMatrix, type ConfusionMatrixOptions } from "./confusion-matrix.js";
export {
  classCounts,
  pixelAccuracy,
  iou,
  meanIoU,
  dice,
  meanDice,
  precision,
  recall,
  nanMean,
  segmentationScores,
  type AbsentPolicy,
  type ScoreOptions,
  type ConfusionCounts,
  type ClassCounts,
  type SegmentationScores,
} from "./scores.js";
export { topKAccuracy, accuracy } from "./top-k-accuracy.js";
export {
  binaryMetrics,
  binaryCounts,
  binaryScores,
  type BinaryCounts,
  type BinaryScores,
  type BinaryMetricsOptions,
} from "./binary-metrics.js";
export { distanceTransform } from "./distance-transform.js";
export {
  hausdorffDistance,
  hausdorff95,
  hausdorff95PerClass,
  maskBoundary,
  type HausdorffOptions,
} from "./hausdorff.js";
