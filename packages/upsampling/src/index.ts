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
  nearestIndexTable,
  type NearestUpsampleOptions,
} from "./nearest-upsample.js";
export {
  BilinearUpsample,
  bilinearUpsampleForward,
  bilinearUpsampleBackward,
  bilinearPlan,
  linearTable,
  type BilinearUpsampleOptions,
  type BilinearPlan,
  type LinearTable,
} from "./bilinear-upsample.js";
