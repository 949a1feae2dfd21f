export { UnetkitError, ShapeError, ArgumentError, FormatError } from "./errors.js";
export { allocate, allocateUninitialized, dtypeOf, checkDType, type DType, type TypedArray } from "./dtype.js";
export {
  formatShape,
  shapeSize,
  stridesOf,
  normalizeAxis,
  sameShape,
  checkPositiveInt,
  checkNonNegativeInt,
  pair,
  type Shape,
} from "./shape.js";
export { Tensor, checkRank } from "./tensor.js";
export { Arena, withArena, activeArena } from "./arena.js";
export { withDeferredWeightGradients } from "./deferred-weight-gradients.js";
export { empty, zeros, ones, full, zerosLike, fromArray, randn, rand, arange } from "./creation.js";
export { Rng, manualSeed, globalRng, type RngState } from "./rng.js";
export type {
  KernelBackend,
  GemmArgs,
  ConvGeometry,
  Im2colArgs,
  Conv2dBatchArgs,
  Conv2dForwardArgs,
  Conv2dBackwardArgs,
  Conv2dBackwardDataArgs,
  Conv2dBackwardWeightArgs,
  AddArgs,
  ReluForwardArgs,
  ReluBackwardArgs,
  ChannelLayout,
  BatchNormStatisticsArgs,
  BatchNormNormalizeArgs,
  BatchNormForwardArgs,
  BatchNormBackwardArgs,
  MaxPool2x2Args,
  MaxPoolBackwardArgs,
  UpsampleNearest2xArgs,
  UpsampleNearest2xBackwardArgs,
  UpsampleNearest2xIntoArgs,
  UpsampleNearest2xBackwardFromArgs,
  PlaneRuns,
  InterpolationTable,
  BilinearResize,
  BilinearUpsampleArgs,
  BilinearUpsampleBackwardArgs,
  LabelArray,
  SoftmaxCrossEntropyArgs,
} from "./backend.js";
export { tsBackend, setBackend, getBackend, backendFor, withBackend } from "./backend-registry.js";
export { gemmTs, checkGemmArgs } from "./gemm-ts.js";
export { matmul, type MatmulOptions } from "./matmul.js";
export { broadcastShapes } from "./broadcast.js";
export {
  add,
  sub,
  mul,
  div,
  scale,
  addInPlace,
  subInPlace,
  mulInPlace,
  scaleInPlace,
  axpyInPlace,
} from "./elementwise.js";
export { sum, mean, max, argmax, type ReduceOptions, type Axes } from "./reduce.js";
export { permute, transpose } from "./permute.js";
export { concat } from "./concat.js";
export { split } from "./split.js";
export { slice, narrow } from "./slice.js";
export { allClose, maxAbsDiff, maxRelDiff, type AllCloseOptions } from "./all-close.js";
export {
  encodeSafetensors,
  decodeSafetensors,
  SAFETENSORS_MAX_HEADER_BYTES,
  type SafetensorsDType,
  type SafetensorsStoreDType,
  type EncodeSafetensorsOptions,
  type DecodeSafetensorsOptions,
  type DecodedSafetensors,
} from "./safetensors.js";
