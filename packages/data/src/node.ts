/**
 * `@unetkit/data/node`: the Node-only part of `@unetkit/data` (file system, zlib, pngjs). It
 * re-exports everything of the browser-safe entry too, so Node code can import from here alone.
 *
 * @packageDocumentation
 */
export * from "./index.js";
export { decodePng, encodePng, savePng, type DecodedPng } from "./png.js";
export { loadImageFolder, type ImageFolderOptions, type ImageFolderDataset } from "./image-folder.js";
export {
  readMaybeGzip,
  readIdxFile,
  loadMnistLike,
  loadFashionMnist,
  loadCifar10,
  DEBIAN_FASHION_MNIST_DIR,
  type MnistOptions,
} from "./node-datasets.js";
