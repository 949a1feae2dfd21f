import { ArgumentError, ShapeError, Tensor, formatShape, type Shape } from "@unetkit/tensor";
import { checkGradShape, checkInput } from "./internal.js";
import { Layer } from "./module.js";

/**
 * `torch.nn.Flatten(start_dim=1, end_dim=-1)`: merges dimensions `startDim..endDim` into one, a
 * view over the same data (no copy). `[N, C, H, W]` -> `[N, C*H*W]` by default. Backward reshapes
 * the gradient back to the input shape.
 *
 * @example
 * ```ts
 * new Flatten().forward(x).shape;       // [N, C*H*W]
 * new Flatten(0).forward(x).shape;      // [N*C*H*W]
 * ```
 */
export class Flatten extends Layer {
  /** First merged dimension (negative counts from the end). */
  readonly startDim: number;
  /** Last merged dimension (negative counts from the end). */
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    for (const [what, v] of [
      ["startDim", startDim],
      ["endDim", endDim],
    ] as const) {
      if (!Number.isInteger(v)) throw new ArgumentError("Flatten", `${what} must be an integer (got ${v})`);
    }
    this.startDim = startDim;
    this.endDim = endDim;
  }

  forward(x: Tensor): Tensor {
    checkInput("Flatten", x);
    const r = x.rank;
    const s = this.startDim < 0 ? this.startDim + r : this.startDim;
    const e = this.endDim < 0 ? this.endDim + r : this.endDim;
    if (r === 0 || s < 0 || s >= r || e < 0 || e >= r || s > e) {
      throw new ShapeError(
        "Flatten",
        `cannot flatten dims ${this.startDim}..${this.endDim} of input ${formatShape(x.shape)}`,
      );
    }
    let merged = 1;
    for (let i = s; i <= e; i++) merged *= x.shape[i];
    const shape = [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)];
    this.saveForBackward({ shape: x.shape, outShape: shape, dtype: x.dtype });
    return x.reshape(shape);
  }

  backward(dy: Tensor): Tensor {
    const { shape, outShape, dtype } = this.takeSaved<{ shape: Shape; outShape: Shape; dtype: Tensor["dtype"] }>();
    checkGradShape("Flatten.backward", dy, outShape, dtype);
    return dy.reshape(shape);
  }
}
