export {
  interpolateOutputSize,
  type InterpolateSizeOptions,
  type InterpolateGeometry,
  type NormalizedSizeOptions,
} from "./interpolate-size.js";
export {
  NearestUpsample,
  nearestUpsampleForward,
  nearestUpsampleBackward,
  nearestUpsampleInto,
  nearestUpsampleBackwardFrom,
  nearestIndexTable,
  type NearestUpsampleOptions,
} from "./nearest-upsample.js";
export {
  BilinearUpsample,
  bilinearUpsampleForward,
  bilinearUpsampleBackward,
  bilinearUpsampleInto,
  bilinearUpsampleBackwardFrom,
  bilinearPlan,
  linearTable,
  type BilinearUpsampleOptions,
  type BilinearPlan,
  type LinearTable,
} from "./bilinear-upsample.js";
export {
  TransposedConv2D,
  transposedConv2dForward,
  transposedConv2dBackwardData,
  transposedConv2dBackwardWeight,
  transposedConv2dOutputSize,
  type TransposedConv2DOptions,
  type TransposedConv2dOptions,
  type TransposedConv2dWeightGradOptions,
  type Size2,
} from "./transposed-conv2d.js";
export { PlaneUpsample } from "./plane-upsample.js";
