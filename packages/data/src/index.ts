/**
 * `@unetkit/data`: segmentation and classification data for unetkit, browser-safe. File-system
 * loaders (PNG folders, Fashion-MNIST from disk, PNG writing) live in `@unetkit/data/node`.
 *
 * @packageDocumentation
 */
export { labelTensor, checkLabelTensor, type LabelTensor } from "./label-tensor.js";
export {
  shapes,
  type ShapesOptions,
  type ShapesDataset,
  type CircleOptions,
  type SquareOptions,
} from "./shapes.js";
export {
  readCifar10Batch,
  CIFAR10_CLASSES,
  CIFAR10_RECORD_BYTES,
  type ClassificationSet,
} from "./cifar10.js";
export {
  readIdx,
  readIdxImagesAndLabels,
  isGzip,
  FASHION_MNIST_CLASSES,
  type IdxArray,
  type IdxDType,
} from "./idx.js";
export { checkSample, type Sample, type Transform } from "./sample.js";
export { hflip, vflip, randomHorizontalFlip, randomVerticalFlip } from "./flip.js";
export { rot90, randomRotate90 } from "./rotate90.js";
export { crop, randomCrop } from "./crop.js";
export { resample, type FillMode, type FillOptions } from "./resample.js";
export { rotate, randomRotation, type RandomRotationOptions } from "./rotate.js";
export {
  elastic,
  elasticField,
  randomElastic,
  bicubicUpsample,
  type DisplacementField,
  type ElasticOptions,
  type RandomElasticOptions,
} from "./elastic.js";
export { randomBrightness, randomContrast, randomGaussianNoise } from "./photometric.js";
export { compose, augmentation, augment, type AugmentConfig } from "./augment.js";
export {
  computeChannelStats,
  normalizeImages,
  type ChannelStats,
} from "./channel-stats.js";
export { DataLoader, type DataLoaderOptions, type Batch, type DataLoaderState } from "./data-loader.js";
export {
  imageToPngData,
  colorizeMask,
  DEFAULT_MASK_PALETTE,
  type PngData,
} from "./png-data.js";
export { takeSamples, stratifiedIndices, splitIndices } from "./subset.js";
