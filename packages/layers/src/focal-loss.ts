import { ArgumentError, Tensor, type TypedArray } from "@unetkit/tensor";
import { binaryTargets } from "./bce-with-logits-loss.js";
import { toLabels, type IntegerArray, type LabelsLike } from "./labels.js";
import {
  checkClassLabels,
  checkFinite,
  checkGradOutput,
  checkInteger,
  checkLabelShape,
  checkNumber,
  checkReduction,
  classWeights,
  labelShapeFor,
  logitsLayout,
  sigmoid,
  softplus,
  type LogitsLayout,
  type Loss,
  type LossResult,
  type Reduction,
  type UnreducedLossResult,
} from "./loss.js";

/** Options of {@link focalLoss} and {@link FocalLoss}. */
export interface FocalOptions {
  /** Focusing parameter γ >= 0 (default 2; γ = 0 is cross-entropy). */
  gamma?: number;
  /** Class balance: one number for every class, or a Tensor `[C]` of per-class factors (default 1). */
  alpha?: number | Tensor;
  /** Labels equal to this contribute no loss and no gradient (default -100). */
  ignoreIndex?: number;
  /** `"mean"` (default: over non-ignored elements), `"sum"` or `"none"`. */
  reduction?: Reduction;
}

const OP = "focalLoss";

function focalCore(
  x: TypedArray,
  y: IntegerArray,
  { n, c, s }: LogitsLayout,
  alpha: Float64Array,
  gamma: number,
  ignoreIndex: number,
  scale: number,
  upstream: TypedArray | null,
  losses: TypedArray | null,
  grad: TypedArray | null,
): number {
  const e = new Float64Array(c);
  let total = 0;
  for (let b = 0; b < n; b++) {
    const base = b * c * s;
    for (let p = 0; p < s; p++) {
      const li = b * s + p;
      const label = y[li];
      if (label === ignoreIndex) continue;
      const o = base + p;
      let m = -Infinity;
      for (let k = 0; k < c; k++) if (x[o + k * s] > m) m = x[o + k * s];
      let se = 0;
      for (let k = 0; k < c; k++) {
        const ev = Math.exp(x[o + k * s] - m);
        e[k] = ev;
        se += ev;
      }
      const lpy = x[o + label * s] - m - Math.log(se); // log p_y <= 0
      const py = Math.exp(lpy);
      const q = -Math.expm1(lpy); // 1 - p_y, accurate when p_y is near 1
      const a = alpha[label];
      const qg = Math.pow(q, gamma);
      const loss = -a * qg * lpy;
      total += loss;
      if (losses !== null) losses[li] = loss;
      if (grad !== null) {
        // dl/dz_j = F (δ_jy - s_j) with F = a [γ q^(γ-1) p_y log p_y - q^γ]
        let f = -qg;
        if (gamma !== 0 && q > 0) f += gamma * Math.pow(q, gamma - 1) * py * lpy;
        f *= a;
        const kscale = upstream === null ? scale : scale * upstream[li];
        const inv = 1 / se;
        for (let k = 0; k < c; k++) {
          const d = (k === label ? 1 : 0) - e[k] * inv;
          grad[o + k * s] = kscale * f * d;
        }
      }
    }
  }
  return total;
}

/**
 * Multi-class focal loss on softmax probabilities (Lin et al. 2017), value and gradient together.
 * For an element with label y and p_y = softmax(logits)_y:
 *
 *   l = -α_y (1 - p_y)^γ log p_y
 *
 * with α_y = `alpha` (a number for every class or a `[C]` Tensor; default 1). γ = 0 and α = 1 is
 * cross-entropy. Elements labelled `ignoreIndex` give 0 loss and 0 gradient; `"mean"` divides by
 * the number of non-ignored elements (not by the α sum; 0 when every element is ignored).
 * Shapes as {@link crossEntropyLoss}: logits `[N, C, ...]`, labels `[N, ...]`.
 *
 * Returns `{ loss, grad }` for `"mean"`/`"sum"` and `{ losses, backward }` for `"none"`.
 *
 * @example
 * ```ts
 * const { loss, grad } = focalLoss(logits, masks, { gamma: 2, alpha: fromArray([0.25, 1, 1]) });
 * ```
 */
