import { ArgumentError, type TypedArray } from "@unetkit/tensor";
import { Optimizer, checkBool, checkHyper } from "./optimizer.js";
import type { Parameter } from "./parameter.js";

/** Options of {@link SGD} (PyTorch's `torch.optim.SGD`, camelCase). */
export interface SGDOptions {
  /** Learning rate (required, >= 0). */
  lr: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Dampening for momentum (default 0). */
  dampening?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

/** SGD's hyperparameters other than lr, as stored in its state dict. */
export type SGDHyper = {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  maximize: boolean;
};

/**
 * Stochastic gradient descent with PyTorch's exact update (1.13, `torch.optim.SGD`): for each
 * parameter p with gradient g,
 *
 *   g ← -g if maximize;  g ← g + weightDecay·p
 *   if momentum ≠ 0:  b ← g on the first step, else b ← momentum·b + (1 - dampening)·g
 *                     g ← g + momentum·b if nesterov, else g ← b
 *   p ← p - lr·g
 *
 * The momentum buffer (`momentum_buffer`) is kept per parameter in the parameter's dtype.
 *
 * @example
 * ```ts
 * const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
 * opt.zeroGrad();
 * model.backward(grad);
 * opt.step();
 * ```
 */
export class SGD extends Optimizer<SGDHyper> {
  protected hyper: SGDHyper;

  override get type(): string {
    return "SGD";
  }

  constructor(params: Iterable<Parameter>, options: SGDOptions) {
    if (options === null || typeof options !== "object" || options.lr === undefined) {
      throw new ArgumentError("SGD", "options.lr is required");
    }
    super(params, options.lr);
    this.hyper = this.validateHyper(options as unknown as Record<string, unknown>);
  }

  /** The current hyperparameters other than lr. */
  get options(): Readonly<SGDHyper> {
    return { ...this.hyper };
  }

  protected validateHyper(h: Readonly<Record<string, unknown>>): SGDHyper {
    const op = "SGD";
    const out: SGDHyper = {
      momentum: checkHyper(op, "momentum", h.momentum ?? 0, 0),
      dampening: checkHyper(op, "dampening", h.dampening ?? 0, -Infinity),
      nesterov: checkBool(op, "nesterov", h.nesterov ?? false),
      weightDecay: checkHyper(op, "weightDecay", h.weightDecay ?? 0, 0),
      maximize: checkBool(op, "maximize", h.maximize ?? false),
    };
    if (out.nesterov && (out.momentum <= 0 || out.dampening !== 0)) {
      throw new ArgumentError(op, "Nesterov momentum requires a momentum and zero dampening");
    }
    return out;
  }

  protected bufferNamesFor(h: SGDHyper): string[] {
    return h.momentum !== 0 ? ["momentum_buffer"] : [];
  }

  /** One SGD update of every parameter with `requiresGrad`. */
  step(): void {
    this.checkGrads();
    const { momentum, dampening, nesterov, weightDecay, maximize } = this.hyper;
    const lr = this.lr;
    const sign = maximize ? -1 : 1;
    for (let i = 0; i < this.params.length; i++) {
      const param = this.params[i];
      if (!param.requiresGrad) continue;
      const st = this.stateFor(i);
      const p = param.value.data;
      const g = param.grad.data;
      if (momentum === 0) {
        sgdPlainUpdate(p, g, lr, weightDecay, sign);
      } else {
        const b = st.buffers.momentum_buffer.data;
        sgdMomentumUpdate(p, g, b, st.step === 0, lr, momentum, dampening, nesterov, weightDecay, sign);
      }
      st.step++;
    }
  }
}

// The update loops live in small monomorphic functions called once per parameter, so V8 optimises
// them after a few calls (a loop inside the once-per-step `step()` mostly ran unoptimised).

/** `p -= lr * (sign * g + weightDecay * p)`, elementwise. */
function sgdPlainUpdate(p: TypedArray, g: TypedArray, lr: number, weightDecay: number, sign: number): void {
  for (let k = 0; k < p.length; k++) {
    const d = sign * g[k] + weightDecay * p[k];
    p[k] = p[k] - lr * d;
  }
}

/** The momentum update of PyTorch's SGD (buffer set to `d` on the first step), elementwise. */
function sgdMomentumUpdate(
  p: TypedArray,
  g: TypedArray,
  b: TypedArray,
  first: boolean,
  lr: number,
  momentum: number,
  dampening: number,
  nesterov: boolean,
  weightDecay: number,
  sign: number,
): void {
  const n = p.length;
  if (!first && !nesterov && b instanceof Float32Array) {
    // the usual float32 step, without the per-element branches: about 2x faster, the same bits
    // (Math.fround: the buffer value rounded as the general loop reads it back after storing it)
    const keep = 1 - dampening;
    for (let k = 0; k < n; k++) {
      const pk = p[k];
      const bk = momentum * b[k] + keep * (sign * g[k] + weightDecay * pk);
      b[k] = bk;
      p[k] = pk - lr * Math.fround(bk);
    }
    return;
  }
  for (let k = 0; k < n; k++) {
    const d = sign * g[k] + weightDecay * p[k];
    b[k] = first ? d : momentum * b[k] + (1 - dampening) * d;
    const u = nesterov ? d + momentum * b[k] : b[k];
    p[k] = p[k] - lr * u;
  }
}
