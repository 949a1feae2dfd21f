import { ArgumentError, ShapeError, Tensor, formatShape, sameShape, type TypedArray } from "@unetkit/tensor";
import { formatIndex, toLabels, type LabelsLike } from "./labels.js";
import {
  broadcastTo,
  checkFinite,
  checkGradOutput,
  checkReduction,
  sigmoid,
  softplus,
  type Loss,
  type LossResult,
  type Reduction,
  type UnreducedLossResult,
} from "./loss.js";

/** Options of {@link bceWithLogitsLoss} and {@link BCEWithLogitsLoss} (PyTorch's names). */
export interface BCEWithLogitsOptions {
  /** Weight of positive examples, broadcast against the logits (PyTorch's `pos_weight`). */
  posWeight?: Tensor;
  /** Per-element rescaling weight, broadcast against the logits (PyTorch's `weight`). */
  weight?: Tensor;
  /** `"mean"` (default: over every element), `"sum"` or `"none"`. */
  reduction?: Reduction;
}

const OP = "bceWithLogitsLoss";

/**
 * Converts targets to float64 values with the logits' shape: a float Tensor of the same shape
 * (any finite values; PyTorch's soft targets), or integer labels of 0/1 with the logits' shape or,
 * for single-channel logits `[N, 1, ...]`, the shape `[N, ...]`.
 */
export function binaryTargets(op: string, logits: Tensor, targets: LabelsLike, ignoreIndex?: number): Float64Array {
  if (targets instanceof Tensor) {
    if (!sameShape(targets.shape, logits.shape)) {
      throw new ShapeError(
        op,
        `targets must have the logits' shape ${formatShape(logits.shape)} (got targets ${formatShape(targets.shape)})`,
      );
    }
    checkFinite(op, "targets", targets);
    if (ignoreIndex === undefined) return Float64Array.from(targets.data);
  }
  const y = toLabels(op, targets);
  const squeezed = logits.rank >= 2 && logits.shape[1] === 1 ? [logits.shape[0], ...logits.shape.slice(2)] : null;
  if (!sameShape(y.shape, logits.shape) && !(squeezed !== null && sameShape(y.shape, squeezed))) {
    throw new ShapeError(
      op,
      `labels must have the logits' shape ${formatShape(logits.shape)}${squeezed ? ` or ${formatShape(squeezed)}` : ""} (got labels ${formatShape(y.shape)})`,
    );
  }
  const out = new Float64Array(y.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = y.data[i];
    if (v !== 0 && v !== 1 && v !== ignoreIndex) {
      throw new ArgumentError(
        op,
        `binary label ${v} at ${formatIndex(y.shape, i)} must be 0 or 1${ignoreIndex !== undefined ? ` or ignoreIndex ${ignoreIndex}` : ""} (logits ${formatShape(logits.shape)}, labels ${formatShape(y.shape)})`,
      );
    }
    out[i] = v;
  }
  return out;
}

function bceCore(
  x: TypedArray,
  t: Float64Array,
  pw: Float64Array | null,
  w: Float64Array | null,
  scale: number,
  upstream: TypedArray | null,
  losses: TypedArray | null,
  grad: TypedArray | null,
): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const ti = t[i];
    const p = pw === null ? 1 : pw[i];
    const wi = w === null ? 1 : w[i];
    // -log σ(x) = softplus(-x), -log(1 - σ(x)) = softplus(x)
    const l = wi * (p * ti * softplus(-xi) + (1 - ti) * softplus(xi));
    total += l;
    if (losses !== null) losses[i] = l;
    if (grad !== null) {
      const s = sigmoid(xi);
      const g = wi * ((1 - ti) * s - p * ti * (1 - s));
      grad[i] = (upstream === null ? scale : scale * upstream[i]) * g;
    }
  }
  return total;
}

