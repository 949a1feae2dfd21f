import { ArgumentError, ShapeError, Tensor, formatShape } from "@unetkit/tensor";
import { checkSameMaskShape, formatPosition, resolveMask, type MaskInput } from "./label-mask.js";

/**
 * Top-k accuracy for classification: the share of rows of `logits` `[N, C]` (logits or
 * probabilities) whose true label `labels[n]` is among the `k` highest-scoring classes.
 *
 * Ties are broken as `torch.argmax` does, towards the lower class index: the label's rank is the
 * number of classes scoring strictly higher plus the number scoring the same with a lower index,
 * and the row counts when that rank is below `k`. So `k = 1` is exactly "argmax equals the label".
 * Returns `NaN` for `N = 0`. Throws on a label outside `[0, C)`, a NaN score, `k` outside
 * `[1, C]`, or `labels` not of length `N`.
 *
 * @example
 * ```ts
 * const logits = fromArray([[0.1, 0.7, 0.2], [0.5, 0.1, 0.4]]);
 * topKAccuracy(logits, Int32Array.of(2, 2), 1); // 0   (argmaxes are 1 and 0)
 * topKAccuracy(logits, Int32Array.of(2, 2), 2); // 1
 * ```
 */
export function topKAccuracy(logits: Tensor, labels: MaskInput, k = 1): number {
  const op = "topKAccuracy";
  if (!(logits instanceof Tensor) || logits.rank !== 2) {
    throw new ShapeError(
      op,
      `logits must be a Tensor shaped [N, C] (got ${logits instanceof Tensor ? formatShape(logits.shape) : typeof logits})`,
    );
  }
  const [n, c] = logits.shape;
  if (!Number.isInteger(k) || k < 1 || k > c) {
    throw new ArgumentError(op, `k must be an integer in [1, ${c}] for ${c} classes (got ${k})`);
  }
  const lab = resolveMask(op, "labels", labels);
  if (lab.data.length !== n || (lab.shaped && lab.shape.length !== 1)) {
    throw new ShapeError(
      op,
      `labels ${formatShape(lab.shape)} must have shape [${n}] to match logits ${formatShape(logits.shape)}`,
    );
  }
  const x = logits.data;
  const y = lab.data;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const label = y[i];
    if (label >>> 0 >= c) {
      throw new ArgumentError(op, `label ${label} at [${i}] is outside [0, ${c})`);
    }
    const row = i * c;
    const target = x[row + label];
    if (target !== target) {
      throw new ArgumentError(op, `logits ${formatShape(logits.shape)} hold NaN at [${i},${label}]`);
    }
    let rank = 0;
    for (let j = 0; j < c; j++) {
      const v = x[row + j];
      if (v > target || (v === target && j < label)) rank++;
      else if (v !== v) {
        throw new ArgumentError(op, `logits ${formatShape(logits.shape)} hold NaN at [${i},${j}]`);
      }
    }
    if (rank < k) hits++;
  }
  return n === 0 ? NaN : hits / n;
}

/**
 * Classification accuracy: the share of predictions equal to the labels. `predictions` is either
 * logits/probabilities `[N, C]` (argmax taken, ties to the lower index; same as
 * `topKAccuracy(logits, labels, 1)`) or predicted class indices of the same shape as `labels`.
 * Returns `NaN` for zero samples.
 *
 * @example
 * ```ts
 * accuracy(Int32Array.of(0, 2, 1), Int32Array.of(0, 1, 1)); // 2/3
 * accuracy(fromArray([[2, 1], [0, 3]]), Int32Array.of(0, 0)); // 0.5
 * ```
 */
export function accuracy(predictions: Tensor | MaskInput, labels: MaskInput): number {
  if (predictions instanceof Tensor) return topKAccuracy(predictions, labels, 1);
  const op = "accuracy";
  const p = resolveMask(op, "predictions", predictions);
  const t = resolveMask(op, "labels", labels);
  checkSameMaskShape(op, "predictions", p, "labels", t);
  let hits = 0;
  for (let i = 0; i < t.data.length; i++) {
    if (t.data[i] < 0) {
      throw new ArgumentError(op, `label ${t.data[i]} at ${formatPosition(i, t.shape)} is negative`);
    }
    if (p.data[i] === t.data[i]) hits++;
  }
  return t.data.length === 0 ? NaN : hits / t.data.length;
}
