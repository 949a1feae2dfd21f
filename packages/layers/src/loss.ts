import {
  ArgumentError,
  ShapeError,
  Tensor,
  formatShape,
  sameShape,
  type Shape,
} from "@unetkit/tensor";
import { allFinite } from "./all-finite.js";
import { formatIndex, type Labels, type LabelsLike } from "./labels.js";

/**
 * How a loss combines per-element losses: `"mean"` (PyTorch's default; for weighted
 * cross-entropy a weighted mean), `"sum"`, or `"none"` (per-element losses).
 */
export type Reduction = "mean" | "sum" | "none";

/**
 * A reduced loss and its gradient: `loss` is the scalar value (float64 accumulation), `grad` is
 * dloss/dlogits with the logits' shape and dtype, ready to pass to the model's `backward`.
 *
 * @example
 * ```ts
 * const { loss, grad } = crossEntropyLoss(logits, y);
 * model.backward(grad);
 * ```
 */
export interface LossResult {
  /** The scalar loss. */
  readonly loss: number;
  /** dloss/dlogits, same shape and dtype as the logits. */
  readonly grad: Tensor;
}

/**
 * The result of a loss with `reduction: "none"`: the per-element losses (shape of the labels,
 * dtype of the logits) and `backward(gradOutput)`, which returns dL/dlogits for an upstream
 * gradient dL/dlosses of the losses' shape (the vector-Jacobian product). `backward(ones)` is the
 * gradient of the `"sum"` reduction. `backward` reads the logits again (it keeps a reference, not a
 * copy): do not modify them in between.
 *
 * @example
 * ```ts
 * const { losses, backward } = crossEntropyLoss(logits, y, { reduction: "none" });
 * const grad = backward(ones(losses.shape, losses.dtype));
 * ```
 */
export interface UnreducedLossResult {
  /** Per-element losses, shape `[N, ...spatial]`. */
  readonly losses: Tensor;
  /** dL/dlogits given dL/dlosses. */
  backward(gradOutput: Tensor): Tensor;
}

/**
 * A loss object: `compute(logits, target)` returns the value and dloss/dlogits. Implemented by
 * {@link CrossEntropyLoss}, {@link BCEWithLogitsLoss}, {@link DiceLoss}, {@link FocalLoss},
 * {@link BinaryFocalLoss} and {@link CombinedLoss}.
 *
 * @example
 * ```ts
 * const loss: Loss = new CrossEntropyLoss();
 * const { loss: value, grad } = loss.compute(logits, y);
 * ```
 */
export interface Loss {
  /** A short name for logs (`"CrossEntropyLoss"`). */
  readonly name: string;
  /** The loss value and its gradient for the logits. */
  compute(logits: Tensor, target: LabelsLike): LossResult;
}

/** Sizes of logits `[N, C, ...spatial]`: batch, classes and the spatial product. */
export interface LogitsLayout {
  readonly n: number;
  readonly c: number;
  readonly s: number;
}

/** Validates logits `[N, C, ...spatial]` (rank >= 2, at least one class) and returns the layout. */
export function logitsLayout(op: string, logits: Tensor): LogitsLayout {
  if (!(logits instanceof Tensor)) throw new ArgumentError(op, "logits must be a Tensor");
  if (logits.rank < 2) {
    throw new ShapeError(op, `logits must be [N, C] or [N, C, H, W] (got ${formatShape(logits.shape)})`);
  }
  const n = logits.shape[0];
  const c = logits.shape[1];
  if (c < 1) throw new ShapeError(op, `logits have no classes (logits ${formatShape(logits.shape)})`);
  let s = 1;
  for (let d = 2; d < logits.rank; d++) s *= logits.shape[d];
  return { n, c, s };
}

/** Throws an {@link ArgumentError} naming the loss, the shape and the first position of a NaN/Inf. */
export function checkFinite(op: string, what: string, t: Tensor): void {
  const d = t.data;
  if (allFinite(d)) return;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      throw new ArgumentError(
        op,
        `${what} hold a non-finite value (${d[i]}) at ${formatIndex(t.shape, i)} (${what} ${formatShape(t.shape)})`,
      );
    }
  }
}

/** The label shape that goes with logits `[N, C, ...spatial]`: `[N, ...spatial]`. */
export function labelShapeFor(logits: Tensor): number[] {
  return [logits.shape[0], ...logits.shape.slice(2)];
}

/** Checks that labels have shape `[N, ...spatial]` for the logits. */
export function checkLabelShape(op: string, logits: Tensor, y: Labels): void {
  const want = labelShapeFor(logits);
  if (!sameShape(y.shape, want)) {
    throw new ShapeError(
      op,
      `labels must have shape ${formatShape(want)} for logits ${formatShape(logits.shape)} (got labels ${formatShape(y.shape)})`,
    );
  }
}

/** Checks a reduction option. */
export function checkReduction(op: string, r: unknown, allowNone = true): asserts r is Reduction {
  if (r !== "mean" && r !== "sum" && !(allowNone && r === "none")) {
    throw new ArgumentError(op, `reduction must be ${allowNone ? '"mean", "sum" or "none"' : '"mean" or "sum"'} (got ${String(r)})`);
  }
}

