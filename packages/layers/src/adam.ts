import { ArgumentError } from "@unetkit/tensor";
import { Optimizer, checkBool, checkHyper } from "./optimizer.js";
import type { Parameter } from "./parameter.js";

/** Options of {@link Adam} and {@link AdamW} (PyTorch's `torch.optim.Adam`, camelCase). */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moment averages, each in [0, 1) (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 1e-2). */
  weightDecay?: number;
  /** Use the maximum of past second moments (AMSGrad; default false). */
  amsgrad?: boolean;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

/** Adam's hyperparameters other than lr, as stored in its state dict. */
export type AdamHyper = {
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
};

/**
 * Adam with PyTorch's exact update (1.13, `torch.optim.Adam`, single-tensor path): for each
 * parameter p with gradient g, at step t (counted per parameter from 1),
 *
 *   g ← -g if maximize;  g ← g + weightDecay·p   (AdamW instead: p ← p·(1 - lr·weightDecay))
 *   m ← β1·m + (1 - β1)·g;   v ← β2·v + (1 - β2)·g²;   (AMSGrad: v̂ ← max(v̂, v), used for v)
 *   p ← p - (lr / (1 - β1^t)) · m / (√v / √(1 - β2^t) + eps)
 *
 * Buffers per parameter: `exp_avg`, `exp_avg_sq` (and `max_exp_avg_sq` with AMSGrad).
 *
 * @example
 * ```ts
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * opt.zeroGrad(); model.backward(grad); opt.step();
 * ```
 */
export class Adam extends Optimizer<AdamHyper> {
  protected hyper: AdamHyper;

  override get type(): string {
    return "Adam";
  }

  constructor(params: Iterable<Parameter>, options: AdamOptions = {}) {
    if (options === null || typeof options !== "object") throw new ArgumentError("Adam", "options must be an object");
    super(params, options.lr ?? 1e-3);
    this.hyper = this.validateHyper({ weightDecay: this.defaultWeightDecay(), ...options });
  }

  /** The default weight decay (0 for Adam, 1e-2 for AdamW). */
  protected defaultWeightDecay(): number {
    return 0;
  }

  /** True for AdamW: weight decay multiplies the parameter instead of adding to the gradient. */
  protected get decoupled(): boolean {
    return false;
  }

  /** The current hyperparameters other than lr. */
  get options(): Readonly<AdamHyper> {
    return { ...this.hyper };
  }

  protected validateHyper(h: Readonly<Record<string, unknown>>): AdamHyper {
    const op = this.type;
    const betas = h.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) {
      throw new ArgumentError(op, `betas must be a pair [beta1, beta2] (got ${String(betas)})`);
    }
    const b1 = checkHyper(op, "betas[0]", betas[0], 0, 1, true);
    const b2 = checkHyper(op, "betas[1]", betas[1], 0, 1, true);
    return {
      betas: Object.freeze([b1, b2]) as readonly [number, number],
      eps: checkHyper(op, "eps", h.eps ?? 1e-8, 0),
      weightDecay: checkHyper(op, "weightDecay", h.weightDecay ?? this.defaultWeightDecay(), 0),
      amsgrad: checkBool(op, "amsgrad", h.amsgrad ?? false),
      maximize: checkBool(op, "maximize", h.maximize ?? false),
    };
  }

  protected bufferNamesFor(h: AdamHyper): string[] {
    return h.amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"];
  }

  /** One Adam (or AdamW) update of every parameter with `requiresGrad`. */
  step(): void {
    this.checkGrads();
    const { betas, eps, weightDecay, amsgrad, maximize } = this.hyper;
    const [beta1, beta2] = betas;
    const lr = this.lr;
    const sign = maximize ? -1 : 1;
    const decoupled = this.decoupled;
    const l2 = decoupled ? 0 : weightDecay;
    const shrink = decoupled ? 1 - lr * weightDecay : 1;
    for (let i = 0; i < this.params.length; i++) {
      const param = this.params[i];
      if (!param.requiresGrad) continue;
      const st = this.stateFor(i);
      st.step++;
      const t = st.step;
      const p = param.value.data;
      const g = param.grad.data;
      const m = st.buffers.exp_avg.data;
      const v = st.buffers.exp_avg_sq.data;
      const vmax = amsgrad ? st.buffers.max_exp_avg_sq.data : v;
      const bc1 = 1 - Math.pow(beta1, t);
      const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
      const stepSize = lr / bc1;
      for (let k = 0; k < p.length; k++) {
        if (decoupled) p[k] = p[k] * shrink;
        const gk = sign * g[k] + l2 * p[k];
        m[k] = beta1 * m[k] + (1 - beta1) * gk;
        v[k] = beta2 * v[k] + (1 - beta2) * gk * gk;
        if (amsgrad && v[k] > vmax[k]) vmax[k] = v[k];
        const denom = Math.sqrt(vmax[k]) / bc2Sqrt + eps;
        p[k] = p[k] - stepSize * (m[k] / denom);
      }
    }
  }
}
