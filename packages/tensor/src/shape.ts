import { ArgumentError, ShapeError } from "./errors.js";

/** A tensor shape: a list of non-negative integer sizes, outermost first. */
export type Shape = readonly number[];

/**
 * Formats a shape as `[2,3,8,8]`, the form every error message uses.
 *
 * @example
 * ```ts
 * formatShape([2, 3, 8, 8]); // "[2,3,8,8]"
 * ```
 */
export function formatShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/**
 * Number of elements of a shape (the product of its sizes; 1 for a scalar `[]`). Throws if a size is
 * not a non-negative integer.
 *
 * @example
 * ```ts
 * shapeSize([2, 3, 4]); // 24
 * ```
 */
export function shapeSize(shape: Shape, op = "shape"): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(op, `sizes must be non-negative integers (got ${formatShape(shape)})`);
    }
    n *= d;
  }
  return n;
}

/**
 * Row-major (C-order) strides of a contiguous tensor of this shape, in elements.
 *
 * @example
 * ```ts
 * stridesOf([2, 3, 4]); // [12, 4, 1]
 * ```
 */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/**
 * Resolves a possibly negative axis (`-1` is the last) against a rank, throwing if out of range.
 *
 * @example
 * ```ts
 * normalizeAxis(-1, 4, "sum"); // 3
 * ```
 */
export function normalizeAxis(axis: number, rank: number, op: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ArgumentError(op, `axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * True when two shapes are equal size by size.
 *
 * @example
 * ```ts
 * sameShape([2, 3], [2, 3]); // true
 * ```
 */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Checks that a value is a positive integer, throwing an {@link ArgumentError} naming the op and
 * the argument otherwise. Layers use it for sizes, channels, kernels and strides.
 *
 * @example
 * ```ts
 * checkPositiveInt("Conv2D", "outChannels", 16); // ok
 * ```
 */
export function checkPositiveInt(op: string, what: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new ArgumentError(op, `${what} must be a positive integer (got ${value})`);
  }
}

/**
 * Checks that a value is a non-negative integer (paddings, output paddings).
 *
 * @example
 * ```ts
 * checkNonNegativeInt("Conv2D", "padding", 1); // ok
 * ```
 */
export function checkNonNegativeInt(op: string, what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new ArgumentError(op, `${what} must be a non-negative integer (got ${value})`);
  }
}

/**
 * Expands a size given as one number or a `[height, width]` pair into a pair, validating both.
 *
 * @example
 * ```ts
 * pair("Conv2D", "kernelSize", 3); // [3, 3]
 * pair("Conv2D", "stride", [2, 1]); // [2, 1]
 * ```
 */
export function pair(
  op: string,
  what: string,
  value: number | readonly [number, number],
  allowZero = false,
): [number, number] {
  const p: [number, number] = typeof value === "number" ? [value, value] : [value[0], value[1]];
  if (!Array.isArray(value) && typeof value !== "number") {
    throw new ArgumentError(op, `${what} must be a number or a [height, width] pair`);
  }
  for (const v of p) {
    if (allowZero) checkNonNegativeInt(op, what, v);
    else checkPositiveInt(op, what, v);
  }
  return p;
}
