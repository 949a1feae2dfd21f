import type { Shape } from "@unetkit/tensor";

/**
 * The multi-index of a flat row-major offset in a tensor of the given shape.
 *
 * @example
 * ```ts
 * unravelIndex(5, [2, 3]); // [1, 2]
 * ```
 */
export function unravelIndex(flat: number, shape: Shape): number[] {
  const index = new Array<number>(shape.length);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d];
    index[d] = size > 0 ? rest % size : 0;
    rest = size > 0 ? Math.floor(rest / size) : 0;
  }
  return index;
}
