import { empty, Tensor, backendFor } from "@unetkit/tensor";
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
  const y = empty(x.shape, x.dtype); // every element is written below
  const xd = x.data;
  const yd = y.data;
  const kernels = backendFor(x.dtype);
  if (kernels.reluForward) {
    // A backend's kernel (same rule, same bits: NaN and -0 give +0).
    kernels.reluForward({ x: xd, y: yd });
  } else if (xd instanceof Float32Array) {
    reluForwardBits(bitsOf(xd), bitsOf(yd as Float32Array));
  } else {
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i];
      yd[i] = v > 0 ? v : 0;
    }
  }
  return y;
}

/** The int32 view of a float32 array's elements (same memory). */
function bitsOf(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

/**
 * All ones when the float32 with these bits is `> 0` (bits in `[1, 0x7f800000]`: positive
 * subnormals, normals and +Infinity; not zeros, negatives or NaN), else 0, computed without a
 * branch (ReLU's sign test mispredicts about half the time on activations).
 */
function positiveMask(bits: number): number {
  const t = (bits - 1) | 0;
  return ~((t | (0x7f7fffff - t)) >> 31);
}

/** `y = x > 0 ? x : 0` on float32 bit patterns (+0 is all zero bits), branch-free. */
function reluForwardBits(x: Int32Array, y: Int32Array): void {
  for (let i = 0; i < x.length; i++) {
    const b = x[i];
    y[i] = b & positiveMask(b);
  }
}

/** `dx = y > 0 ? dy : 0` on float32 bit patterns, branch-free. */
function reluBackwardBits(dy: Int32Array, y: Int32Array, dx: Int32Array): void {
  for (let i = 0; i < dy.length; i++) dx[i] = dy[i] & positiveMask(y[i]);
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
  const dx = empty(dy.shape, dy.dtype); // every element is written below
  const g = dy.data;
  const yd = y.data;
  const d = dx.data;
  const kernels = backendFor(dy.dtype);
  if (kernels.reluBackward) {
    kernels.reluBackward({ dy: g, y: yd, dx: d });
  } else if (g instanceof Float32Array && yd instanceof Float32Array) {
    reluBackwardBits(bitsOf(g), bitsOf(yd), bitsOf(d as Float32Array));
  } else {
    for (let i = 0; i < g.length; i++) d[i] = yd[i] > 0 ? g[i] : 0;
  }
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
