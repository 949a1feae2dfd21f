import { Tensor, backendFor, type TypedArray } from "@unetkit/tensor";
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
  type LogitsLayout,
  type Loss,
  type LossResult,
  type Reduction,
  type UnreducedLossResult,
} from "./loss.js";

/** Options of {@link crossEntropyLoss} and {@link CrossEntropyLoss} (PyTorch's names and defaults). */
export interface CrossEntropyOptions {
  /** Per-class weights, shape `[C]` (PyTorch's `weight`). */
  weight?: Tensor;
  /** Labels equal to this contribute no loss and no gradient (default -100, as PyTorch). */
  ignoreIndex?: number;
  /** `"mean"` (default), `"sum"` or `"none"`. */
  reduction?: Reduction;
  /** Label smoothing ε in `[0, 1]` (default 0), as PyTorch's `label_smoothing`. */
  labelSmoothing?: number;
}

const OP = "crossEntropyLoss";

function crossEntropyCore(
  x: TypedArray,
  y: IntegerArray,
  { n, c, s }: LogitsLayout,
  w: Float64Array | null,
  eps: number,
  ignoreIndex: number,
  scale: number,
  upstream: TypedArray | null,
  losses: TypedArray | null,
  grad: TypedArray | null,
): number {
  const e = new Float64Array(c);
  let wTotal = 0;
  if (w !== null) for (let k = 0; k < c; k++) wTotal += w[k];
  else wTotal = c;
  const smooth = eps / c;
  let total = 0;
  for (let b = 0; b < n; b++) {
    const base = b * c * s;
    for (let p = 0; p < s; p++) {
      const li = b * s + p;
      const label = y[li];
      if (label === ignoreIndex) continue; // 0 loss, 0 gradient (outputs start at zero)
      const o = base + p;
      let m = -Infinity;
      for (let k = 0; k < c; k++) {
        const v = x[o + k * s];
        if (v > m) m = v;
      }
      let se = 0;
      for (let k = 0; k < c; k++) {
        const ev = Math.exp(x[o + k * s] - m);
        e[k] = ev;
        se += ev;
      }
      const lse = m + Math.log(se);
      const wy = w === null ? 1 : w[label];
      let loss = (1 - eps) * wy * (lse - x[o + label * s]);
      if (eps > 0) {
        let sm = 0;
        for (let k = 0; k < c; k++) sm += (w === null ? 1 : w[k]) * (lse - x[o + k * s]);
        loss += smooth * sm;
      }
      total += loss;
      if (losses !== null) losses[li] = loss;
      if (grad !== null) {
        const kscale = upstream === null ? scale : scale * upstream[li];
        const inv = 1 / se;
        const a = (1 - eps) * wy;
        for (let k = 0; k < c; k++) {
          const sk = e[k] * inv;
          let g = a * sk;
          if (eps > 0) g += smooth * (wTotal * sk - (w === null ? 1 : w[k]));
          if (k === label) g -= a;
          grad[o + k * s] = kscale * g;
        }
      }
    }
  }
  return total;
}

/**
 * Softmax cross-entropy over the class axis (PyTorch's `F.cross_entropy` with class-index
 * targets), value and gradient together.
 *
 * Logits `[N, C]` with labels `[N]`, or `[N, C, H, W]` (any number of spatial axes) with labels
 * `[N, H, W]`. For element i with label y (log-softmax computed as `x - logsumexp(x)`, stable for
 * any finite logits, e.g. 1e4):
 *
 *   l_i = (1 - ε) w[y] (-log p_y) + (ε / C) Σ_c w[c] (-log p_c)
 *
 * with ε = `labelSmoothing` and w = `weight` (ones by default). Elements labelled `ignoreIndex`
 * give 0 loss and 0 gradient. `"sum"` is Σ l_i; `"mean"` is Σ l_i / Σ w[y_i] over non-ignored
 * elements (PyTorch's weighted mean; a plain mean without weights). When every element is ignored
 * (or the weights of the present labels sum to 0), `"mean"` returns loss 0 and a zero gradient
 * where PyTorch returns NaN.
 *
 * Returns `{ loss, grad }` (grad = dloss/dlogits, logits' shape and dtype) for `"mean"`/`"sum"`,
 * and `{ losses, backward }` (see {@link UnreducedLossResult}) for `"none"`.
 *
 * Throws {@link ArgumentError} for a label out of range (naming the value and its position), a
 * NaN/Inf logit or bad options, {@link ShapeError} for mismatched shapes or a weight not `[C]`.
 *
 * @example
 * ```ts
 * const logits = fromArray([[2, 0, -1], [0.5, 0.5, 3]], { dtype: "float64" });
 * const { loss, grad } = crossEntropyLoss(logits, labels([0, 2], [2]));
 * // loss ≈ 0.161; grad has shape [2, 3]
 * ```
 */
