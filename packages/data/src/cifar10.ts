import { FormatError, Tensor } from "@unetkit/tensor";
import { labelTensor, type LabelTensor } from "./label-tensor.js";

/** CIFAR-10's class names, index = label. */
export const CIFAR10_CLASSES: readonly string[] = Object.freeze([
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
]);

/** Bytes per CIFAR-10 record: 1 label byte + 32*32 red + 32*32 green + 32*32 blue. */
export const CIFAR10_RECORD_BYTES = 1 + 3 * 32 * 32;

/** A classification set: images plus one class index per image. */
export interface ClassificationSet {
  /** `[n, C, H, W]` float32 in `[0, 1]`. */
  images: Tensor;
  /** `[n]` class indices. */
  labels: LabelTensor;
  /** Number of classes. */
  numClasses: number;
  /** Class names, index = label. */
  classNames: readonly string[];
}

/**
 * Reads one file of CIFAR-10's binary version (`data_batch_1.bin` ... `test_batch.bin`): records
 * of 1 label byte (0-9) followed by 3072 bytes, the 32x32 red, green and blue planes row-major.
 * Pixels become float32 `byte / 255`, already in NCHW order (the file stores channel planes).
 *
 * Throws `FormatError` when the length is not a positive multiple of 3073 or a label is above 9
 * (naming the record).
 *
 * @example
 * ```ts
 * const { images, labels } = readCifar10Batch(new Uint8Array(readFileSync("data_batch_1.bin")));
 * images.shape; // [10000, 3, 32, 32]
 * labels.shape; // [10000]
 * ```
 */
export function readCifar10Batch(bytes: Uint8Array): ClassificationSet {
  const op = "readCifar10Batch";
  if (!(bytes instanceof Uint8Array)) throw new FormatError(op, "expected a Uint8Array of file bytes");
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new FormatError(
      op,
      `length ${bytes.length} is not a positive multiple of the ${CIFAR10_RECORD_BYTES}-byte record (1 label + 3072 pixels)`,
    );
  }
  const n = bytes.length / CIFAR10_RECORD_BYTES;
  const images = new Tensor("float32", [n, 3, 32, 32]);
  const labels = labelTensor([n]);
  const x = images.data;
  const inv = 1 / 255;
  for (let i = 0; i < n; i++) {
    const rec = i * CIFAR10_RECORD_BYTES;
    const label = bytes[rec];
    if (label > 9) {
      throw new FormatError(op, `record ${i} (byte offset ${rec}) has label ${label}; CIFAR-10 labels are 0-9`);
    }
    labels.data[i] = label;
    const out = i * 3072;
    for (let p = 0; p < 3072; p++) x[out + p] = bytes[rec + 1 + p] * inv;
  }
  return { images, labels, numClasses: 10, classNames: CIFAR10_CLASSES };
}
