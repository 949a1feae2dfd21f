import { ArgumentError, ShapeError, Tensor, checkRank, formatShape, type DType, type Shape } from "@unetkit/tensor";

/** Checks a 4-D NCHW input tensor (not exported from the package). */
export function checkImage(op: string, x: Tensor, what = "input"): void {
  checkRank(op, what, x, 4);
}

/**
 * Checks that an upstream gradient has the shape and dtype the forward produced; the message names
 * the op and both shapes.
 */
export function checkGrad(op: string, dy: Tensor, expected: Shape, dtype: DType): void {
  if (!(dy instanceof Tensor)) throw new ArgumentError(op, "gradient must be a Tensor");
  if (dy.rank !== expected.length || dy.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(
      op,
      `gradient has shape ${formatShape(dy.shape)} but the output has shape ${formatShape(expected)}`,
    );
  }
  if (dy.dtype !== dtype) {
    throw new ArgumentError(op, `gradient is ${dy.dtype} but the output is ${dtype}`);
  }
}

/** Refuses option keys an options object does not know (a typo would otherwise pass silently). */
export function checkKeys(op: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ArgumentError(op, `unknown option "${key}" (known: ${known.join(", ")})`);
    }
  }
}
