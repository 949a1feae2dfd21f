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