export function focalLoss(
  logits: Tensor,
  labels: LabelsLike,
  options: FocalOptions & { reduction: "none" },
): UnreducedLossResult;
export function focalLoss(
  logits: Tensor,
  labels: LabelsLike,
  options?: FocalOptions & { reduction?: "mean" | "sum" },
): LossResult;
export function focalLoss(logits: Tensor, labels: LabelsLike, options?: FocalOptions): LossResult | UnreducedLossResult;
export function focalLoss(
  logits: Tensor,
  labels: LabelsLike,
  options: FocalOptions = {},
): LossResult | UnreducedLossResult {
  const layout = logitsLayout(OP, logits);
  const y = toLabels(OP, labels);
  checkLabelShape(OP, logits, y);
  const reduction = options.reduction ?? "mean";
  checkReduction(OP, reduction);
  const ignoreIndex = checkInteger(OP, "ignoreIndex", options.ignoreIndex ?? -100);
  const gamma = checkNumber(OP, "gamma", options.gamma ?? 2, 0);
  let alpha: Float64Array;
  if (options.alpha === undefined || typeof options.alpha === "number") {
    alpha = new Float64Array(layout.c).fill(checkNumber(OP, "alpha", options.alpha ?? 1));
  } else {
    alpha = classWeights(OP, "alpha", options.alpha, layout.c, logits) as Float64Array;
  }
  checkFinite(OP, "logits", logits);
  const { count } = checkClassLabels(OP, y, layout.c, ignoreIndex, null, logits);
  if (reduction === "none") {
    const lshape = labelShapeFor(logits);
    const losses = new Tensor(logits.dtype, lshape);
    focalCore(logits.data, y.data, layout, alpha, gamma, ignoreIndex, 1, null, losses.data, null);
    return {
      losses,
      backward(gradOutput: Tensor): Tensor {
        checkGradOutput(OP, gradOutput, lshape);
        const grad = new Tensor(logits.dtype, logits.shape);
        focalCore(logits.data, y.data, layout, alpha, gamma, ignoreIndex, 1, gradOutput.data, null, grad.data);
        return grad;
      },
    };
  }
  const grad = new Tensor(logits.dtype, logits.shape);
  if (reduction === "mean" && count === 0) return { loss: 0, grad };
  const scale = reduction === "mean" ? 1 / count : 1;
  const total = focalCore(logits.data, y.data, layout, alpha, gamma, ignoreIndex, scale, null, null, grad.data);
  return { loss: total * scale, grad };
}

/** Options of {@link binaryFocalLoss} and {@link BinaryFocalLoss} (torchvision's defaults). */
export interface BinaryFocalOptions {
  /** Focusing parameter γ >= 0 (default 2). */
  gamma?: number;
  /** Weight of positives in `[0, 1]` (negatives get 1 - α); default 0.25; `null` disables it. */
  alpha?: number | null;
  /** `"mean"` (default: over every element), `"sum"` or `"none"`. */
  reduction?: Reduction;
}

const BOP = "binaryFocalLoss";

function binaryFocalCore(
  x: TypedArray,
  t: Float64Array,
  gamma: number,
  alpha: number | null,
  scale: number,
  upstream: TypedArray | null,
  losses: TypedArray | null,
  grad: TypedArray | null,
): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const ti = t[i];
    const p = sigmoid(xi);
    const p1 = sigmoid(-xi); // 1 - p, accurate for large x
    const ce = softplus(xi) - xi * ti;
    const q = ti * p1 + (1 - ti) * p; // 1 - p_t
    const at = alpha === null ? 1 : alpha * ti + (1 - alpha) * (1 - ti);
    const qg = Math.pow(q, gamma);
    const l = at * ce * qg;
    total += l;
    if (losses !== null) losses[i] = l;
    if (grad !== null) {
      // dl/dx = α_t [(p - t) q^γ + ce γ q^(γ-1) dq/dx],  dq/dx = -p (1 - p) (2t - 1)
      let g = (p - ti) * qg;
      const dq = -p * p1 * (2 * ti - 1);
      if (gamma !== 0) {
        const qg1 = q > 0 ? gamma * Math.pow(q, gamma - 1) : gamma === 1 ? 1 : 0;
        g += ce * qg1 * dq;
      }
      grad[i] = (upstream === null ? scale : scale * upstream[i]) * at * g;
    }
  }
  return total;
}

