import { ArgumentError } from "@unetkit/tensor";

/**
 * What a per-class score is when the class is absent from both the prediction and the truth (no
 * true positive, false positive or false negative: the score is 0/0):
 *
 * - `"exclude"` (default): the per-class score is `NaN` and the class is left out of the mean, as
 *   torchmetrics 1.x macro averages do (`JaccardIndex`, `F1Score`, ... give classes with
 *   `tp + fp + fn == 0` zero weight) and as the seed notebook's `iou_score` does (it skips classes
 *   whose union is empty).
 * - `"one"`: the class scores 1 (nothing to find, nothing wrongly found), as
 *   segmentation_models_pytorch's metrics with their default `zero_division=1`.
 * - `"zero"`: the class scores 0 and pulls the mean down, as torchmetrics 0.x's `JaccardIndex`
 *   with its default `absent_score=0`.
 *
 * @example
 * ```ts
 * meanIoU(cm, { absent: "one" });
 * ```
 */
export type AbsentPolicy = "exclude" | "one" | "zero";

/**
 * Options of the score functions.
 *
 * @example
 * ```ts
 * iou(cm, { absent: "zero" });
 * ```
 */
export interface ScoreOptions {
  /** How a class absent from both prediction and truth is scored; see {@link AbsentPolicy}. */
  absent?: AbsentPolicy;
}

/**
 * Anything holding a square confusion matrix: rows are the true class, columns the predicted
 * class, row-major (`matrix[t * numClasses + p]` counts pixels of class `t` predicted as `p`).
 * {@link ConfusionMatrix} is one.
 *
 * @example
 * ```ts
 * meanIoU({ numClasses: 2, matrix: Float64Array.of(3, 0, 1, 4) }); // 0.775
 * ```
 */
export interface ConfusionCounts {
  readonly numClasses: number;
  /** `numClasses * numClasses` counts, rows = truth, columns = prediction. */
  readonly matrix: Float64Array;
}

/**
 * Per-class true positives, false positives, false negatives and true negatives, each a
 * `Float64Array` of length `numClasses`, read off a confusion matrix (one class against the rest).
 *
 * @example
 * ```ts
 * const { tp, fp, fn, tn } = classCounts(cm);
 * ```
 */
export interface ClassCounts {
  tp: Float64Array;
  fp: Float64Array;
  fn: Float64Array;
  tn: Float64Array;
}

/**
 * One-vs-rest counts per class from a confusion matrix: `tp[c] = M[c][c]`, `fp[c]` = column sum
 * minus `tp[c]`, `fn[c]` = row sum minus `tp[c]`, `tn[c]` = the rest.
 *
 * @example
 * ```ts
 * const { tp, fp, fn } = classCounts(cm); // each Float64Array(numClasses)
 * ```
 */
export function classCounts(cm: ConfusionCounts): ClassCounts {
  const c = cm.numClasses;
  const m = cm.matrix;
  const tp = new Float64Array(c);
  const fp = new Float64Array(c);
  const fn = new Float64Array(c);
  const tn = new Float64Array(c);
  let total = 0;
  for (let t = 0; t < c; t++) {
    for (let p = 0; p < c; p++) {
      const v = m[t * c + p];
      total += v;
      if (t === p) tp[t] += v;
      else {
        fn[t] += v;
        fp[p] += v;
      }
    }
  }
  for (let k = 0; k < c; k++) tn[k] = total - tp[k] - fp[k] - fn[k];
  return { tp, fp, fn, tn };
}

/** The value of a 0/0 score under a policy. */
export function absentValue(op: string, absent: AbsentPolicy | undefined): number {
  switch (absent ?? "exclude") {
    case "exclude":
      return NaN;
    case "one":
      return 1;
    case "zero":
      return 0;
    default:
      throw new ArgumentError(
        op,
        `absent must be "exclude", "one" or "zero" (got ${JSON.stringify(absent)})`,
      );
  }
}

