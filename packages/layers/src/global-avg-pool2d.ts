import { ShapeError, Tensor, formatShape, type Shape } from "@unetkit/tensor";
import { checkGradShape, checkInput } from "./internal.js";
import { Layer } from "./module.js";

/**
 * The mean of each `H x W` plane, as `torch.nn.AdaptiveAvgPool2d(1)`: `[N, C, H, W]` ->
 * `[N, C, 1, 1]`.
 *
 * @example
 * ```ts
 * globalAvgPool2dForward(x).shape; // [N, C, 1, 1]
 * ```
 */
export function globalAvgPool2dForward(x: Tensor): Tensor {
  checkInput("GlobalAvgPool2D", x, undefined, 4);
  const [n, c, h, w] = x.shape;
  const L = h * w;
  if (L === 0) throw new ShapeError("GlobalAvgPool2D", `input has an empty plane (input ${formatShape(x.shape)})`);
  const y = new Tensor(x.dtype, [n, c, 1, 1]);
  const xd = x.data;
  for (let p = 0; p < n * c; p++) {
    let s = 0;
    const off = p * L;
    for (let i = 0; i < L; i++) s += xd[off + i];
    y.data[p] = s / L;
  }
  return y;
}

/**
 * The gradient of {@link globalAvgPool2dForward}: `dx[n, c, y, x] = dy[n, c] / (H * W)`.
 * Shapes: `dy` `[N, C, 1, 1]`, `inputShape` `[N, C, H, W]`; returns `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * const dx = globalAvgPool2dBackward(dy, x.shape);
 * ```
 */
export function globalAvgPool2dBackward(dy: Tensor, inputShape: Shape): Tensor {
  const [n, c, h, w] = inputShape;
  checkGradShape("GlobalAvgPool2D.backward", dy, [n, c, 1, 1], dy.dtype);
  const L = h * w;
  const dx = new Tensor(dy.dtype, inputShape);
  const dd = dx.data;
  for (let p = 0; p < n * c; p++) dd.fill(dy.data[p] / L, p * L, (p + 1) * L);
  return dx;
}

/**
 * Global average pooling, `torch.nn.AdaptiveAvgPool2d(1)` (the head of a ResNet classifier):
 * `[N, C, H, W]` -> `[N, C, 1, 1]`. Keeps only the input shape for backward.
 *
 * @example
 * ```ts
 * const head = new Sequential(new GlobalAvgPool2D(), new Flatten(), new Linear(512, 10));
 * ```
 */
export class GlobalAvgPool2D extends Layer {
  forward(x: Tensor): Tensor {
    const y = globalAvgPool2dForward(x);
    this.saveForBackward({ shape: x.shape, dtype: x.dtype });
    return y;
  }

  backward(dy: Tensor): Tensor {
    const { shape, dtype } = this.takeSaved<{ shape: Shape; dtype: Tensor["dtype"] }>();
    checkGradShape("GlobalAvgPool2D.backward", dy, [shape[0], shape[1], 1, 1], dtype);
    return globalAvgPool2dBackward(dy, shape);
  }
}
