import { ArgumentError } from "@unetkit/tensor";
import { Parameter } from "./parameter.js";

/** Options of {@link clipGradNorm}. */
export interface ClipGradNormOptions {
  /** The p of the p-norm: any number > 0, or `Infinity` for the max norm (default 2). */
  normType?: number;
  /** Throw when the total norm is NaN or infinite (default true; PyTorch's default is false). */
  errorIfNonfinite?: boolean;
}

function collect(op: string, params: Iterable<Parameter>): Parameter[] {
  if (params === null || typeof params !== "object" || typeof (params as Iterable<Parameter>)[Symbol.iterator] !== "function") {
    throw new ArgumentError(op, "params must be an iterable of Parameter (e.g. model.parameters())");
  }
  const list = [...params];
  list.forEach((p, i) => {
    if (!(p instanceof Parameter)) throw new ArgumentError(op, `params[${i}] is not a Parameter`);
  });
  return list.filter((p) => p.requiresGrad);
}

/**
 * Rescales gradients in place so that their total norm is at most `maxNorm` (PyTorch's
 * `torch.nn.utils.clip_grad_norm_`): the total norm is the p-norm of all gradient entries of the
 * parameters with `requiresGrad` taken together, and every gradient is multiplied by
 * `min(1, maxNorm / (total + 1e-6))`. Returns the total norm before clipping.
 *
 * @example
 * ```ts
 * model.backward(grad);
 * const norm = clipGradNorm(model.parameters(), 1.0);
 * opt.step();
 * ```
 */
export function clipGradNorm(params: Iterable<Parameter>, maxNorm: number, options: ClipGradNormOptions = {}): number {
  const op = "clipGradNorm";
  const list = collect(op, params);
  if (typeof maxNorm !== "number" || !(maxNorm >= 0) || !Number.isFinite(maxNorm)) {
    throw new ArgumentError(op, `maxNorm must be a finite number >= 0 (got ${String(maxNorm)})`);
  }
  const p = options.normType ?? 2;
  if (typeof p !== "number" || !(p > 0)) {
    throw new ArgumentError(op, `normType must be a number > 0 or Infinity (got ${String(p)})`);
  }
  const errorIfNonfinite = options.errorIfNonfinite ?? true;
  let total: number;
  if (p === Infinity) {
    total = 0;
    for (const param of list) {
      const g = param.grad.data;
      for (let i = 0; i < g.length; i++) {
        const a = Math.abs(g[i]);
        if (a > total || Number.isNaN(a)) total = a;
      }
    }
  } else {
    // Norm of the per-parameter norms, as torch computes it.
    let acc = 0;
    for (const param of list) {
      const g = param.grad.data;
      let s = 0;
      if (p === 2) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
      else if (p === 1) for (let i = 0; i < g.length; i++) s += Math.abs(g[i]);
      else for (let i = 0; i < g.length; i++) s += Math.pow(Math.abs(g[i]), p);
      const norm = p === 1 ? s : p === 2 ? Math.sqrt(s) : Math.pow(s, 1 / p);
      acc += p === 1 ? norm : Math.pow(norm, p);
    }
    total = p === 1 ? acc : p === 2 ? Math.sqrt(acc) : Math.pow(acc, 1 / p);
  }
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new ArgumentError(
      op,
      `the total norm of order ${p} of the gradients of ${list.length} parameters is ${total}; pass errorIfNonfinite: false to clip anyway`,
    );
  }
  const coef = Math.min(1, maxNorm / (total + 1e-6));
  if (coef < 1) {
    for (const param of list) {
      const g = param.grad.data;
      for (let i = 0; i < g.length; i++) g[i] *= coef;
    }
  }
  return total;
}

/**
 * Clamps every gradient entry to `[-clipValue, clipValue]` in place (PyTorch's
 * `torch.nn.utils.clip_grad_value_`), for the parameters with `requiresGrad`.
 *
 * @example
 * ```ts
 * clipGradValue(model.parameters(), 0.5);
 * ```
 */
export function clipGradValue(params: Iterable<Parameter>, clipValue: number): void {
  const op = "clipGradValue";
  const list = collect(op, params);
  if (typeof clipValue !== "number" || !(clipValue >= 0) || !Number.isFinite(clipValue)) {
    throw new ArgumentError(op, `clipValue must be a finite number >= 0 (got ${String(clipValue)})`);
  }
  for (const param of list) {
    const g = param.grad.data;
    for (let i = 0; i < g.length; i++) {
      if (g[i] > clipValue) g[i] = clipValue;
      else if (g[i] < -clipValue) g[i] = -clipValue;
    }
  }
}