/**
 * Pixel accuracy: correctly classified pixels over all counted pixels (`trace(M) / sum(M)`),
 * pixels with the ignore index excluded. `NaN` when nothing has been counted.
 *
 * @example
 * ```ts
 * const cm = new ConfusionMatrix(2).update(Int32Array.of(0, 1, 1), Int32Array.of(0, 1, 0));
 * pixelAccuracy(cm); // 2 / 3
 * ```
 */
export function pixelAccuracy(cm: ConfusionCounts): number {
  const c = cm.numClasses;
  const m = cm.matrix;
  let total = 0;
  let correct = 0;
  for (let i = 0; i < c * c; i++) total += m[i];
  for (let k = 0; k < c; k++) correct += m[k * c + k];
  return total === 0 ? NaN : correct / total;
}

/**
 * Per-class intersection over union (Jaccard index): `tp / (tp + fp + fn)` for each class, a
 * `Float64Array` of length `numClasses`. A class absent from both prediction and truth gets the
 * value chosen by `absent` (default `NaN`, see {@link AbsentPolicy}).
 *
 * The counts are the whole confusion matrix, so after streaming a data set through
 * {@link ConfusionMatrix.update} this is the data-set IoU, not an average of per-batch IoUs.
 *
 * @example
 * ```ts
 * const cm = new ConfusionMatrix(2).update(Int32Array.of(0, 1, 1), Int32Array.of(0, 1, 0));
 * iou(cm); // Float64Array [0.5, 0.5]
 * ```
 */
export function iou(cm: ConfusionCounts, options: ScoreOptions = {}): Float64Array {
  const empty = absentValue("iou", options.absent);
  const { tp, fp, fn } = classCounts(cm);
  const out = new Float64Array(cm.numClasses);
  for (let k = 0; k < out.length; k++) {
    const den = tp[k] + fp[k] + fn[k];
    out[k] = den === 0 ? empty : tp[k] / den;
  }
  return out;
}

/**
 * Per-class Dice coefficient, which is the per-class F1 score: `2 tp / (2 tp + fp + fn)`, a
 * `Float64Array` of length `numClasses`. Absent classes as in {@link iou}. Per class,
 * `dice = 2 iou / (1 + iou)`, so `dice >= iou`.
 *
 * @example
 * ```ts
 * const cm = new ConfusionMatrix(2).update(Int32Array.of(0, 1, 1), Int32Array.of(0, 1, 0));
 * dice(cm); // Float64Array [2/3, 2/3]
 * ```
 */
export function dice(cm: ConfusionCounts, options: ScoreOptions = {}): Float64Array {
  const empty = absentValue("dice", options.absent);
  const { tp, fp, fn } = classCounts(cm);
  const out = new Float64Array(cm.numClasses);
  for (let k = 0; k < out.length; k++) {
    const den = 2 * tp[k] + fp[k] + fn[k];
    out[k] = den === 0 ? empty : (2 * tp[k]) / den;
  }
  return out;
}

/**
 * Per-class precision `tp / (tp + fp)` (of the pixels predicted as the class, the share that is
 * the class). A class never predicted but present in the truth scores 0 (torchmetrics' and
 * scikit-learn's `zero_division=0`); a class absent from both follows `absent`.
 *
 * @example
 * ```ts
 * const cm = new ConfusionMatrix(2).update(Int32Array.of(1, 1, 1), Int32Array.of(0, 1, 1));
 * precision(cm); // Float64Array [0, 2/3]
 * ```
 */
export function precision(cm: ConfusionCounts, options: ScoreOptions = {}): Float64Array {
  const empty = absentValue("precision", options.absent);
  const { tp, fp, fn } = classCounts(cm);
  const out = new Float64Array(cm.numClasses);
  for (let k = 0; k < out.length; k++) {
    const den = tp[k] + fp[k];
    out[k] = den !== 0 ? tp[k] / den : fn[k] === 0 ? empty : 0;
  }
  return out;
}

/**
 * Per-class recall (sensitivity) `tp / (tp + fn)` (of the pixels of the class, the share found).
 * A class predicted but absent from the truth scores 0 (torchmetrics' and scikit-learn's
 * `zero_division=0`); a class absent from both follows `absent`.
 *
 * @example
 * ```ts
 * const cm = new ConfusionMatrix(2).update(Int32Array.of(1, 1, 1), Int32Array.of(0, 1, 1));
 * recall(cm); // Float64Array [0, 1]
 * ```
 */
