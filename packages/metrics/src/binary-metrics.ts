import { ArgumentError, ShapeError, Tensor, formatShape } from "@unetkit/tensor";
import { formatPosition, resolveMask, type MaskInput } from "./label-mask.js";
import { absentValue, type ScoreOptions } from "./scores.js";

/**
 * Counts of a binary (foreground vs background) prediction.
 *
 * @example
 * ```ts
 * const counts: BinaryCounts = { tp: 3, fp: 1, fn: 2, tn: 10 };
 * ```
 */
export interface BinaryCounts {
  /** Predicted 1, truth 1. */
  tp: number;
  /** Predicted 1, truth 0. */
  fp: number;
  /** Predicted 0, truth 1. */
  fn: number;
  /** Predicted 0, truth 0. */
  tn: number;
}

/**
 * Binary counts and the scores made from them; see {@link binaryScores}.
 *
 * @example
 * ```ts
 * const { iou, dice, tp } = binaryMetrics(probs, truth);
 * ```
 */
export interface BinaryScores extends BinaryCounts {
  /** `tp / (tp + fp)`. */
  precision: number;
  /** `tp / (tp + fn)`. */
  recall: number;
  /** `2 tp / (2 tp + fp + fn)`, the same number as `dice`. */
  f1: number;
  /** `2 tp / (2 tp + fp + fn)`. */
  dice: number;
  /** `tp / (tp + fp + fn)`. */
  iou: number;
  /** `(tp + tn) / (tp + fp + fn + tn)`; `NaN` when nothing was counted. */
  accuracy: number;
}

/**
 * Options of {@link binaryMetrics}.
 *
 * @example
 * ```ts
 * binaryMetrics(logits, truth, { fromLogits: true, threshold: 0.3, ignoreIndex: 255 });
 * ```
 */
export interface BinaryMetricsOptions extends ScoreOptions {
  /** A pixel is predicted positive when its probability is strictly above this. Default 0.5. */
  threshold?: number;
  /** True when the input holds logits: the probability is then `sigmoid(x)`. Default false. */
  fromLogits?: boolean;
  /** A truth label whose pixels are skipped (e.g. 255). */
  ignoreIndex?: number;
}

/**
 * Scores from binary counts: precision, recall, F1 = Dice, IoU and accuracy. When there are no
 * positives at all (`tp + fp + fn = 0`) IoU, Dice and F1 are 0/0 and take the `absent` value
 * (default `NaN`; see {@link AbsentPolicy}); precision with nothing predicted positive, or recall
 * with no positive truth, is 0 when the other side has positives and the `absent` value otherwise.
 *
 * Sum the counts of every batch and call this once to get data-set scores.
 *
 * @example
 * ```ts
 * binaryScores({ tp: 3, fp: 1, fn: 2, tn: 10 }).iou; // 0.5
 * ```
 */
export function binaryScores(counts: BinaryCounts, options: ScoreOptions = {}): BinaryScores {
  const op = "binaryScores";
  const empty = absentValue(op, options.absent);
  const { tp, fp, fn, tn } = counts;
  for (const [name, v] of [["tp", tp], ["fp", fp], ["fn", fn], ["tn", tn]] as const) {
    if (!Number.isFinite(v) || v < 0) {
      throw new ArgumentError(op, `${name} must be a non-negative count (got ${v})`);
    }
  }
  const pos = tp + fp + fn;
  const diceValue = pos === 0 ? empty : (2 * tp) / (2 * tp + fp + fn);
  const total = pos + tn;
  return {
    tp,
    fp,
    fn,
    tn,
    precision: tp + fp !== 0 ? tp / (tp + fp) : fn === 0 ? empty : 0,
    recall: tp + fn !== 0 ? tp / (tp + fn) : fp === 0 ? empty : 0,
    f1: diceValue,
    dice: diceValue,
    iou: pos === 0 ? empty : tp / pos,
    accuracy: total === 0 ? NaN : (tp + tn) / total,
  };
}

