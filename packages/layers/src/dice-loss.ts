import { ArgumentError, ShapeError, Tensor, formatShape } from "@unetkit/tensor";
import { binaryTargets } from "./bce-with-logits-loss.js";
import { toLabels, type LabelsLike } from "./labels.js";
import {
  checkClassLabels,
  checkFinite,
  checkInteger,
  checkLabelShape,
  checkNumber,
  logitsLayout,
  sigmoid,
  type Loss,
  type LossResult,
} from "./loss.js";

/** Options of {@link diceLoss} and {@link DiceLoss}. */
export interface DiceOptions {
  /**
   * `"multiclass"` (default): softmax over `C` channels, labels are class indices. `"binary"`:
   * one channel through a sigmoid, labels are 0/1 (or a float target tensor of the logits' shape).
   */
  mode?: "multiclass" | "binary";
  /** Added to numerator and denominator (default 1; smp's default is 0). */
  smooth?: number;
  /** Lower bound of the denominator (default 1e-7, as smp). */
  eps?: number;
  /** Only these classes enter the mean (multiclass only; default all). */
  classes?: readonly number[];
  /** Pixels with this label are left out of every sum (no loss, no gradient). */
  ignoreIndex?: number;
  /** Score each image separately and average over images too (default false: sums over the batch). */
  perImage?: boolean;
}

const OP = "diceLoss";

/**
 * Soft Dice loss with its gradient for the logits, as segmentation_models_pytorch's `DiceLoss`
 * (`from_logits=True`, `log_loss=False`), plus a per-image variant.
 *
 * Probabilities p are softmax over the channels (`"multiclass"`, logits `[N, C, ...]`, labels
 * `[N, ...]` one-hot encoded as t) or the sigmoid of a single channel (`"binary"`, logits
 * `[N, 1, ...]`, 0/1 labels `[N, ...]` or `[N, 1, ...]`, or float targets). For each class c (and,
 * with `perImage`, each image n), sums run over the batch and every pixel (over one image's pixels
 * with `perImage`), leaving out pixels labelled `ignoreIndex`:
 *
 *   I_c = Σ p_c t_c,   S_c = Σ p_c + Σ t_c,
 *   D_c = (2 I_c + smooth) / max(S_c + smooth, eps),   loss_c = 1 - D_c
 *
 * A class absent from the targets (Σ t_c = 0 over its sums) gets loss 0 and no gradient but still
 * counts in the mean, exactly as smp (so predicting an absent class is not penalised). The result is
 * the mean of loss_c over the selected `classes` (all by default), and over images with `perImage`.
 * The gradient flows through the softmax / sigmoid to the logits.
 *
 * @example
 * ```ts
 * const { loss, grad } = diceLoss(logits, masks);          // logits [N,3,H,W], masks [N,H,W]
 * const bin = diceLoss(logits1, masks01, { mode: "binary" }); // logits1 [N,1,H,W]
 * ```
 */