export function crossEntropyLoss(
  logits: Tensor,
  labels: LabelsLike,
  options: CrossEntropyOptions & { reduction: "none" },
): UnreducedLossResult;
export function crossEntropyLoss(
  logits: Tensor,
  labels: LabelsLike,
  options?: CrossEntropyOptions & { reduction?: "mean" | "sum" },
): LossResult;
export function crossEntropyLoss(
  logits: Tensor,
  labels: LabelsLike,
  options?: CrossEntropyOptions,
): LossResult | UnreducedLossResult;
export function crossEntropyLoss(
  logits: Tensor,
  labels: LabelsLike,
  options: CrossEntropyOptions = {},
): LossResult | UnreducedLossResult {
  const layout = logitsLayout(OP, logits);
  const y = toLabels(OP, labels);
  checkLabelShape(OP, logits, y);
  const reduction = options.reduction ?? "mean";
  checkReduction(OP, reduction);
  const ignoreIndex = checkInteger(OP, "ignoreIndex", options.ignoreIndex ?? -100);
  const eps = checkNumber(OP, "labelSmoothing", options.labelSmoothing ?? 0, 0, 1);
  const w = classWeights(OP, "weight", options.weight, layout.c, logits);
  checkFinite(OP, "logits", logits);
  const { weightSum } = checkClassLabels(OP, y, layout.c, ignoreIndex, w, logits);

  if (reduction === "none") {
    const lshape = labelShapeFor(logits);
    const losses = new Tensor(logits.dtype, lshape);
    crossEntropyCore(logits.data, y.data, layout, w, eps, ignoreIndex, 1, null, losses.data, null);
    return {
      losses,
      backward(gradOutput: Tensor): Tensor {
        checkGradOutput(OP, gradOutput, lshape);
        const grad = new Tensor(logits.dtype, logits.shape);
        crossEntropyCore(logits.data, y.data, layout, w, eps, ignoreIndex, 1, gradOutput.data, null, grad.data);
        return grad;
      },
    };
  }
  const grad = new Tensor(logits.dtype, logits.shape);
  if (reduction === "mean" && weightSum === 0) return { loss: 0, grad };
  const scale = reduction === "mean" ? 1 / weightSum : 1;
  const kernels = backendFor(logits.dtype);
  // A backend's kernel: the same float64 formulas and order (its exp/log may differ in the last bit).
  const total = kernels.softmaxCrossEntropy
    ? kernels.softmaxCrossEntropy({
        logits: logits.data, labels: y.data, grad: grad.data, batch: layout.n, classes: layout.c, positions: layout.s,
        weight: w, labelSmoothing: eps, ignoreIndex, scale,
      })
    : crossEntropyCore(logits.data, y.data, layout, w, eps, ignoreIndex, scale, null, null, grad.data);
  return { loss: total * scale, grad };
}

/**
 * {@link crossEntropyLoss} as an object with fixed options (PyTorch's `nn.CrossEntropyLoss`),
 * for the reductions `"mean"` (default) and `"sum"`; use the function for `"none"`.
 *
 * @example
 * ```ts
 * const ce = new CrossEntropyLoss({ weight: fromArray([0.2, 1, 1]), ignoreIndex: 255 });
 * const { loss, grad } = ce.compute(logits, masks); // logits [N,3,H,W], masks [N,H,W]
 * ```
 */
export class CrossEntropyLoss implements Loss {
  readonly name = "CrossEntropyLoss";
  readonly options: Readonly<CrossEntropyOptions & { reduction: "mean" | "sum" }>;

  constructor(options: CrossEntropyOptions & { reduction?: "mean" | "sum" } = {}) {
    const reduction = options.reduction ?? "mean";
    checkReduction("CrossEntropyLoss", reduction, false);
    this.options = { ...options, reduction };
  }

  /** The loss and dloss/dlogits for logits `[N, C, ...]` and labels `[N, ...]`. */
  compute(logits: Tensor, labels: LabelsLike): LossResult {
    return crossEntropyLoss(logits, labels, this.options);
  }
}