/**
 * Binary cross-entropy on logits (PyTorch's `F.binary_cross_entropy_with_logits`), the loss of a
 * sigmoid head, value and gradient together. Per element, with p = `posWeight`, w = `weight`
 * (both broadcast against the logits as PyTorch broadcasts them, aligned on the last axis: for
 * per-channel weights of NCHW logits pass shape `[C, 1, 1]`):
 *
 *   l = w [p t softplus(-x) + (1 - t) softplus(x)],  softplus(z) = max(z, 0) + log(1 + exp(-|z|))
 *
 * which equals `max(x,0) - x t + log(1 + exp(-|x|))` without weights: stable for any finite x.
 * Gradient: w [(1 - t) σ(x) - p t (1 - σ(x))]. `"mean"` averages over every element.
 *
 * Targets: a float Tensor with the logits' shape (soft targets allowed), or integer labels of 0/1
 * with the logits' shape, or `[N, H, W]` for single-channel logits `[N, 1, H, W]`.
 *
 * Returns `{ loss, grad }` for `"mean"`/`"sum"` and `{ losses, backward }` for `"none"`.
 *
 * @example
 * ```ts
 * const logits = fromArray([[[[2, -1], [0, 3]]]]);          // [1, 1, 2, 2]
 * const { loss, grad } = bceWithLogitsLoss(logits, labels([1, 0, 0, 1], [1, 2, 2]));
 * ```
 */
export function bceWithLogitsLoss(
  logits: Tensor,
  targets: LabelsLike,
  options: BCEWithLogitsOptions & { reduction: "none" },
): UnreducedLossResult;
export function bceWithLogitsLoss(
  logits: Tensor,
  targets: LabelsLike,
  options?: BCEWithLogitsOptions & { reduction?: "mean" | "sum" },
): LossResult;
export function bceWithLogitsLoss(
  logits: Tensor,
  targets: LabelsLike,
  options?: BCEWithLogitsOptions,
): LossResult | UnreducedLossResult;
export function bceWithLogitsLoss(
  logits: Tensor,
  targets: LabelsLike,
  options: BCEWithLogitsOptions = {},
): LossResult | UnreducedLossResult {
  if (!(logits instanceof Tensor)) throw new ArgumentError(OP, "logits must be a Tensor");
  const reduction = options.reduction ?? "mean";
  checkReduction(OP, reduction);
  const t = binaryTargets(OP, logits, targets);
  const pw = options.posWeight === undefined ? null : broadcastTo(OP, "posWeight", options.posWeight, logits.shape);
  const w = options.weight === undefined ? null : broadcastTo(OP, "weight", options.weight, logits.shape);
  checkFinite(OP, "logits", logits);
  const x = logits.data;
  if (reduction === "none") {
    const losses = new Tensor(logits.dtype, logits.shape);
    bceCore(x, t, pw, w, 1, null, losses.data, null);
    return {
      losses,
      backward(gradOutput: Tensor): Tensor {
        checkGradOutput(OP, gradOutput, logits.shape);
        const grad = new Tensor(logits.dtype, logits.shape);
        bceCore(x, t, pw, w, 1, gradOutput.data, null, grad.data);
        return grad;
      },
    };
  }
  const grad = new Tensor(logits.dtype, logits.shape);
  if (logits.size === 0) return { loss: 0, grad };
  const scale = reduction === "mean" ? 1 / logits.size : 1;
  const total = bceCore(x, t, pw, w, scale, null, null, grad.data);
  return { loss: total * scale, grad };
}

/**
 * {@link bceWithLogitsLoss} as an object with fixed options (PyTorch's `nn.BCEWithLogitsLoss`),
 * for `"mean"` (default) and `"sum"`.
 *
 * @example
 * ```ts
 * const bce = new BCEWithLogitsLoss({ posWeight: fromArray([3]) });
 * const { loss, grad } = bce.compute(logits, masks); // logits [N,1,H,W], masks [N,H,W] of 0/1
 * ```
 */
export class BCEWithLogitsLoss implements Loss {
  readonly name = "BCEWithLogitsLoss";
  readonly options: Readonly<BCEWithLogitsOptions & { reduction: "mean" | "sum" }>;

  constructor(options: BCEWithLogitsOptions & { reduction?: "mean" | "sum" } = {}) {
    const reduction = options.reduction ?? "mean";
    checkReduction("BCEWithLogitsLoss", reduction, false);
    this.options = { ...options, reduction };
  }

  /** The loss and dloss/dlogits. */
  compute(logits: Tensor, targets: LabelsLike): LossResult {
    return bceWithLogitsLoss(logits, targets, this.options);
  }
}