export function diceLoss(logits: Tensor, labels: LabelsLike, options: DiceOptions = {}): LossResult {
  const mode = options.mode ?? "multiclass";
  if (mode !== "multiclass" && mode !== "binary") {
    throw new ArgumentError(OP, `mode must be "multiclass" or "binary" (got ${String(mode)})`);
  }
  const { n, c, s } = logitsLayout(OP, logits);
  const smooth = checkNumber(OP, "smooth", options.smooth ?? 1, 0);
  const eps = checkNumber(OP, "eps", options.eps ?? 1e-7, 0);
  const perImage = options.perImage ?? false;
  const ignoreIndex = options.ignoreIndex === undefined ? undefined : checkInteger(OP, "ignoreIndex", options.ignoreIndex);
  const x = logits.data;
  const groups = perImage ? n : 1;

  // Probabilities p[b, k, s] and targets t[b, k, s] (0 at ignored pixels), both float64.
  const p = new Float64Array(n * c * s);
  const t = new Float64Array(n * c * s);
  const valid = new Uint8Array(n * s);
  let selected: boolean[];
  if (mode === "multiclass") {
    const y = toLabels(OP, labels);
    checkLabelShape(OP, logits, y);
    selected = classSelection(options.classes, c, logits);
    checkFinite(OP, "logits", logits);
    checkClassLabels(OP, y, c, ignoreIndex, null, logits);
    for (let b = 0; b < n; b++) {
      for (let q = 0; q < s; q++) {
        const label = y.data[b * s + q];
        if (label === ignoreIndex) continue;
        valid[b * s + q] = 1;
        const o = b * c * s + q;
        let m = -Infinity;
        for (let k = 0; k < c; k++) if (x[o + k * s] > m) m = x[o + k * s];
        let se = 0;
        for (let k = 0; k < c; k++) {
          const e = Math.exp(x[o + k * s] - m);
          p[o + k * s] = e;
          se += e;
        }
        for (let k = 0; k < c; k++) p[o + k * s] /= se;
        t[o + label * s] = 1;
      }
    }
  } else {
    if (c !== 1) {
      throw new ShapeError(OP, `binary mode needs single-channel logits [N, 1, ...] (got ${formatShape(logits.shape)})`);
    }
    if (options.classes !== undefined) throw new ArgumentError(OP, "classes applies to multiclass mode only");
    const target = binaryTargets(OP, logits, labels, ignoreIndex);
    selected = [true];
    checkFinite(OP, "logits", logits);
    for (let i = 0; i < n * s; i++) {
      if (target[i] === ignoreIndex) continue;
      valid[i] = 1;
      p[i] = sigmoid(x[i]);
      t[i] = target[i];
    }
  }

  // Per (group, class) sums.
  const inter = new Float64Array(groups * c);
  const card = new Float64Array(groups * c);
  const tsum = new Float64Array(groups * c);
  for (let b = 0; b < n; b++) {
    const g = perImage ? b : 0;
    for (let k = 0; k < c; k++) {
      const o = (b * c + k) * s;
      let i = 0;
      let ps = 0;
      let ts = 0;
      for (let q = 0; q < s; q++) {
        i += p[o + q] * t[o + q];
        ps += p[o + q];
        ts += t[o + q];
      }
      inter[g * c + k] += i;
      card[g * c + k] += ps + ts;
      tsum[g * c + k] += ts;
    }
  }
  let nSelected = 0;
  for (let k = 0; k < c; k++) if (selected[k]) nSelected++;
  const count = groups * nSelected;
  // dloss/dp = coefA[g,k] + coefB[g,k] * t  (0 for absent or unselected classes)
  const coefA = new Float64Array(groups * c);
  const coefB = new Float64Array(groups * c);
  let total = 0;
  for (let g = 0; g < groups; g++) {
    for (let k = 0; k < c; k++) {
      const j = g * c + k;
      if (!selected[k] || !(tsum[j] > 0)) continue;
      const raw = card[j] + smooth;
      const den = Math.max(raw, eps);
      const dice = (2 * inter[j] + smooth) / den;
      total += 1 - dice;
      coefA[j] = raw >= eps ? dice / den / count : 0;
      coefB[j] = -2 / den / count;
    }
  }
  const grad = new Tensor(logits.dtype, logits.shape);
  if (count === 0) return { loss: 0, grad };
  const gd = grad.data;
  const dp = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    const g = perImage ? b : 0;
    for (let q = 0; q < s; q++) {
      if (!valid[b * s + q]) continue;
      const o = b * c * s + q;
      if (mode === "binary") {
        const pi = p[o];
        gd[o] = (coefA[g] + coefB[g] * t[o]) * pi * (1 - pi);
        continue;
      }
      let dot = 0;
      for (let k = 0; k < c; k++) {
        const v = coefA[g * c + k] + coefB[g * c + k] * t[o + k * s];
        dp[k] = v;
        dot += v * p[o + k * s];
      }
      for (let k = 0; k < c; k++) gd[o + k * s] = p[o + k * s] * (dp[k] - dot);
    }
  }
  return { loss: total / count, grad };
}

function classSelection(classes: readonly number[] | undefined, c: number, logits: Tensor): boolean[] {
  const sel = new Array<boolean>(c).fill(classes === undefined);
  if (classes === undefined) return sel;
  if (!Array.isArray(classes) || classes.length === 0) {
    throw new ArgumentError(OP, "classes must be a non-empty array of class indices");
  }
  for (const k of classes) {
    if (!Number.isInteger(k) || k < 0 || k >= c) {
      throw new ArgumentError(OP, `class ${String(k)} in classes is out of range for logits ${formatShape(logits.shape)} (${c} classes)`);
    }
    if (sel[k]) throw new ArgumentError(OP, `class ${k} appears twice in classes`);
    sel[k] = true;
  }
  return sel;
}

/**
 * {@link diceLoss} as an object with fixed options.
 *
 * @example
 * ```ts
 * const dice = new DiceLoss({ smooth: 1, ignoreIndex: 255 });
 * const { loss, grad } = dice.compute(logits, masks);
 * ```
 */
export class DiceLoss implements Loss {
  readonly name = "DiceLoss";
  readonly options: Readonly<DiceOptions>;

  constructor(options: DiceOptions = {}) {
    const mode = options.mode ?? "multiclass";
    if (mode !== "multiclass" && mode !== "binary") {
      throw new ArgumentError("DiceLoss", `mode must be "multiclass" or "binary" (got ${String(mode)})`);
    }
    this.options = { ...options };
  }

  /** The loss and dloss/dlogits. */
  compute(logits: Tensor, labels: LabelsLike): LossResult {
    return diceLoss(logits, labels, this.options);
  }
}
