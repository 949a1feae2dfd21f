import {
  ArgumentError,
  ShapeError,
  Tensor,
  checkRank,
  formatShape,
  type DType,
  type Rng,
} from "@unetkit/tensor";

/**
 * Checks that a layer input is a Tensor, of the layer's dtype and of the given rank when those are
 * given.
 * Internal helper shared by the layers.
 *
 * @example
 * ```ts
 * checkInput("Conv2D", x, "float32", 4);
 * ```
 */
export function checkInput(op: string, x: Tensor, dtype?: DType, rank?: number): void {
  if (!(x instanceof Tensor)) throw new ArgumentError(op, "input must be a Tensor");
  if (rank !== undefined) checkRank(op, "input", x, rank);
  if (dtype !== undefined && x.dtype !== dtype) {
    throw new ArgumentError(
      op,
      `input is ${x.dtype} but the layer is ${dtype} (input ${formatShape(x.shape)}); convert with astype`,
    );
  }
}

/**
 * Checks that a gradient has exactly the shape (and dtype) of the forward output it belongs to.
 *
 * @example
 * ```ts
 * checkGradShape("ReLU", dy, y.shape, "float32");
 * ```
 */
export function checkGradShape(op: string, dy: Tensor, shape: readonly number[], dtype: DType): void {
  if (!(dy instanceof Tensor)) throw new ArgumentError(op, "gradient must be a Tensor");
  if (dy.shape.length !== shape.length || dy.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(
      op,
      `gradient has shape ${formatShape(dy.shape)} but the forward output was ${formatShape(shape)}`,
    );
  }
  if (dy.dtype !== dtype) {
    throw new ArgumentError(op, `gradient is ${dy.dtype} but the forward output was ${dtype}`);
  }
}

/**
 * Fills a tensor with `U(-bound, bound)` draws, PyTorch's `init.uniform_`.
 *
 * @example
 * ```ts
 * uniformInit(weight, 1 / Math.sqrt(fanIn), rng);
 * ```
 */
export function uniformInit(t: Tensor, bound: number, rng: Rng): void {
  rng.fillUniform(t.data, -bound, bound);
}

/**
 * The bound `1/sqrt(fanIn)` that PyTorch's `reset_parameters` of Conv2d and Linear uses for both the
 * weight (`kaiming_uniform_(a=sqrt(5))`: `gain*sqrt(3/fanIn)` with `gain = sqrt(2/(1+5))`) and the
 * bias; 0 for an empty fan-in.
 *
 * @example
 * ```ts
 * defaultInitBound(27); // 0.19245...
 * ```
 */
export function defaultInitBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}