/**
 * Binary focal loss on sigmoid probabilities, as torchvision's `sigmoid_focal_loss`: with
 * p = σ(x), p_t = p t + (1 - p)(1 - t), α_t = α t + (1 - α)(1 - t),
 *
 *   l = α_t · BCEWithLogits(x, t) · (1 - p_t)^γ
 *
 * (α_t = 1 when `alpha` is null). Targets as {@link bceWithLogitsLoss}: a float Tensor of the
 * logits' shape, or 0/1 labels (`[N, H, W]` allowed for logits `[N, 1, H, W]`). `"mean"` averages
 * over every element.
 *
 * @example
 * ```ts
 * const { loss, grad } = binaryFocalLoss(logits, masks, { gamma: 2, alpha: 0.25 });
 * ```
 */
export function binaryFocalLoss(
  logits: Tensor,
  targets: LabelsLike,
  options: BinaryFocalOptions & { reduction: "none" },
): UnreducedLossResult;
export function binaryFocalLoss(
  logits: Tensor,
  targets: LabelsLike,
  options?: BinaryFocalOptions & { reduction?: "mean" | "sum" },
): LossResult;
export function binaryFocalLoss(
  logits: Tensor,
  targets: LabelsLike,
  options?: BinaryFocalOptions,
): LossResult | UnreducedLossResult;
export function binaryFocalLoss(
  logits: Tensor,
  targets: LabelsLike,
  options: BinaryFocalOptions = {},
): LossResult | UnreducedLossResult {
  if (!(logits instanceof Tensor)) throw new ArgumentError(BOP, "logits must be a Tensor");
  const reduction = options.reduction ?? "mean";
  checkReduction(BOP, reduction);
  const gamma = checkNumber(BOP, "gamma", options.gamma ?? 2, 0);
  const alpha = options.alpha === null ? null : checkNumber(BOP, "alpha", options.alpha ?? 0.25, 0, 1);
  const t = binaryTargets(BOP, logits, targets);
  checkFinite(BOP, "logits", logits);
  const x = logits.data;
  if (reduction === "none") {
    const losses = new Tensor(logits.dtype, logits.shape);
    binaryFocalCore(x, t, gamma, alpha, 1, null, losses.data, null);
    return {
      losses,
      backward(gradOutput: Tensor): Tensor {
        checkGradOutput(BOP, gradOutput, logits.shape);
        const grad = new Tensor(logits.dtype, logits.shape);
        binaryFocalCore(x, t, gamma, alpha, 1, gradOutput.data, null, grad.data);
        return grad;
      },
    };
  }
  const grad = new Tensor(logits.dtype, logits.shape);
  if (logits.size === 0) return { loss: 0, grad };
  const scale = reduction === "mean" ? 1 / logits.size : 1;
  const total = binaryFocalCore(x, t, gamma, alpha, scale, null, null, grad.data);
  return { loss: total * scale, grad };
}

/**
 * {@link focalLoss} as an object with fixed options, for `"mean"` (default) and `"sum"`.
 *
 * @example
 * ```ts
 * const { loss, grad } = new FocalLoss({ gamma: 2 }).compute(logits, masks);
 * ```
 */
export class FocalLoss implements Loss {
  readonly name = "FocalLoss";
  readonly options: Readonly<FocalOptions & { reduction: "mean" | "sum" }>;

  constructor(options: FocalOptions & { reduction?: "mean" | "sum" } = {}) {
    const reduction = options.reduction ?? "mean";
    checkReduction("FocalLoss", reduction, false);
    this.options = { ...options, reduction };
  }

  /** The loss and dloss/dlogits for logits `[N, C, ...]` and labels `[N, ...]`. */
  compute(logits: Tensor, labels: LabelsLike): LossResult {
    return focalLoss(logits, labels, this.options);
  }
}

/**
 * {@link binaryFocalLoss} as an object with fixed options, for `"mean"` (default) and `"sum"`.
 *
 * @example
 * ```ts
 * const { loss, grad } = new BinaryFocalLoss({ alpha: 0.25 }).compute(logits, masks);
 * ```
 */
export class BinaryFocalLoss implements Loss {
  readonly name = "BinaryFocalLoss";
  readonly options: Readonly<BinaryFocalOptions & { reduction: "mean" | "sum" }>;

  constructor(options: BinaryFocalOptions & { reduction?: "mean" | "sum" } = {}) {
    const reduction = options.reduction ?? "mean";
    checkReduction("BinaryFocalLoss", reduction, false);
    this.options = { ...options, reduction };
  }

  /** The loss and dloss/dlogits. */
  compute(logits: Tensor, targets: LabelsLike): LossResult {
    return binaryFocalLoss(logits, targets, this.options);
  }
}
