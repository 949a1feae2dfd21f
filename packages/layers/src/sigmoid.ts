import { Tensor } from "@unetkit/tensor";
import { checkGradShape, checkInput } from "./internal.js";
import { Layer } from "./module.js";

/**
 * The logistic function `1 / (1 + exp(-x))` elementwise (any shape), computed without overflow for
 * large `|x|` (`exp(x) / (1 + exp(x))` for negative x).
 *
 * @example
 * ```ts
 * sigmoidForward(fromArray([0])).toArray(); // [0.5]
 * ```
 */
export function sigmoidForward(x: Tensor): Tensor {
  const y = new Tensor(x.dtype, x.shape);
  const xd = x.data;
  const yd = y.data;
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i];
    if (v >= 0) {
      yd[i] = 1 / (1 + Math.exp(-v));
    } else {
      const e = Math.exp(v);
      yd[i] = e / (1 + e);
    }
  }
  return y;
}

/**
 * The gradient of the sigmoid from its output: `dx = dy * y * (1 - y)`. `dy` and `y` have the same
 * shape.
 *
 * @example
 * ```ts
 * const y = sigmoidForward(x);
 * const dx = sigmoidBackward(dy, y);
 * ```
 */
export function sigmoidBackward(dy: Tensor, y: Tensor): Tensor {
  checkGradShape("Sigmoid.backward", dy, y.shape, y.dtype);
  const dx = new Tensor(dy.dtype, dy.shape);
  const g = dy.data;
  const yd = y.data;
  const d = dx.data;
  for (let i = 0; i < g.length; i++) {
    const s = yd[i];
    d[i] = g[i] * s * (1 - s);
  }
  return dx;
}

/**
 * `torch.nn.Sigmoid`: `y = 1 / (1 + exp(-x))` elementwise, any shape. Saves only its output for
 * backward.
 *
 * @example
 * ```ts
 * const head = new Sigmoid();
 * const probs = head.forward(logits);
 * const dLogits = head.backward(dProbs);
 * ```
 */
export class Sigmoid extends Layer {
  forward(x: Tensor): Tensor {
    checkInput("Sigmoid", x);
    const y = sigmoidForward(x);
    this.saveForBackward(y);
    return y;
  }

  backward(dy: Tensor): Tensor {
    const y = this.takeSaved<Tensor>();
    return sigmoidBackward(dy, y);
  }
}
