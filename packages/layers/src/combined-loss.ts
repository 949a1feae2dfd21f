import { ArgumentError, ShapeError, Tensor, formatShape, sameShape } from "@unetkit/tensor";
import type { LabelsLike } from "./labels.js";
import type { Loss, LossResult } from "./loss.js";

/** One term of a {@link CombinedLoss}: a loss (object or function) and its weight. */
export interface WeightedLoss {
  /** The loss: a {@link Loss} object or a function returning `{ loss, grad }`. */
  readonly loss: Loss | ((logits: Tensor, target: LabelsLike) => LossResult);
  /** Its factor in the sum (finite; default 1). */
  readonly weight?: number;
}

/** The result of a {@link CombinedLoss}: the weighted sum, its gradient and each term's value. */
export interface CombinedLossResult extends LossResult {
  /** Each term's unweighted value, in order, with its name (for logs). */
  readonly parts: readonly { readonly name: string; readonly loss: number; readonly weight: number }[];
}

const OP = "CombinedLoss";

/**
 * A weighted sum of losses on the same logits and targets (cross-entropy + Dice is the usual
 * choice): `loss = Σ w_i loss_i`, `grad = Σ w_i grad_i`. `compute` also reports each term.
 *
 * @example
 * ```ts
 * const loss = new CombinedLoss([
 *   { loss: new CrossEntropyLoss(), weight: 1 },
 *   { loss: new DiceLoss(), weight: 0.5 },
 * ]);
 * const { loss: value, grad, parts } = loss.compute(logits, masks);
 * ```
 */
export class CombinedLoss implements Loss {
  readonly name: string;
  private readonly terms: { name: string; fn: (l: Tensor, t: LabelsLike) => LossResult; weight: number }[];

  constructor(terms: readonly WeightedLoss[]) {
    if (!Array.isArray(terms) || terms.length === 0) {
      throw new ArgumentError(OP, "needs at least one { loss, weight } term");
    }
    this.terms = terms.map((term, i) => {
      const weight = term.weight ?? 1;
      if (typeof weight !== "number" || !Number.isFinite(weight)) {
        throw new ArgumentError(OP, `term ${i} has a non-finite weight (${String(weight)})`);
      }
      const l = term.loss;
      if (typeof l === "function") return { name: l.name || `term${i}`, fn: l, weight };
      if (l !== null && typeof l === "object" && typeof l.compute === "function") {
        return { name: l.name, fn: (x: Tensor, t: LabelsLike) => l.compute(x, t), weight };
      }
      throw new ArgumentError(OP, `term ${i}: loss must be a Loss object or a function`);
    });
    this.name = this.terms.map((t) => `${t.weight}*${t.name}`).join(" + ");
  }

  /** The weighted sum of the terms' values and gradients for these logits and targets. */
  compute(logits: Tensor, target: LabelsLike): CombinedLossResult {
    const grad = new Tensor(logits.dtype, logits.shape);
    const g = grad.data;
    let total = 0;
    const parts: { name: string; loss: number; weight: number }[] = [];
    for (const term of this.terms) {
      const r = term.fn(logits, target);
      if (!(r.grad instanceof Tensor) || !sameShape(r.grad.shape, logits.shape)) {
        throw new ShapeError(
          OP,
          `${term.name} returned a gradient of shape ${r.grad instanceof Tensor ? formatShape(r.grad.shape) : "?"} for logits ${formatShape(logits.shape)}`,
        );
      }
      total += term.weight * r.loss;
      parts.push({ name: term.name, loss: r.loss, weight: term.weight });
      const rg = r.grad.data;
      for (let i = 0; i < g.length; i++) g[i] += term.weight * rg[i];
    }
    return { loss: total, grad, parts };
  }
}

/**
 * The weighted sum of losses as a function (see {@link CombinedLoss}).
 *
 * @example
 * ```ts
 * const { loss, grad } = combinedLoss(logits, masks, [
 *   { loss: (x, y) => crossEntropyLoss(x, y), weight: 1 },
 *   { loss: (x, y) => diceLoss(x, y), weight: 1 },
 * ]);
 * ```
 */
export function combinedLoss(logits: Tensor, target: LabelsLike, terms: readonly WeightedLoss[]): CombinedLossResult {
  return new CombinedLoss(terms).compute(logits, target);
}
