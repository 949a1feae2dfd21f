import {
  ArgumentError,
  Rng,
  ShapeError,
  Tensor,
  formatShape,
  randn,
  sameShape,
} from "@unetkit/tensor";
import { unravelIndex } from "./unravel-index.js";

/**
 * Options of {@link gradcheck}: the float64 inputs, a forward that reads them, the analytic
 * backward to check, and tolerances.
 *
 * @example
 * ```ts
 * const options: GradcheckOptions = {
 *   inputs: [x, w], names: ["x", "w"],
 *   forward: () => matmul(x, w),
 *   backward: (dy) => [matmul(dy, w, { transB: true }), matmul(x, dy, { transA: true })],
 *   maxChecksPerInput: 50,
 * };
 * ```
 */
export interface GradcheckOptions {
  /**
   * The float64 tensors the function reads (the input and the parameter values). Their data is
   * perturbed in place, one coordinate at a time, and restored exactly afterwards.
   */
  inputs: Tensor[];
  /** Recomputes the output from the current contents of `inputs` (a float64 tensor). */
  forward: () => Tensor;
  /**
   * The analytic gradients of `L = sum(y * dy)` with respect to each input, in the order of
   * `inputs`, each of its input's shape. Called once, after a `forward()` on the unperturbed inputs.
   */
  backward: (dy: Tensor) => Tensor[];
  /** Names of the inputs for the report (default `input0`, `input1`, ...). */
  names?: string[];
  /** Central-difference step (default 1e-6). */
  eps?: number;
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance, the error allowed on gradients near zero (default 1e-7). */
  atol?: number;
  /** Seed of the random projection `r` and of coordinate sampling (default 0). */
  seed?: number;
  /**
   * Check at most this many coordinates per input, chosen at random (seeded) without replacement;
   * inputs with no more coordinates are checked in full (default: every coordinate).
   */
  maxChecksPerInput?: number;
}

/**
 * The outcome of a {@link gradcheck}: the verdict, the worst relative error and where it occurred.
 *
 * @example
 * ```ts
 * const r = gradcheck(options);
 * if (!r.ok) console.log(r.worst); // { input: "w", index: [1, 2], analytic: 0.6, numeric: 0.5 }
 * ```
 */
export interface GradcheckReport {
  /** True when every checked coordinate is within tolerance (`maxRelError <= rtol`). */
  ok: boolean;
  /** The largest relative error over all checked coordinates (see {@link gradcheck}); 0 if none. */
  maxRelError: number;
  /** Where `maxRelError` occurred, or null when nothing was checked. */
  worst: { input: string; index: number[]; analytic: number; numeric: number } | null;
  /** Number of coordinates checked. */
  checked: number;
  /** Number of coordinates out of tolerance. */
  failed: number;
  /** The tolerances used: rtol, and the absolute floor (`max(atol, rounding noise)`). */
  rtol: number;
  atolUsed: number;
  /** Per input: name, shape, coordinates checked and the largest relative error there. */
  perInput: { name: string; shape: number[]; checked: number; maxRelError: number }[];
}

const UNIT_ROUNDOFF = 2 ** -53;

function dotProjection(y: Tensor, r: Tensor): number {
  const yd = y.data;
  const rd = r.data;
  let s = 0;
  for (let i = 0; i < yd.length; i++) s += yd[i] * rd[i];
  return s;
}

function checkFloat64(op: string, what: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError(op, `${what} must be a Tensor`);
  if (t.dtype !== "float64") {
    throw new ArgumentError(
      op,
      `${what} is ${t.dtype} ${formatShape(t.shape)}: gradient checks need float64 (central differences in float32 are noise)`,
    );
  }
}