export function recall(cm: ConfusionCounts, options: ScoreOptions = {}): Float64Array {
  const empty = absentValue("recall", options.absent);
  const { tp, fp, fn } = classCounts(cm);
  const out = new Float64Array(cm.numClasses);
  for (let k = 0; k < out.length; k++) {
    const den = tp[k] + fn[k];
    out[k] = den !== 0 ? tp[k] / den : fp[k] === 0 ? empty : 0;
  }
  return out;
}

/**
 * The mean of the entries that are not `NaN` (`NaN` if there are none). This is how the means of
 * per-class scores skip excluded classes; use it on a slice to leave out the background, e.g.
 * `nanMean(iou(cm).subarray(1))`.
 *
 * @example
 * ```ts
 * nanMean(Float64Array.of(0.5, NaN, 1)); // 0.75
 * ```
 */
export function nanMean(values: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) {
      sum += v;
      n++;
    }
  }
  return n === 0 ? NaN : sum / n;
}

/**
 * Mean IoU over classes from the whole confusion matrix: the mean of {@link iou} over the classes
 * that count. With the default `absent: "exclude"`, classes absent from both prediction and truth
 * are skipped; `NaN` only when no class counts (nothing accumulated).
 *
 * Data-set scores come from the accumulated matrix, never from averaging per-batch means: a batch
 * holding 1 pixel of a class would weigh as much as a batch holding 10 000, and a class missing
 * from one batch changes the number of classes that batch's mean divides by.
 *
 * @example
 * ```ts
 * // batch 1: truth [0,0,0,1], prediction [0,0,0,0]; batch 2: truth and prediction [1,1,1,1]
 * const cm = new ConfusionMatrix(2)
 *   .update(Int32Array.of(0, 0, 0, 0), Int32Array.of(0, 0, 0, 1))
 *   .update(Int32Array.of(1, 1, 1, 1), Int32Array.of(1, 1, 1, 1));
 * meanIoU(cm); // (3/4 + 4/5) / 2 = 0.775; averaging the batch means gives (0.375 + 1) / 2 = 0.6875
 * ```
 */
export function meanIoU(cm: ConfusionCounts, options: ScoreOptions = {}): number {
  return nanMean(iou(cm, options));
}

/**
 * Mean Dice (macro F1) over classes from the whole confusion matrix; absent classes as in
 * {@link meanIoU}.
 *
 * @example
 * ```ts
 * const cm = new ConfusionMatrix(2).update(Int32Array.of(0, 1, 1), Int32Array.of(0, 1, 0));
 * meanDice(cm); // 2/3
 * ```
 */
export function meanDice(cm: ConfusionCounts, options: ScoreOptions = {}): number {
  return nanMean(dice(cm, options));
}

/**
 * Every score of a confusion matrix at once; see {@link segmentationScores}.
 *
 * @example
 * ```ts
 * const { meanIoU, iou } = segmentationScores(cm);
 * ```
 */
export interface SegmentationScores {
  pixelAccuracy: number;
  meanIoU: number;
  meanDice: number;
  iou: Float64Array;
  dice: Float64Array;
  precision: Float64Array;
  recall: Float64Array;
}

/**
 * All segmentation scores of a confusion matrix in one object: pixel accuracy, per-class IoU,
 * Dice, precision and recall, and the IoU and Dice means (absent classes per `options.absent`).
 *
 * @example
 * ```ts
 * const s = segmentationScores(cm);
 * console.log(s.pixelAccuracy, s.meanIoU, s.iou);
 * ```
 */
export function segmentationScores(
  cm: ConfusionCounts,
  options: ScoreOptions = {},
): SegmentationScores {
  const perIoU = iou(cm, options);
  const perDice = dice(cm, options);
  return {
    pixelAccuracy: pixelAccuracy(cm),
    meanIoU: nanMean(perIoU),
    meanDice: nanMean(perDice),
    iou: perIoU,
    dice: perDice,
    precision: precision(cm, options),
    recall: recall(cm, options),
  };
}