/**
 * Binary metrics at a threshold for a sigmoid head: `scores` holds probabilities (or logits with
 * `fromLogits: true`), `truth` holds 0/1 labels. A pixel is positive when its probability is
 * strictly above `threshold` (default 0.5), as torchmetrics' binary metrics do. Shapes: `scores`
 * has the shape of `truth`, or `[N, 1, ...]` against truth `[N, ...]` (the singleton channel of a
 * one-channel head). Returns the counts and {@link binaryScores}. With `fromLogits` the sigmoid is
 * evaluated in float64, so a float32 logit within about 1e-7 of `logit(threshold)` can land on the
 * other side than PyTorch's float32 `sigmoid(x) > threshold`.
 *
 * Throws `ArgumentError` for a truth label other than 0, 1 or `ignoreIndex` (naming it and its
 * position), a NaN score, or a probability outside [0, 1] without `fromLogits`.
 *
 * @example
 * ```ts
 * const logits = fromArray([[[[2, -1], [0.5, -3]]]]);            // [1, 1, 2, 2]
 * const truth = { shape: [1, 2, 2], data: Int32Array.of(1, 1, 0, 0) };
 * binaryMetrics(logits, truth, { fromLogits: true }); // tp 1, fp 1, fn 1, tn 1, iou 1/3
 * ```
 */
export function binaryMetrics(
  scores: Tensor,
  truth: MaskInput,
  options: BinaryMetricsOptions = {},
): BinaryScores {
  return binaryScores(countBinary("binaryMetrics", scores, truth, options), options);
}

/**
 * The counts of {@link binaryMetrics} alone (same inputs, thresholding and checks). Sum them over
 * batches and pass the totals to {@link binaryScores} for data-set scores.
 *
 * @example
 * ```ts
 * const total = { tp: 0, fp: 0, fn: 0, tn: 0 };
 * for (const { images, labels } of loader) {
 *   const c = binaryCounts(model.forward(images), labels, { fromLogits: true });
 *   total.tp += c.tp; total.fp += c.fp; total.fn += c.fn; total.tn += c.tn;
 * }
 * binaryScores(total).iou;
 * ```
 */
export function binaryCounts(
  scores: Tensor,
  truth: MaskInput,
  options: Omit<BinaryMetricsOptions, "absent"> = {},
): BinaryCounts {
  return countBinary("binaryCounts", scores, truth, options);
}

function countBinary(
  op: string,
  scores: Tensor,
  truth: MaskInput,
  options: BinaryMetricsOptions,
): BinaryCounts {
  const { threshold = 0.5, fromLogits = false, ignoreIndex } = options;
  absentValue(op, options.absent);
  if (!(scores instanceof Tensor)) {
    throw new ArgumentError(op, "scores must be a Tensor of probabilities or logits");
  }
  if (typeof threshold !== "number" || !(threshold >= 0 && threshold <= 1)) {
    throw new ArgumentError(op, `threshold must be a probability in [0, 1] (got ${threshold})`);
  }
  if (ignoreIndex !== undefined && !Number.isInteger(ignoreIndex)) {
    throw new ArgumentError(op, `ignoreIndex must be an integer (got ${ignoreIndex})`);
  }
  const t = resolveMask(op, "truth", truth);
  const s = scores.shape;
  const fits = t.shaped
    ? sameDims(s, t.shape) ||
      (s.length === t.shape.length + 1 && s[1] === 1 && sameDims([s[0], ...s.slice(2)], t.shape))
    : scores.size === t.data.length;
  if (!fits) {
    throw new ShapeError(
      op,
      `scores ${formatShape(s)} do not match truth ${formatShape(t.shape)} (expected the same shape, or [N, 1, ...] against [N, ...])`,
    );
  }
  const x = scores.data;
  const y = t.data;
  const ignore = ignoreIndex ?? 2 ** 40;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < y.length; i++) {
    const label = y[i];
    const v = x[i];
    if (v !== v) {
      throw new ArgumentError(op, `scores ${formatShape(s)} hold NaN at ${formatPosition(i, s)}`);
    }
    if (label === ignore) continue;
    let prob = v;
    if (fromLogits) {
      prob = 1 / (1 + Math.exp(-v));
    } else if (v < 0 || v > 1) {
      throw new ArgumentError(
        op,
        `score ${v} at ${formatPosition(i, s)} is not a probability in [0, 1]; pass { fromLogits: true } for logits`,
      );
    }
    const positive = prob > threshold;
    if (label === 1) {
      if (positive) tp++;
      else fn++;
    } else if (label === 0) {
      if (positive) fp++;
      else tn++;
    } else {
      throw new ArgumentError(
        op,
        `truth label ${label} at ${formatPosition(i, t.shape)} is not 0 or 1${ignoreIndex === undefined ? "" : ` or the ignore index ${ignoreIndex}`}`,
      );
    }
  }
  return { tp, fp, fn, tn };
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