/**
 * Checks an analytic backward against float64 central differences.
 *
 * The scalar checked is `L = sum(y * r)`, where `y = forward()` and `r` is a fixed random
 * projection (standard normal, from `seed`), so the upstream gradient passed to `backward` is
 * `dy = r` and `backward(r)[k]` must equal `dL/d inputs[k]`. For every checked coordinate `x_i`
 * of every input, the numeric derivative is `(L(x_i + eps) - L(x_i - eps)) / (2 eps)` (with the
 * step actually represented in float64), and the relative error is
 *
 * `err = |analytic - numeric| / max(|analytic|, |numeric|, atol' / rtol)`
 *
 * where `atol' = max(atol, 8 u sum|y r| / eps)` adds the rounding noise of the difference
 * (`u = 2^-53`). A coordinate passes when `err <= rtol`, which is the same as
 * `|analytic - numeric| <= max(rtol * max(|analytic|, |numeric|), atol')`; a NaN fails.
 * The report gives the worst coordinate (input name, multi-index, both values).
 *
 * Inputs must be float64; their data is perturbed in place and restored bit for bit (also when
 * `forward` throws). `forward` must be deterministic in the inputs.
 *
 * @example
 * ```ts
 * // y = x * w (elementwise): dL/dx = dy * w, dL/dw = dy * x
 * const x = randn([3, 4], new Rng(1), { dtype: "float64" });
 * const w = randn([3, 4], new Rng(2), { dtype: "float64" });
 * const report = gradcheck({
 *   inputs: [x, w],
 *   names: ["x", "w"],
 *   forward: () => mul(x, w),
 *   backward: (dy) => [mul(dy, w), mul(dy, x)],
 * });
 * report.ok;          // true
 * report.maxRelError; // ~1e-10
 * ```
 */
export function gradcheck(options: GradcheckOptions): GradcheckReport {
  const op = "gradcheck";
  if (options === null || typeof options !== "object") throw new ArgumentError(op, "options must be an object");
  const { inputs, forward, backward } = options;
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new ArgumentError(op, "inputs must be a non-empty array of float64 tensors");
  }
  if (typeof forward !== "function" || typeof backward !== "function") {
    throw new ArgumentError(op, "forward and backward must be functions");
  }
  const names = options.names ?? inputs.map((_, k) => `input${k}`);
  if (!Array.isArray(names) || names.length !== inputs.length) {
    throw new ArgumentError(op, `names has ${names?.length} entries for ${inputs.length} inputs`);
  }
  inputs.forEach((t, k) => checkFloat64(op, `input ${names[k]}`, t));
  const eps = options.eps ?? 1e-6;
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-7;
  for (const [what, v] of [["eps", eps], ["rtol", rtol], ["atol", atol]] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new ArgumentError(op, `${what} must be a positive number (got ${v})`);
  }
  const maxChecks = options.maxChecksPerInput ?? Number.POSITIVE_INFINITY;
  if (!(maxChecks >= 1) || (Number.isFinite(maxChecks) && !Number.isInteger(maxChecks))) {
    throw new ArgumentError(op, `maxChecksPerInput must be a positive integer (got ${maxChecks})`);
  }
  const rng = new Rng(options.seed ?? 0);

  const y0 = forward();
  checkFloat64(op, "forward() output", y0);
  const r = randn(y0.shape, rng, { dtype: "float64" });
  let scale = 0;
  for (let i = 0; i < y0.size; i++) scale += Math.abs(y0.data[i] * r.data[i]);
  const atolUsed = Math.max(atol, (8 * UNIT_ROUNDOFF * scale) / eps);
  const floor = atolUsed / rtol;

  const grads = backward(r.clone());
  if (!Array.isArray(grads) || grads.length !== inputs.length) {
    throw new ArgumentError(
      op,
      `backward returned ${Array.isArray(grads) ? grads.length : typeof grads} gradients for ${inputs.length} inputs`,
    );
  }
  grads.forEach((g, k) => {
    if (!(g instanceof Tensor)) throw new ArgumentError(op, `gradient of ${names[k]} is not a Tensor`);
    if (!sameShape(g.shape, inputs[k].shape)) {
      throw new ShapeError(
        op,
        `gradient of ${names[k]} has shape ${formatShape(g.shape)} but the input is ${formatShape(inputs[k].shape)}`,
      );
    }
  });

  const loss = (): number => {
    const y = forward();
    if (!(y instanceof Tensor) || !sameShape(y.shape, y0.shape)) {
      throw new ShapeError(op, `forward() output changed shape (${formatShape(y0.shape)} -> ${y instanceof Tensor ? formatShape(y.shape) : typeof y})`);
    }
    return dotProjection(y, r);
  };

  let maxRelError = 0;
  let worst: GradcheckReport["worst"] = null;
  let checked = 0;
  let failed = 0;
  const perInput: GradcheckReport["perInput"] = [];
  for (let k = 0; k < inputs.length; k++) {
    const x = inputs[k];
    const data = x.data;
    const g = grads[k].data;
    let coords: number[];
    if (x.size <= maxChecks) {
      coords = Array.from({ length: x.size }, (_, i) => i);
    } else {
      // Floyd's sampling: maxChecks distinct coordinates with O(maxChecks) memory.
      const chosen = new Set<number>();
      for (let j = x.size - maxChecks; j < x.size; j++) {
        const t = rng.int(0, j + 1);
        chosen.add(chosen.has(t) ? j : t);
      }
      coords = [...chosen].sort((a, b) => a - b);
    }
    let inputMax = 0;
    for (const i of coords) {
      const original = data[i];
      let numeric: number;
      try {
        const plus = original + eps;
        const minus = original - eps;
        data[i] = plus;
        const lp = loss();
        data[i] = minus;
        const lm = loss();
        numeric = (lp - lm) / (plus - minus);
      } finally {
        data[i] = original;
      }
      const analytic = g[i];
      const diff = Math.abs(analytic - numeric);
      let err = diff / Math.max(Math.abs(analytic), Math.abs(numeric), floor);
      if (Number.isNaN(err)) err = Number.POSITIVE_INFINITY;
      checked++;
      if (!(err <= rtol)) failed++;
      if (err > inputMax) inputMax = err;
      if (worst === null || err > maxRelError) {
        maxRelError = err;
        worst = { input: names[k], index: unravelIndex(i, x.shape), analytic, numeric };
      }
    }
    perInput.push({ name: names[k], shape: [...x.shape], checked: coords.length, maxRelError: inputMax });
  }
  return { ok: failed === 0, maxRelError, worst, checked, failed, rtol, atolUsed, perInput };
}

