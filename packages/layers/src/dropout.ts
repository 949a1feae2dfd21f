import { ArgumentError, Tensor, globalRng, type Rng } from "@unetkit/tensor";
import { checkGradShape, checkInput } from "./internal.js";
import { Layer } from "./module.js";

/** Options of {@link Dropout}. */
export interface DropoutOptions {
  /** Generator for the masks (default: `globalRng()` at each forward, so `manualSeed` applies). */
  rng?: Rng;
}

/**
 * `torch.nn.Dropout(p=0.5)`, inverted dropout: in training mode each element is zeroed with
 * probability `p` and the others are scaled by `1 / (1 - p)`; in eval mode (or with `p = 0`) the
 * input passes through unchanged. The mask comes from a seeded {@link Rng} (one uniform draw per
 * element, in order), so the same seed drops the same elements. Any input shape.
 *
 * Backward multiplies the gradient by the same mask (scaled).
 *
 * @example
 * ```ts
 * const drop = new Dropout(0.3, { rng: new Rng(0) });
 * const y = drop.forward(x);      // about 30% zeros, the rest x / 0.7
 * const dx = drop.backward(dy);
 * drop.eval();
 * drop.forward(x) === x;          // identity in eval mode (no copy)
 * ```
 */
export class Dropout extends Layer {
  /** Probability of zeroing an element in training mode. */
  readonly p: number;
  private readonly rng: Rng | undefined;

  constructor(p = 0.5, options: DropoutOptions = {}) {
    super();
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
      throw new ArgumentError("Dropout", `dropout probability has to be between 0 and 1 (got ${p})`);
    }
    this.p = p;
    this.rng = options.rng;
  }

  forward(x: Tensor): Tensor {
    checkInput("Dropout", x);
    if (!this.training || this.p === 0) {
      this.saveForBackward({ mask: null, shape: x.shape, dtype: x.dtype });
      return x;
    }
    const rng = this.rng ?? globalRng();
    const keep = 1 - this.p;
    const scale = keep > 0 ? 1 / keep : 0;
    const mask = new Tensor(x.dtype, x.shape);
    const md = mask.data;
    rng.fillUniform(md);
    for (let i = 0; i < md.length; i++) md[i] = md[i] < keep ? scale : 0;
    const y = new Tensor(x.dtype, x.shape);
    const xd = x.data;
    const yd = y.data;
    for (let i = 0; i < xd.length; i++) yd[i] = xd[i] * md[i];
    this.saveForBackward({ mask, shape: x.shape, dtype: x.dtype });
    return y;
  }

  backward(dy: Tensor): Tensor {
    const { mask, shape, dtype } = this.takeSaved<{ mask: Tensor | null; shape: readonly number[]; dtype: Tensor["dtype"] }>();
    checkGradShape("Dropout.backward", dy, shape, dtype);
    if (mask === null) return dy;
    const dx = new Tensor(dy.dtype, dy.shape);
    const g = dy.data;
    const md = mask.data;
    const d = dx.data;
    for (let i = 0; i < g.length; i++) d[i] = g[i] * md[i];
    return dx;
  }
}
