import { ArgumentError, ShapeError, formatShape, shapeSize, type Shape } from "@unetkit/tensor";

/**
 * Integer labels with a shape: the label representation of every `@unetkit/data` function.
 *
 * - Segmentation masks: class indices per pixel, shape `[N, H, W]` for a batch or `[H, W]` for one
 *   mask; value `k` means class `k` (`0` is background in the built-in sets). An `ignoreIndex`
 *   (e.g. 255) may appear when a loader was told to keep it.
 * - Classification labels: one class index per sample, shape `[N]`.
 *
 * `data` is row-major like a {@link Tensor}'s. Images, by contrast, are float32 NCHW `Tensor`s. The
 * trainer converts label batches to whatever its loss wants (e.g. `Float32Array` one-hot); losses
 * and metrics read `data[i]` as the class index of element `i`.
 *
 * @example
 * ```ts
 * const mask: LabelTensor = labelTensor([2, 2], Int32Array.from([0, 1, 2, 0]));
 * mask.data[mask.shape[1] * 1 + 0]; // 2, the label of row 1, column 0
 * ```
 */
export interface LabelTensor {
  /** Sizes, outermost first (`[N, H, W]`, `[H, W]` or `[N]`). */
  readonly shape: readonly number[];
  /** The labels, row-major; length is the product of `shape`. */
  readonly data: Int32Array;
}

/**
 * Creates a {@link LabelTensor}, zero-filled when `data` is omitted; checks that `data` fills the
 * shape exactly. The data is used as is, not copied.
 *
 * @example
 * ```ts
 * labelTensor([3]).data;                          // Int32Array [0, 0, 0]
 * labelTensor([2], Int32Array.from([4, 7])).shape; // [2]
 * ```
 */
export function labelTensor(shape: Shape, data?: Int32Array): LabelTensor {
  const size = shapeSize(shape, "labelTensor");
  if (data === undefined) return { shape: Object.freeze(shape.slice()), data: new Int32Array(size) };
  if (!(data instanceof Int32Array)) {
    throw new ArgumentError("labelTensor", "data must be an Int32Array");
  }
  if (data.length !== size) {
    throw new ShapeError(
      "labelTensor",
      `data has ${data.length} elements but shape ${formatShape(shape)} needs ${size}`,
    );
  }
  return { shape: Object.freeze(shape.slice()), data };
}

/**
 * Checks that a value is a well-formed {@link LabelTensor} (Int32Array data filling its shape);
 * throws `ArgumentError`/`ShapeError` naming `op` otherwise.
 *
 * @example
 * ```ts
 * checkLabelTensor("DataLoader", labels); // throws if labels.data is a Float32Array
 * ```
 */
export function checkLabelTensor(op: string, label: unknown, what = "labels"): asserts label is LabelTensor {
  if (label === null || typeof label !== "object") {
    throw new ArgumentError(op, `${what} must be a LabelTensor ({ shape, data: Int32Array })`);
  }
  const l = label as { shape?: unknown; data?: unknown };
  if (!Array.isArray(l.shape) || !(l.data instanceof Int32Array)) {
    throw new ArgumentError(op, `${what} must be a LabelTensor ({ shape: number[], data: Int32Array })`);
  }
  const size = shapeSize(l.shape as number[], op);
  if (l.data.length !== size) {
    throw new ShapeError(
      op,
      `${what} data has ${l.data.length} elements but shape ${formatShape(l.shape as number[])} needs ${size}`,
    );
  }
}