/**
 * A readable multi-line summary of a {@link GradcheckReport}: verdict, worst coordinate, and the
 * largest error per input.
 *
 * @example
 * ```ts
 * console.log(formatGradcheckReport(gradcheck(options)));
 * // gradcheck FAILED: 3 of 40 coordinates out of tolerance (rtol 1e-5, atol 1e-7)
 * //   worst: w[1,2] analytic 0.5 numeric 1.5 (relative error 0.667)
 * ```
 */
export function formatGradcheckReport(report: GradcheckReport): string {
  const head = report.ok
    ? `gradcheck passed: ${report.checked} coordinates within tolerance`
    : `gradcheck FAILED: ${report.failed} of ${report.checked} coordinates out of tolerance`;
  const lines = [`${head} (rtol ${report.rtol}, atol ${report.atolUsed.toPrecision(3)})`];
  if (report.worst) {
    const w = report.worst;
    lines.push(
      `  worst: ${w.input}[${w.index.join(",")}] analytic ${w.analytic} numeric ${w.numeric} (relative error ${report.maxRelError.toPrecision(3)})`,
    );
  }
  for (const p of report.perInput) {
    lines.push(`  ${p.name} ${formatShape(p.shape)}: ${p.checked} checked, max relative error ${p.maxRelError.toPrecision(3)}`);
  }
  return lines.join("\n");
}

/**
 * Runs {@link gradcheck} and throws an `Error` carrying {@link formatGradcheckReport} when it is not
 * ok; returns the report otherwise. For tests.
 *
 * @example
 * ```ts
 * it("backward is right", () => {
 *   assertGradcheck({ inputs: [x], forward: () => f(x), backward: (dy) => [fBackward(x, dy)] });
 * });
 * ```
 */
export function assertGradcheck(options: GradcheckOptions): GradcheckReport {
  const report = gradcheck(options);
  if (!report.ok) throw new Error(formatGradcheckReport(report));
  return report;
}
