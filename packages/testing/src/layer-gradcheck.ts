import { ArgumentError, Tensor } from "@unetkit/tensor";
import {
  formatGradcheckReport,
  gradcheck,
  type GradcheckOptions,
  type GradcheckReport,
} from "./gradcheck.js";

/**
 * What {@link layerGradcheck} needs from a layer (duck-typed, so this package does not depend on
 * `@unetkit/layers`): a `Layer` from that package fits as is.
 *
 * @example
 * ```ts
 * const layer: GradcheckableLayer = new Conv2D(3, 4, 3, { dtype: "float64" });
 * ```
 */
export interface GradcheckableLayer {
  forward(x: Tensor): Tensor;
  backward(dy: Tensor): Tensor;
  zeroGrad(): void;
  namedParameters(): [string, { value: Tensor; grad: Tensor; requiresGrad?: boolean }][];
}

/**
 * Options of {@link layerGradcheck}: the tolerances and sampling of {@link GradcheckOptions}, and
 * whether to check the input gradient.
 *
 * @example
 * ```ts
 * layerGradcheck(bn, x, { maxChecksPerInput: 30, rtol: 1e-4, seed: 3 });
 * ```
 */
export type LayerGradcheckOptions = Omit<GradcheckOptions, "inputs" | "forward" | "backward" | "names"> & {
  /** Check the input gradient dx (default true). */
  checkInput?: boolean;
};

/**
 * Gradient-checks a layer: the input gradient `dx` returned by `backward` and the gradient of every
 * parameter (accumulated into `param.grad`) against float64 central differences of
 * `L = sum(forward(x) * r)`; see {@link gradcheck} for the error formula.
 *
 * The analytic pass calls `zeroGrad()`, `forward(x)`, then `backward(r)`. Each numeric difference
 * perturbs one coordinate of `x` or of a parameter's `value` in place, calls `forward(x)`, and
 * restores it. The layer and `x` must be float64. Parameters with `requiresGrad === false` are
 * skipped. On return the parameter gradients hold the analytic ones.
 *
 * The layer must be a deterministic function of its input and parameters: BatchNorm in training
 * mode is (it normalises with the batch's own statistics; its running statistics drift with every
 * forward, which does not affect the output in training mode), but Dropout in training mode is not:
 * fix its mask or check it in eval mode (the caller's problem).
 *
 * @example
 * ```ts
 * const conv = new Conv2D(3, 4, 3, { padding: 1, dtype: "float64", rng: new Rng(0) });
 * const x = randn([2, 3, 5, 5], new Rng(1), { dtype: "float64" });
 * const report = layerGradcheck(conv, x, { maxChecksPerInput: 50 });
 * report.ok; // true
 * ```
 */
export function layerGradcheck(
  layer: GradcheckableLayer,
  x: Tensor,
  options: LayerGradcheckOptions = {},
): GradcheckReport {
  const op = "layerGradcheck";
  for (const m of ["forward", "backward", "zeroGrad", "namedParameters"] as const) {
    if (!layer || typeof (layer as unknown as Record<string, unknown>)[m] !== "function") {
      throw new ArgumentError(op, `layer has no ${m}() method`);
    }
  }
  if (!(x instanceof Tensor)) throw new ArgumentError(op, "x must be a Tensor");
  const { checkInput = true, ...rest } = options;
  const params = layer.namedParameters().filter(([, p]) => p.requiresGrad !== false);
  for (const [name, p] of params) {
    if (!(p.value instanceof Tensor) || !(p.grad instanceof Tensor)) {
      throw new ArgumentError(op, `parameter ${name} needs value and grad tensors`);
    }
  }
  if (!checkInput && params.length === 0) {
    throw new ArgumentError(op, "nothing to check: checkInput is false and the layer has no parameters");
  }
  const inputs: Tensor[] = [];
  const names: string[] = [];
  if (checkInput) {
    inputs.push(x);
    names.push("input");
  }
  for (const [name, p] of params) {
    inputs.push(p.value);
    names.push(name);
  }
  return gradcheck({
    ...rest,
    inputs,
    names,
    forward: () => layer.forward(x),
    backward: (dy) => {
      layer.zeroGrad();
      layer.forward(x);
      const dx = layer.backward(dy);
      const out = params.map(([, p]) => p.grad.clone());
      return checkInput ? [dx, ...out] : out;
    },
  });
}

/**
 * Runs {@link layerGradcheck} and throws an `Error` with a readable report (prefixed by `label`
 * or the layer's class name) when it fails; returns the report otherwise. For tests.
 *
 * @example
 * ```ts
 * assertLayerGradcheck(new ReLU(), randn([2, 3, 4, 4], new Rng(0), { dtype: "float64" }));
 * ```
 */
export function assertLayerGradcheck(
  layer: GradcheckableLayer,
  x: Tensor,
  options: LayerGradcheckOptions & { label?: string } = {},
): GradcheckReport {
  const { label, ...rest } = options;
  const report = layerGradcheck(layer, x, rest);
  if (!report.ok) {
    const name = label ?? (layer as object).constructor?.name ?? "layer";
    throw new Error(`${name}: ${formatGradcheckReport(report)}`);
  }
  return report;
}
