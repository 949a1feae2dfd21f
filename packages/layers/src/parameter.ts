import { Tensor, zerosLike } from "@unetkit/tensor";

/**
 * A trainable tensor and the gradient accumulated for it. Backward passes add into `grad`
 * (PyTorch's accumulation); {@link Parameter.zeroGrad} clears it. Optimizers update `value.data`
 * in place, so references held elsewhere stay valid.
 *
 * @example
 * ```ts
 * const w = new Parameter(zeros([4, 3]));
 * w.grad.data[0] += 1;  // what a backward does
 * w.zeroGrad();
 * ```
 */
export class Parameter {
  /** The current value. */
  readonly value: Tensor;
  /** The accumulated gradient, same shape and dtype as `value`. */
  readonly grad: Tensor;
  /** When false, optimizers skip this parameter. */
  requiresGrad = true;

  constructor(value: Tensor) {
    this.value = value;
    this.grad = zerosLike(value);
  }

  /** Sets the gradient to zero. */
  zeroGrad(): void {
    this.grad.data.fill(0);
  }
}
