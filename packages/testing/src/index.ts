export {
  gradcheck,
  assertGradcheck,
  formatGradcheckReport,
  type GradcheckOptions,
  type GradcheckReport,
} from "./gradcheck.js";
export {
  layerGradcheck,
  assertLayerGradcheck,
  type GradcheckableLayer,
  type LayerGradcheckOptions,
} from "./layer-gradcheck.js";
export { expectClose, type ExpectCloseOptions } from "./expect-close.js";
export {
  relativeError,
  relativeErrorStats,
  type RelativeErrorOptions,
  type RelativeErrorStats,
} from "./relative-error.js";
export { loadFixture, type Fixture } from "./load-fixture.js";
export { unravelIndex } from "./unravel-index.js";
export { normRelativeError } from "./norm-relative-error.js";
export { cpuMs, formatRow, medianCpuMs, type MedianCpuMsOptions } from "./median-cpu-ms.js";
