import { Tensor } from "@unetkit/tensor";
import { checkGradShape, checkInput } from "./internal.js";
import { Layer } from "./module.js";

/**
 * `max(x, 0)` elementwise (any shape), as `torch.relu`.
 *
 * @example
 * ```ts
 * reluForward(fromArray([-1, 0, 2])).toArray(); // [0, 0, 2]
 * ```
 */
export function reluForward(x: Tensor): Tensor {
  const y = new Tensor(x.dtype, x.shape);
  const xd = x.data;
  const yd = y.data;
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i];
    yd[i] = v > 0 ? v : 0;
  }
  return y;
}

/**
 * The gradient of ReLU from its output: `dx = dy` where `y > 0`, else 0 (PyTorch's
 * `threshold_backward`, so the gradient at exactly 0 is 0). `dy` and `y` have the same shape.
 *
 * @example
 * ```ts
 * const y = reluForward(x);
 * const dx = reluBackward(dy, y);
 * ```
 */
export function reluBackward(dy: Tensor, y: Tensor): Tensor {
  checkGradShape("ReLU.backward", dy, y.shape, y.dtype);
  const dx = new Tensor(dy.dtype, dy.shape);
  const g = dy.data;
  const yd = y.data;
  const d = dx.data;
  for (let i = 0; i < g.length; i++) d[i] = yd[i] > 0 ? g[i] : 0;
  return dx;
}

/**
 * Rectified linear unit, `torch.nn.ReLU`: `y = max(x, 0)` elementwise, any shape. Saves only its
 * output for backward.
 *
 * @example
 * ```ts
 * const relu = new ReLU();
 * const y = relu.forward(x);      // same shape as x
 * const dx = relu.backward(dy);   // dy where y > 0
 * ```
 */
export class ReLU extends Layer {
  forward(x: Tensor): Tensor {
    checkInput("ReLU", x);
    const y = reluForward(x);
    this.saveForBackward(y);
    return y;
  }

  backward(dy: Tensor): Tensor {
    const y = this.takeSaved<Tensor>();
    return reluBackward(dy, y);
  }
}
