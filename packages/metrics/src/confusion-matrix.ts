import { ArgumentError, ShapeError, Tensor, formatShape } from "@unetkit/tensor";
import { argmaxInto, channelGeometry } from "./argmax-channels.js";
import {
  checkSameMaskShape,
  formatPosition,
  resolveMask,
  type MaskInput,
  type ResolvedMask,
} from "./label-mask.js";
import {
  dice,
  iou,
  meanDice,
  meanIoU,
  pixelAccuracy,
  precision,
  recall,
  segmentationScores,
  type ConfusionCounts,
  type ScoreOptions,
  type SegmentationScores,
} from "./scores.js";

/**
 * Options of {@link ConfusionMatrix}.
 *
 * @example
 * ```ts
 * new ConfusionMatrix(21, { ignoreIndex: 255 }); // Pascal VOC's void label
 * ```
 */
export interface ConfusionMatrixOptions {
  /**
   * A truth label whose pixels are skipped (not counted anywhere), e.g. 255 for "void" or -100 as
   * in PyTorch's `CrossEntropyLoss`. Any integer in the Int32 range; it may also be a class index
   * (then that class is never counted as truth, as in torchmetrics).
   */
  ignoreIndex?: number;
}

/** No Int32 label equals this, so it stands for "no ignore index". */
const NO_IGNORE = 2 ** 40;

/** Up to this many classes, counting goes through 4 interleaved sub-histograms. */
const SPLIT_MAX_CLASSES = 32;

/**
 * Offset of the first pixel with an invalid label, or -1: a truth label outside [0, c) that is not
 * `ignore`, or a prediction outside [0, c) (where the truth is ignored, the prediction may also be
 * `ignore`).
 */
function firstInvalid(tr: Int32Array, pr: Int32Array, len: number, c: number, ignore: number): number {
  for (let i = 0; i < len; i++) {
    const t = tr[i];
    const p = pr[i];
    if (t >>> 0 < c) {
      if (p >>> 0 >= c) return i;
    } else if (t !== ignore || (p >>> 0 >= c && p !== ignore)) {
      return i;
    }
  }
  return -1;
}

/** Adds validated pixels into `counts`, one increment at a time. */
function countDirect(
  tr: Int32Array,
  pr: Int32Array,
  len: number,
  c: number,
  ignore: number,
  counts: Float64Array,
): void {
  for (let i = 0; i < len; i++) {
    const t = tr[i];
    if (t !== ignore) counts[t * c + pr[i]]++;
  }
}

/**
 * Adds validated pixels into `counts` through four sub-histograms in `split` (4 c^2 entries):
 * consecutive pixels usually hit the same cell, and spreading them over four copies breaks the
 * chain of dependent read-modify-writes.
 */
function countSplit(
  tr: Int32Array,
  pr: Int32Array,
  len: number,
  c: number,
  ignore: number,
  counts: Float64Array,
  split: Float64Array,
): void {
  const cc = c * c;
  split.fill(0, 0, 4 * cc);
  const o1 = cc;
  const o2 = 2 * cc;
  const o3 = 3 * cc;
  // Ignored pixels go to a cell past the four histograms (index 4 c^2), never read.
  const sink = 4 * cc;
  let i = 0;
  for (; i + 3 < len; i += 4) {
    const t0 = tr[i];
    const t1 = tr[i + 1];
    const t2 = tr[i + 2];
    const t3 = tr[i + 3];
    split[t0 === ignore ? sink : t0 * c + pr[i]]++;
    split[t1 === ignore ? sink : o1 + t1 * c + pr[i + 1]]++;
    split[t2 === ignore ? sink : o2 + t2 * c + pr[i + 2]]++;
    split[t3 === ignore ? sink : o3 + t3 * c + pr[i + 3]]++;
  }
  for (; i < len; i++) {
    const t = tr[i];
    if (t !== ignore) split[t * c + pr[i]]++;
  }
  for (let k = 0; k < cc; k++) counts[k] += split[k] + split[o1 + k] + split[o2 + k] + split[o3 + k];
}