/**
 * Validates a per-class weight tensor `[C]` (finite values) and returns it as float64.
 */
export function classWeights(op: string, what: string, weight: Tensor | undefined, c: number, logits: Tensor): Float64Array | null {
  if (weight === undefined) return null;
  if (!(weight instanceof Tensor)) throw new ArgumentError(op, `${what} must be a Tensor of shape [${c}]`);
  if (weight.rank !== 1 || weight.shape[0] !== c) {
    throw new ShapeError(
      op,
      `${what} must have shape [${c}] (one per class) for logits ${formatShape(logits.shape)} (got ${formatShape(weight.shape)})`,
    );
  }
  const w = Float64Array.from(weight.data);
  for (let i = 0; i < c; i++) {
    if (!Number.isFinite(w[i])) throw new ArgumentError(op, `${what}[${i}] is not finite (${w[i]})`);
  }
  return w;
}

/**
 * Expands a tensor to `shape` with PyTorch broadcasting (sizes aligned on the last axis, each
 * equal or 1), as float64. Throws a {@link ShapeError} naming both shapes otherwise.
 */
export function broadcastTo(op: string, what: string, t: Tensor, shape: Shape): Float64Array {
  if (!(t instanceof Tensor)) throw new ArgumentError(op, `${what} must be a Tensor`);
  const rank = shape.length;
  const fail = (): never => {
    throw new ShapeError(op, `${what} of shape ${formatShape(t.shape)} does not broadcast to ${formatShape(shape)}`);
  };
  if (t.rank > rank) fail();
  const strides = new Array<number>(rank).fill(0);
  let st = 1;
  for (let i = t.rank - 1; i >= 0; i--) {
    const o = i + rank - t.rank;
    if (t.shape[i] !== shape[o] && t.shape[i] !== 1) fail();
    strides[o] = t.shape[i] === 1 ? 0 : st;
    st *= t.shape[i];
  }
  let size = 1;
  for (const d of shape) size *= d;
  const out = new Float64Array(size);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < size; i++) {
    out[i] = t.data[src];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      src += strides[d];
      if (idx[d] < shape[d]) break;
      src -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  for (let i = 0; i < size; i++) {
    if (!Number.isFinite(out[i])) throw new ArgumentError(op, `${what} holds a non-finite value (${out[i]})`);
  }
  return out;
}

/** Checks an upstream gradient for `reduction: "none"`: a finite Tensor of the losses' shape. */
export function checkGradOutput(op: string, gradOutput: Tensor, shape: Shape): void {
  if (!(gradOutput instanceof Tensor)) throw new ArgumentError(op, "gradOutput must be a Tensor");
  if (!sameShape(gradOutput.shape, shape)) {
    throw new ShapeError(
      op,
      `gradOutput must have the losses' shape ${formatShape(shape)} (got ${formatShape(gradOutput.shape)})`,
    );
  }
  checkFinite(op, "gradOutput", gradOutput);
}

/** Checks that a number option is finite and within `[lo, hi]`. */
export function checkNumber(op: string, what: string, v: unknown, lo = -Infinity, hi = Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi) {
    const range = lo === -Infinity && hi === Infinity ? "a finite number" : `a number in [${lo}, ${hi}]`;
    throw new ArgumentError(op, `${what} must be ${range} (got ${String(v)})`);
  }
  return v;
}

/** Checks an integer option (e.g. `ignoreIndex`). */
export function checkInteger(op: string, what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new ArgumentError(op, `${what} must be an integer (got ${String(v)})`);
  }
  return v;
}

/** `log(1 + exp(x))`, stable for any finite x. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** The logistic sigmoid `1 / (1 + exp(-x))`, stable for any finite x. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Checks class labels against `c` classes (each in `[0, c)` or equal to `ignoreIndex`), naming the
 * first bad value and its position (`ignoreIndex` undefined: nothing is ignored). Returns the number of non-ignored labels and the sum of their
 * class weights (`weights[y]`, or 1 each without weights).
 */
export function checkClassLabels(
  op: string,
  y: Labels,
  c: number,
  ignoreIndex: number | undefined,
  weights: Float64Array | null,
  logits: Tensor,
): { count: number; weightSum: number } {
  const d = y.data;
  const bad = (i: number) =>
    new ArgumentError(
      op,
      `label ${d[i]} at ${formatIndex(y.shape, i)} is out of range for ${c} classes (expected 0..${c - 1}${ignoreIndex === undefined ? "" : ` or ignoreIndex ${ignoreIndex}`}; logits ${formatShape(logits.shape)}, labels ${formatShape(y.shape)})`,
    );
  const ignore = ignoreIndex === undefined ? NaN : ignoreIndex; // NaN equals no label
  if (weights === null) {
    // each label counts 1: count the ignored ones (an integer count, so the same result)
    let ignored = 0;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v === ignore) ignored++;
      else if (!(v >= 0 && v < c)) throw bad(i);
    }
    return { count: d.length - ignored, weightSum: d.length - ignored };
  }
  let count = 0;
  let weightSum = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v === ignore) continue;
    if (!(v >= 0 && v < c)) throw bad(i);
    count++;
    weightSum += weights[v];
  }
  return { count, weightSum };
}
