import { FormatError, Tensor, formatShape } from "@unetkit/tensor";
import type { ClassificationSet } from "./cifar10.js";
import { labelTensor } from "./label-tensor.js";

/** The element types of the IDX format, by their type code. */
export type IdxDType = "uint8" | "int8" | "int16" | "int32" | "float32" | "float64";

/** A decoded IDX file: the element type, the sizes and the values in a matching typed array. */
export interface IdxArray {
  /** Element type from the header's type code. */
  dtype: IdxDType;
  /** Sizes from the header, outermost first. */
  shape: number[];
  /** The values, row-major, converted from big-endian. */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { dtype: IdxDType; bytes: number }> = {
  0x08: { dtype: "uint8", bytes: 1 },
  0x09: { dtype: "int8", bytes: 1 },
  0x0b: { dtype: "int16", bytes: 2 },
  0x0c: { dtype: "int32", bytes: 4 },
  0x0d: { dtype: "float32", bytes: 4 },
  0x0e: { dtype: "float64", bytes: 8 },
};

/** True when the bytes start with the gzip magic `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decodes an IDX file (the MNIST / Fashion-MNIST format): magic `00 00 <type> <rank>`, then `rank`
 * big-endian uint32 sizes, then the values big-endian. Type codes: `08` uint8, `09` int8,
 * `0B` int16, `0C` int32, `0D` float32, `0E` float64.
 *
 * Validates everything and throws `FormatError`: a wrong magic, an unknown type code, rank 0, a
 * header longer than the file, and a payload that is not exactly the product of the sizes times
 * the element size. A gzip'd file (`*.gz`, magic `1f 8b`) is refused with a message pointing to
 * `readIdxFile` from `@unetkit/data/node`, which decompresses (this entry stays browser-safe).
 *
 * @example
 * ```ts
 * const labels = readIdx(bytes); // { dtype: "uint8", shape: [60000], data: Uint8Array }
 * ```
 */
export function readIdx(bytes: Uint8Array): IdxArray {
  const op = "readIdx";
  if (!(bytes instanceof Uint8Array)) throw new FormatError(op, "expected a Uint8Array of file bytes");
  if (isGzip(bytes)) {
    throw new FormatError(
      op,
      "the bytes are gzip-compressed; decompress them first (readIdxFile from @unetkit/data/node does it)",
    );
  }
  if (bytes.length < 4) throw new FormatError(op, `file of ${bytes.length} bytes is shorter than the 4-byte magic`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new FormatError(
      op,
      `bad magic: the first two bytes must be 0 (got ${bytes[0]}, ${bytes[1]}); not an IDX file`,
    );
  }
  const type = TYPES[bytes[2]];
  if (type === undefined) {
    throw new FormatError(op, `unknown type code 0x${bytes[2].toString(16).padStart(2, "0")} (expected 08, 09, 0B, 0C, 0D or 0E)`);
  }
  const rank = bytes[3];
  if (rank === 0) throw new FormatError(op, "rank 0 in the header; an IDX file needs at least one dimension");
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new FormatError(op, `header of rank ${rank} needs ${headerBytes} bytes but the file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < rank; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    shape.push(size);
    count *= size;
  }
  const expected = headerBytes + count * type.bytes;
  if (bytes.length !== expected) {
    throw new FormatError(
      op,
      `sizes ${formatShape(shape)} of ${type.dtype} need ${expected} bytes (header ${headerBytes} + ${count} x ${type.bytes}) but the file has ${bytes.length}`,
    );
  }
  let data: IdxArray["data"];
  const o = headerBytes;
  switch (type.dtype) {
    case "uint8":
      data = bytes.slice(o, expected);
      break;
    case "int8":
      data = new Int8Array(bytes.slice(o, expected).buffer);
      break;
    case "int16":
      data = new Int16Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt16(o + 2 * i, false);
      break;
    case "int32":
      data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt32(o + 4 * i, false);
      break;
    case "float32":
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(o + 4 * i, false);
      break;
    case "float64":
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(o + 8 * i, false);
      break;
  }
  return { dtype: type.dtype, shape, data };
}

/**
 * Pairs an IDX image file (uint8, `[n, H, W]`) with an IDX label file (uint8, `[n]`) into a
 * classification set: images `[n, 1, H, W]` float32 `byte / 255`, labels `[n]` Int32.
 *
 * Throws `FormatError` when either file is not uint8 of the right rank, the counts differ, or a
 * label is `>= numClasses` (default 10; naming the sample).
 *
 * @example
 * ```ts
 * const train = readIdxImagesAndLabels(imagesBytes, labelsBytes);
 * train.images.shape; // [60000, 1, 28, 28]
 * ```
 */
export function readIdxImagesAndLabels(
  imageBytes: Uint8Array,
  labelBytes: Uint8Array,
  options: { numClasses?: number; classNames?: readonly string[] } = {},
): ClassificationSet {
  const op = "readIdxImagesAndLabels";
  const numClasses = options.numClasses ?? options.classNames?.length ?? 10;
  const img = readIdx(imageBytes);
  const lab = readIdx(labelBytes);
  if (img.dtype !== "uint8" || img.shape.length !== 3) {
    throw new FormatError(op, `images must be uint8 of rank 3 [n,H,W] (got ${img.dtype} ${formatShape(img.shape)})`);
  }
  if (lab.dtype !== "uint8" || lab.shape.length !== 1) {
    throw new FormatError(op, `labels must be uint8 of rank 1 [n] (got ${lab.dtype} ${formatShape(lab.shape)})`);
  }
  const [n, h, w] = img.shape;
  if (lab.shape[0] !== n) {
    throw new FormatError(op, `${n} images ${formatShape(img.shape)} but ${lab.shape[0]} labels`);
  }
  const images = new Tensor("float32", [n, 1, h, w]);
  const inv = 1 / 255;
  const src = img.data;
  for (let i = 0; i < src.length; i++) images.data[i] = src[i] * inv;
  const labels = labelTensor([n]);
  for (let i = 0; i < n; i++) {
    const v = lab.data[i];
    if (v >= numClasses) throw new FormatError(op, `label ${v} of sample ${i} is not below numClasses ${numClasses}`);
    labels.data[i] = v;
  }
  const classNames = options.classNames ?? Array.from({ length: numClasses }, (_, i) => String(i));
  return { images, labels, numClasses, classNames };
}

/** Fashion-MNIST's class names, index = label. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
]);