/**
 * A streaming confusion matrix for `numClasses` classes, accumulated over batches: rows are the
 * true class, columns the predicted class (as torchmetrics and scikit-learn), counts held in a
 * `Float64Array` (exact integers up to 2^53 pixels).
 *
 * Feed it class-index masks ({@link ConfusionMatrix.update}) or logits/probabilities
 * ({@link ConfusionMatrix.updateFromLogits}, argmax over channels), then read data-set scores
 * from the whole matrix: {@link ConfusionMatrix.meanIoU}, {@link ConfusionMatrix.iou},
 * {@link ConfusionMatrix.dice}, {@link ConfusionMatrix.pixelAccuracy}, ... These are computed from
 * the summed counts, which is not the same as averaging per-batch scores (the seed notebook does
 * the latter): a batch with a few pixels of a class would weigh as much as a batch full of it,
 * and a class missing from a batch changes how many classes that batch's mean divides by.
 *
 * An update is all-or-nothing: if it throws (bad label, NaN logit, shape mismatch) the matrix is
 * unchanged. Updates allocate nothing per pixel.
 *
 * @example
 * ```ts
 * const cm = new ConfusionMatrix(3, { ignoreIndex: 255 });
 * for (const { images, labels } of loader) cm.updateFromLogits(model.forward(images), labels);
 * console.log(cm.pixelAccuracy(), cm.meanIoU(), cm.iou());
 * ```
 */
export class ConfusionMatrix implements ConfusionCounts {
  /** Number of classes; labels are `0 .. numClasses - 1`. */
  readonly numClasses: number;
  /** The skipped truth label, if any. */
  readonly ignoreIndex: number | undefined;
  private readonly counts: Float64Array;
  private readonly split: Float64Array;
  private predScratch = new Int32Array(0);
  private bestScratch = new Float64Array(0);

