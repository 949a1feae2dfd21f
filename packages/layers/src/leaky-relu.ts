import { ArgumentError, Tensor } from "@unetkit/tensor";
import { checkGradShape, checkInput } from "./internal.js";
import { Layer } from "./module.js";

/**
 * `x` where `x > 0`, else `negativeSlope * x`, elementwise (any shape), as
 * `torch.nn.functional.leaky_relu`.
 *
 * @example
 * ```ts
 * leakyReluForward(fromArray([-2, 3]), 0.1).toArray(); // [-0.2, 3]
 * ```
 */
export function leakyReluForward(x: Tensor, negativeSlope: number): Tensor {
  const y = new Tensor(x.dtype, x.shape);
  const xd = x.data;
  const yd = y.data;
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i];
    yd[i] = v > 0 ? v : v * negativeSlope;
  }
  return y;
}

/**
 * The gradient of LeakyReLU from its input: `dx = dy` where `x > 0`, else `negativeSlope * dy`
 * (PyTorch's rule, so at exactly 0 the slope applies). `dy` and `x` have the same shape.
 *
 * @example
 * ```ts
 * const dx = leakyReluBackward(dy, x, 0.01);
 * ```
 */
export function leakyReluBackward(dy: Tensor, x: Tensor, negativeSlope: number): Tensor {
  checkGradShape("LeakyReLU.backward", dy, x.shape, x.dtype);
  const dx = new Tensor(dy.dtype, dy.shape);
  const g = dy.data;
  const xd = x.data;
  const d = dx.data;
  for (let i = 0; i < g.length; i++) d[i] = xd[i] > 0 ? g[i] : g[i] * negativeSlope;
  return dx;
}

/**
 * Leaky rectified linear unit, `torch.nn.LeakyReLU(negative_slope=0.01)`: `y = x` for `x > 0`,
 * `negativeSlope * x` otherwise; any shape. Saves its input for backward (as PyTorch), not a copy.
 *
 * @example
 * ```ts
 * const act = new LeakyReLU(0.2);
 * const y = act.forward(x);
 * const dx = act.backward(dy);
 * ```
 */
export class LeakyReLU extends Layer {
  /** The slope for negative inputs. */
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.01) {
    super();
    if (typeof negativeSlope !== "number" || !Number.isFinite(negativeSlope)) {
      throw new ArgumentError("LeakyReLU", `negativeSlope must be a finite number (got ${negativeSlope})`);
    }
    this.negativeSlope = negativeSlope;
  }

  forward(x: Tensor): Tensor {
    checkInput("LeakyReLU", x);
    this.saveForBackward(x);
    return leakyReluForward(x, this.negativeSlope);
  }

  backward(dy: Tensor): Tensor {
    const x = this.takeSaved<Tensor>();
    return leakyReluBackward(dy, x, this.negativeSlope);
  }
}
