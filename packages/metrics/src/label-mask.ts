import { ArgumentError, ShapeError, Tensor, formatShape, shapeSize } from "@unetkit/tensor";

/**
 * A class-index mask: one `Int32Array` of labels, row-major, with its shape (`[N, H, W]` for a
 * batch of segmentation masks, `[H, W]` for one mask, `[N]` for classification labels).
 *
 * Structurally the same as `LabelTensor` from `@unetkit/data`, so those pass straight in.
 *
 * @example
 * ```ts
 * const truth: LabelMask = { shape: [1, 2, 2], data: Int32Array.from([0, 1, 1, 2]) };
 * ```
 */
export interface LabelMask {
  /** Sizes, outermost first; their product is `data.length`. */
  readonly shape: readonly number[];
  /** The class indices, row-major. */
  readonly data: Int32Array;
}

/**
 * What the metric functions accept as a mask: a {@link LabelMask}, or a plain `Int32Array`, which
 * is taken as a flat mask of shape `[data.length]` (shape checks then compare lengths only).
 *
 * @example
 * ```ts
 * cm.update(Int32Array.of(0, 1), { shape: [1, 2], data: Int32Array.of(0, 0) });
 * ```
 */
export type MaskInput = LabelMask | Int32Array;

/** A mask input resolved to its data and shape (a plain array gets the shape `[length]`). */
export interface ResolvedMask {
  readonly shape: readonly number[];
  readonly data: Int32Array;
  /** False when the caller gave a plain Int32Array (no shape of its own). */
  readonly shaped: boolean;
}

/**
 * Checks and unpacks a mask argument, throwing `ArgumentError` for anything that is not an
 * `Int32Array` or a `{ shape, data: Int32Array }` whose shape matches its data length.
 *
 * @example
 * ```ts
 * resolveMask("iou", "truth", Int32Array.of(0, 1)).shape; // [2]
 * ```
 */
export function resolveMask(op: string, what: string, mask: MaskInput): ResolvedMask {
  if (mask instanceof Int32Array) {
    return { shape: [mask.length], data: mask, shaped: false };
  }
  if ((mask as unknown) instanceof Tensor) {
    throw new ArgumentError(
      op,
      `${what} is a float Tensor ${formatShape((mask as unknown as Tensor).shape)}, not a class-index mask; take the argmax first (argmaxChannels, or ConfusionMatrix.updateFromLogits)`,
    );
  }
  if (mask === null || typeof mask !== "object" || !Array.isArray((mask as LabelMask).shape)) {
    throw new ArgumentError(
      op,
      `${what} must be an Int32Array or a { shape, data: Int32Array } mask (got ${describe(mask)})`,
    );
  }
  const { shape, data } = mask;
  if (!(data instanceof Int32Array)) {
    throw new ArgumentError(
      op,
      `${what}.data must be an Int32Array of class indices (got ${describe(data)}); convert with Int32Array.from(...)`,
    );
  }
  const size = shapeSize(shape, op);
  if (size !== data.length) {
    throw new ShapeError(
      op,
      `${what} has shape ${formatShape(shape)} (${size} elements) but ${data.length} labels`,
    );
  }
  return { shape, data, shaped: true };
}

/**
 * Throws `ShapeError` unless two masks have the same shape (or, when either is a plain array, the
 * same length).
 *
 * @example
 * ```ts
 * checkSameMaskShape("update", "prediction", a, "truth", b);
 * ```
 */
export function checkSameMaskShape(
  op: string,
  nameA: string,
  a: ResolvedMask,
  nameB: string,
  b: ResolvedMask,
): void {
  const same =
    a.shaped && b.shaped
      ? a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i])
      : a.data.length === b.data.length;
  if (!same) {
    throw new ShapeError(
      op,
      `${nameA} ${formatShape(a.shape)} and ${nameB} ${formatShape(b.shape)} must have the same shape`,
    );
  }
}

/**
 * The multi-index of a flat row-major offset, formatted as `[n,y,x]`, for error messages.
 *
 * @example
 * ```ts
 * formatPosition(5, [2, 2, 2]); // "[1,0,1]"
 * ```
 */
export function formatPosition(offset: number, shape: readonly number[]): string {
  const idx = new Array<number>(shape.length);
  let rest = offset;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i];
    idx[i] = d > 0 ? rest % d : 0;
    rest = d > 0 ? Math.floor(rest / d) : 0;
  }
  return `[${idx.join(",")}]`;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (typeof x !== "object") return typeof x;
  const name = (x as object).constructor?.name;
  return name ?? "object";
}