  /**
   * @param numClasses number of classes, an integer in [1, 4096] (the matrix holds
   *   `numClasses^2` float64 counts: 128 MiB at 4096).
   * @param options `ignoreIndex`: a truth label to skip.
   */
  constructor(numClasses: number, options: ConfusionMatrixOptions = {}) {
    const op = "ConfusionMatrix";
    if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > 4096) {
      throw new ArgumentError(op, `numClasses must be an integer in [1, 4096] (got ${numClasses})`);
    }
    const ig = options.ignoreIndex;
    if (ig !== undefined && (!Number.isInteger(ig) || ig < -(2 ** 31) || ig >= 2 ** 31)) {
      throw new ArgumentError(op, `ignoreIndex must be an Int32 integer (got ${ig})`);
    }
    this.numClasses = numClasses;
    this.ignoreIndex = ig;
    this.counts = new Float64Array(numClasses * numClasses);
    this.split =
      numClasses <= SPLIT_MAX_CLASSES ? new Float64Array(4 * numClasses * numClasses + 1) : new Float64Array(0);
  }

  /**
   * A matrix with given counts, e.g. to score a matrix computed elsewhere. `counts` is
   * `numClasses x numClasses` (nested arrays or flat row-major), rows = truth, columns =
   * prediction, entries non-negative integers.
   *
   * @example
   * ```ts
   * ConfusionMatrix.fromCounts([[3, 0], [1, 4]]).meanIoU(); // 0.775
   * ```
   */
  static fromCounts(
    counts: readonly (readonly number[])[] | ArrayLike<number>,
    options: ConfusionMatrixOptions & { numClasses?: number } = {},
  ): ConfusionMatrix {
    const op = "ConfusionMatrix.fromCounts";
    let flat: number[];
    let c: number;
    if (Array.isArray(counts) && counts.length > 0 && Array.isArray(counts[0])) {
      const rows = counts as readonly (readonly number[])[];
      c = rows.length;
      for (let i = 0; i < c; i++) {
        if (!Array.isArray(rows[i]) || rows[i].length !== c) {
          throw new ShapeError(op, `counts must be square; row ${i} has ${rows[i]?.length} entries, expected ${c}`);
        }
      }
      flat = rows.flat();
    } else {
      flat = Array.from(counts as ArrayLike<number>);
      c = options.numClasses ?? Math.round(Math.sqrt(flat.length));
      if (c * c !== flat.length) {
        throw new ShapeError(op, `${flat.length} flat counts do not make a ${c} x ${c} matrix`);
      }
    }
    const cm = new ConfusionMatrix(c, options);
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (!Number.isSafeInteger(v) || v < 0) {
        throw new ArgumentError(
          op,
          `counts must be non-negative integers; got ${v} at [${Math.floor(i / c)},${i % c}]`,
        );
      }
      cm.counts[i] = v;
    }
    return cm;
  }

  /**
   * Adds a batch of predicted class-index masks against true masks of the same shape (any shape:
   * `[N, H, W]`, `[H, W]`, `[N]`). Truth pixels equal to `ignoreIndex` are skipped. Throws
   * `ArgumentError` for a label outside `[0, numClasses)` (naming the value and its position) and
   * `ShapeError` for differing shapes; the matrix is then unchanged. Returns `this`.
   *
   * A prediction may hold the ignore index only where the truth is ignored too.
   *
   * @example
   * ```ts
   * cm.update({ shape: [1, 2, 2], data: Int32Array.of(0, 1, 1, 1) },
   *           { shape: [1, 2, 2], data: Int32Array.of(0, 1, 0, 1) });
   * ```
   */
  update(prediction: MaskInput, truth: MaskInput): this {
    const op = "ConfusionMatrix.update";
    const p = resolveMask(op, "prediction", prediction);
    const t = resolveMask(op, "truth", truth);
    checkSameMaskShape(op, "prediction", p, "truth", t);
    this.accumulate(op, p.data, t, p.shaped ? p.shape : t.shape);
    return this;
  }

  /**
   * Adds a batch of logits or probabilities `[N, C, ...spatial]` (`C === numClasses`), turned into
   * predictions by an argmax over channels (ties to the lowest index, as `torch.argmax`), against
   * true masks `[N, ...spatial]`. Throws on NaN logits, bad labels or shapes (matrix unchanged).
   * Returns `this`.
   *
   * @example
   * ```ts
   * cm.updateFromLogits(logits, labels); // logits [8, 3, 64, 64], labels { shape: [8, 64, 64] }
   * ```
   */
  updateFromLogits(logits: Tensor, truth: MaskInput): this {
    const op = "ConfusionMatrix.updateFromLogits";
    const { n, c, s } = channelGeometry(op, logits);
    const t = resolveMask(op, "truth", truth);
    if (c !== this.numClasses) {
      throw new ShapeError(
        op,
        `logits ${formatShape(logits.shape)} have ${c} channels but the matrix has ${this.numClasses} classes`,
      );
    }
    const expected = [logits.shape[0], ...logits.shape.slice(2)];
    const sameShape = t.shaped
      ? t.shape.length === expected.length && t.shape.every((d, i) => d === expected[i])
      : t.data.length === n * s;
    if (!sameShape) {
      throw new ShapeError(
        op,
        `truth ${formatShape(t.shape)} does not match logits ${formatShape(logits.shape)} (expected ${formatShape(expected)})`,
      );
    }
    if (this.predScratch.length < n * s) this.predScratch = new Int32Array(n * s);
    if (this.bestScratch.length < s) this.bestScratch = new Float64Array(s);
    argmaxInto(op, logits, n, c, s, this.predScratch, this.bestScratch);
    this.accumulate(op, this.predScratch, t, expected);
    return this;
  }

  private accumulate(
    op: string,
    pred: Int32Array,
    truth: ResolvedMask,
    shape: readonly number[],
  ): void {
    const c = this.numClasses;
    const tr = truth.data;
    const len = tr.length;
    // Pass 1 validates everything, so a bad label leaves the counts untouched; pass 2 counts.
    const bad = firstInvalid(tr, pred, len, c, this.ignoreIndex ?? NO_IGNORE);
    if (bad >= 0) this.invalidAt(op, tr[bad], pred[bad], bad, shape);
    if (c <= SPLIT_MAX_CLASSES) {
      countSplit(tr, pred, len, c, this.ignoreIndex ?? NO_IGNORE, this.counts, this.split);
    } else {
      countDirect(tr, pred, len, c, this.ignoreIndex ?? NO_IGNORE, this.counts);
    }
  }

  private invalidAt(op: string, t: number, p: number, offset: number, shape: readonly number[]): never {
    const c = this.numClasses;
    if (t !== this.ignoreIndex && t >>> 0 >= c) this.labelError(op, "truth", t, offset, shape);
    this.labelError(op, "prediction", p, offset, shape);
  }

  private labelError(
    op: string,
    what: string,
    value: number,
    offset: number,
    shape: readonly number[],
  ): never {
    const ig = this.ignoreIndex;
    let hint = ig === undefined ? "" : ` and is not the ignore index ${ig}`;
    if (what === "prediction" && value === ig) {
      hint = ` (the ignore index ${ig} is allowed in a prediction only where the truth is ignored too)`;
    }
    throw new ArgumentError(
      op,
      `${what} label ${value} at ${formatPosition(offset, shape)} of ${formatShape(shape)} is outside [0, ${this.numClasses})${hint}`,
    );
  }

  /**
   * Clears every count; returns `this`.
   *
   * @example
   * ```ts
   * cm.reset(); cm.total; // 0
   * ```
   */
  reset(): this {
    this.counts.fill(0);
    return this;
  }

  /**
   * Adds another matrix's counts into this one (e.g. from another worker or shard); both must have
   * the same `numClasses` and `ignoreIndex`. Returns `this`.
   *
   * @example
   * ```ts
   * a.merge(b); // a now holds the counts of both
   * ```
   */
  merge(other: ConfusionMatrix): this {
    const op = "ConfusionMatrix.merge";
    if (!(other instanceof ConfusionMatrix)) {
      throw new ArgumentError(op, "can only merge another ConfusionMatrix");
    }
    if (other.numClasses !== this.numClasses) {
      throw new ShapeError(
        op,
        `cannot merge a ${other.numClasses}-class matrix into a ${this.numClasses}-class one`,
      );
    }
    if (other.ignoreIndex !== this.ignoreIndex) {
      throw new ArgumentError(
        op,
        `ignore indices differ (${String(this.ignoreIndex)} and ${String(other.ignoreIndex)})`,
      );
    }
    for (let k = 0; k < this.counts.length; k++) this.counts[k] += other.counts[k];
    return this;
  }

  /**
   * A copy of this matrix (counts and options).
   *
   * @example
   * ```ts
   * const snapshot = cm.clone();
   * ```
   */
  clone(): ConfusionMatrix {
    const out = new ConfusionMatrix(this.numClasses, { ignoreIndex: this.ignoreIndex });
    out.counts.set(this.counts);
    return out;
  }

  /**
   * The counts, `numClasses * numClasses`, row-major, rows = truth, columns = prediction
   * (`matrix[t * numClasses + p]`). A copy: changing it does not change this matrix.
   *
   * @example
   * ```ts
   * new ConfusionMatrix(2).update(Int32Array.of(1), Int32Array.of(0)).matrix; // [0, 1, 0, 0]
   * ```
   */
  get matrix(): Float64Array {
    return this.counts.slice();
  }

  /**
   * The counts as nested arrays, `rows[truth][prediction]`.
   *
   * @example
   * ```ts
   * cm.toArray(); // [[3, 0], [1, 4]]
   * ```
   */
  toArray(): number[][] {
    const c = this.numClasses;
    const rows: number[][] = [];
    for (let t = 0; t < c; t++) rows.push(Array.from(this.counts.subarray(t * c, t * c + c)));
    return rows;
  }

  /**
   * How many pixels of true class `truthClass` were predicted as `predictedClass`.
   *
   * @example
   * ```ts
   * cm.count(1, 0); // pixels of class 1 predicted as 0
   * ```
   */
  count(truthClass: number, predictedClass: number): number {
    const c = this.numClasses;
    for (const [name, v] of [["truthClass", truthClass], ["predictedClass", predictedClass]] as const) {
      if (!Number.isInteger(v) || v < 0 || v >= c) {
        throw new ArgumentError("ConfusionMatrix.count", `${name} ${v} is outside [0, ${c})`);
      }
    }
    return this.counts[truthClass * c + predictedClass];
  }

  /**
   * Number of pixels counted so far (ignored pixels excluded).
   *
   * @example
   * ```ts
   * new ConfusionMatrix(2).update(Int32Array.of(0, 1), Int32Array.of(0, 0)).total; // 2
   * ```
   */
  get total(): number {
    let s = 0;
    for (let k = 0; k < this.counts.length; k++) s += this.counts[k];
    return s;
  }

  /** {@link pixelAccuracy} of this matrix. @example `cm.pixelAccuracy()` */
  pixelAccuracy(): number {
    return pixelAccuracy(this);
  }

  /** Per-class {@link iou} of this matrix. @example `cm.iou({ absent: "one" })` */
  iou(options?: ScoreOptions): Float64Array {
    return iou(this, options);
  }

  /** {@link meanIoU} of this matrix. @example `cm.meanIoU()` */
  meanIoU(options?: ScoreOptions): number {
    return meanIoU(this, options);
  }

  /** Per-class {@link dice} (= F1) of this matrix. @example `cm.dice()` */
  dice(options?: ScoreOptions): Float64Array {
    return dice(this, options);
  }

  /** {@link meanDice} (macro F1) of this matrix. @example `cm.meanDice()` */
  meanDice(options?: ScoreOptions): number {
    return meanDice(this, options);
  }

  /** Per-class {@link precision} of this matrix. @example `cm.precision()` */
  precision(options?: ScoreOptions): Float64Array {
    return precision(this, options);
  }

  /** Per-class {@link recall} of this matrix. @example `cm.recall()` */
  recall(options?: ScoreOptions): Float64Array {
    return recall(this, options);
  }

  /** All of them: {@link segmentationScores} of this matrix. @example `cm.scores().meanIoU` */
  scores(options?: ScoreOptions): SegmentationScores {
    return segmentationScores(this, options);
  }
}
