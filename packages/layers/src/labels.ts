import { ArgumentError, ShapeError, Tensor, formatShape, shapeSize, type Shape } from "@unetkit/tensor";

/** The integer typed arrays accepted as class labels. */
export type IntegerArray = Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | Uint32Array;

/**
 * Integer class labels with a shape: `[N]` for logits `[N, C]`, `[N, H, W]` for NCHW logits
 * `[N, C, H, W]` (one class index per pixel, row-major). This is the label type of every loss;
 * any object with a `shape` and an integer typed array `data` fits (a mask a data loader produced
 * as `Uint8Array` works as is).
 *
 * @example
 * ```ts
 * const y: Labels = { shape: [2, 4, 4], data: new Int32Array(32) }; // all class 0
 * ```
 */
export interface Labels {
  /** Sizes, outermost first (`[N, ...spatial]`). */
  readonly shape: Shape;
  /** One class index per element, row-major. */
  readonly data: IntegerArray;
}

/**
 * What a loss accepts as labels: {@link Labels}, or a float {@link Tensor} whose values are all
 * integers (converted; a non-integral value is refused).
 */
export type LabelsLike = Labels | Tensor;

/**
 * Builds {@link Labels} (an `Int32Array` copy) from numbers and a shape; every value must be an
 * integer in the int32 range.
 *
 * @example
 * ```ts
 * const y = labels([0, 2, 1, -100], [4]);
 * y.data; // Int32Array [0, 2, 1, -100]
 * ```
 */
export function labels(values: ArrayLike<number>, shape: Shape): Labels {
  const op = "labels";
  const size = shapeSize(shape, op);
  if (values.length !== size) {
    throw new ShapeError(op, `${values.length} values do not fill shape ${formatShape(shape)} (${size})`);
  }
  const data = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new ArgumentError(op, `value ${String(v)} at flat index ${i} is not an int32 integer`);
    }
    data[i] = v;
  }
  return { shape: Object.freeze(shape.slice()), data };
}

function isIntegerArray(a: unknown): a is IntegerArray {
  return (
    a instanceof Int32Array ||
    a instanceof Int16Array ||
    a instanceof Int8Array ||
    a instanceof Uint8Array ||
    a instanceof Uint16Array ||
    a instanceof Uint32Array
  );
}

/**
 * Validates labels for `op` and returns them as {@link Labels} (a float Tensor is converted to
 * `Int32Array`; non-integral or non-finite values are refused naming the flat index).
 *
 * @example
 * ```ts
 * toLabels("crossEntropyLoss", fromArray([0, 1, 2])).data; // Int32Array [0, 1, 2]
 * ```
 */
export function toLabels(op: string, y: LabelsLike): Labels {
  if (y instanceof Tensor) {
    const data = new Int32Array(y.size);
    for (let i = 0; i < y.size; i++) {
      const v = y.data[i];
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
        throw new ArgumentError(op, `labels must be integers; value ${v} at flat index ${i} (labels ${formatShape(y.shape)})`);
      }
      data[i] = v;
    }
    return { shape: y.shape, data };
  }
  if (y === null || typeof y !== "object" || !Array.isArray(y.shape)) {
    throw new ArgumentError(op, "labels must be a Tensor or { shape, data: Int32Array }");
  }
  if (!isIntegerArray(y.data)) {
    throw new ArgumentError(op, "labels.data must be an integer typed array (Int32Array, Uint8Array, ...)");
  }
  const size = shapeSize(y.shape, op);
  if (y.data.length !== size) {
    throw new ShapeError(op, `labels.data has ${y.data.length} elements but shape ${formatShape(y.shape)} needs ${size}`);
  }
  return y;
}

/** The multi-index of a flat row-major offset, formatted `[n,h,w]` (for error messages). */
export function formatIndex(shape: Shape, flat: number): string {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return `[${idx.join(",")}]`;
}
