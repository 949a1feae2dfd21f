import { ArgumentError, ShapeError, Tensor, backendFor, formatShape, globalRng, type DType, type Rng } from "@unetkit/tensor";
import { checkInput, defaultInitBound, uniformInit } from "./internal.js";
import { Layer } from "./module.js";
import { Parameter } from "./parameter.js";

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Parameter dtype (default `"float32"`); inputs must match. */
  dtype?: DType;
  /** Generator for the initial weights (default `globalRng()`). */
  rng?: Rng;
}

/**
 * A fully connected layer, `torch.nn.Linear(in, out, bias=True)`: `y = x @ W^T + b`.
 *
 * Parameters: `weight` `[out, in]`, `bias` `[out]`, initialised as PyTorch's `reset_parameters`
 * (`U(-1/sqrt(in), 1/sqrt(in))` for both). Input `[..., in]` (any leading dimensions), output
 * `[..., out]`. Products go through the backend GEMM. Backward keeps only the input.
 *
 * @example
 * ```ts
 * const fc = new Linear(512, 10, { rng: new Rng(0) });
 * const logits = fc.forward(features);   // [N, 10]
 * const dFeatures = fc.backward(dLogits); // fc.weight.grad, fc.bias.grad accumulated
 * ```
 */
export class Linear extends Layer {
  /** Weight `[out, in]`. */
  readonly weight: Parameter;
  /** Bias `[out]`, or null with `bias: false`. */
  readonly bias: Parameter | null;
  /** Input features (last input dimension). */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;
  /** Parameter dtype; inputs must match. */
  readonly dtype: DType;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [what, v] of [
      ["inFeatures", inFeatures],
      ["outFeatures", outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ArgumentError("Linear", `${what} must be a positive integer (got ${v})`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.dtype = options.dtype ?? "float32";
    if (this.dtype !== "float32" && this.dtype !== "float64") {
      throw new ArgumentError("Linear", `unknown dtype ${String(this.dtype)} (expected float32 or float64)`);
    }
    const rng = options.rng ?? globalRng();
    const bound = defaultInitBound(inFeatures);
    this.weight = this.registerParameter("weight", new Parameter(new Tensor(this.dtype, [outFeatures, inFeatures])));
    uniformInit(this.weight.value, bound, rng);
    if (options.bias ?? true) {
      this.bias = this.registerParameter("bias", new Parameter(new Tensor(this.dtype, [outFeatures])));
      uniformInit(this.bias.value, bound, rng);
    } else {
      this.bias = null;
    }
  }

  forward(x: Tensor): Tensor {
    checkInput("Linear", x, this.dtype);
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(
        "Linear",
        `input has ${x.rank < 1 ? "no" : x.shape[x.rank - 1]} features in its last dimension, the layer expects ${this.inFeatures} (input ${formatShape(x.shape)}, weight ${formatShape(this.weight.value.shape)})`,
      );
    }
    const rows = x.size / this.inFeatures;
    const y = new Tensor(x.dtype, [...x.shape.slice(0, -1), this.outFeatures]);
    const out = this.outFeatures;
    if (this.bias) {
      const b = this.bias.value.data;
      for (let r = 0; r < rows; r++) y.data.set(b, r * out);
    }
    backendFor(x.dtype).gemm({
      transA: false,
      transB: true,
      m: rows,
      n: out,
      k: this.inFeatures,
      alpha: 1,
      a: x.data,
      aOffset: 0,
      lda: this.inFeatures,
      b: this.weight.value.data,
      bOffset: 0,
      ldb: this.inFeatures,
      beta: this.bias ? 1 : 0,
      c: y.data,
      cOffset: 0,
      ldc: out,
    });
    this.saveForBackward({ x, outShape: y.shape });
    return y;
  }

  backward(dy: Tensor): Tensor {
    const { x, outShape } = this.takeSaved<{ x: Tensor; outShape: readonly number[] }>();
    if (!(dy instanceof Tensor) || dy.dtype !== x.dtype || dy.shape.length !== outShape.length || dy.shape.some((d, i) => d !== outShape[i])) {
      throw new ShapeError(
        "Linear.backward",
        `gradient ${dy instanceof Tensor ? `${dy.dtype} ${formatShape(dy.shape)}` : "is not a Tensor"} does not match the output ${x.dtype} ${formatShape(outShape)}`,
      );
    }
    const rows = x.size / this.inFeatures;
    const inF = this.inFeatures;
    const out = this.outFeatures;
    const gemm = backendFor(x.dtype).gemm;
    const dx = new Tensor(x.dtype, x.shape);
    // dx = dy [rows, out] @ W [out, in]
    gemm({
      transA: false, transB: false, m: rows, n: inF, k: out, alpha: 1,
      a: dy.data, aOffset: 0, lda: out, b: this.weight.value.data, bOffset: 0, ldb: inF,
      beta: 0, c: dx.data, cOffset: 0, ldc: inF,
    });
    // dW += dy^T [out, rows] @ x [rows, in]
    gemm({
      transA: true, transB: false, m: out, n: inF, k: rows, alpha: 1,
      a: dy.data, aOffset: 0, lda: out, b: x.data, bOffset: 0, ldb: inF,
      beta: 1, c: this.weight.grad.data, cOffset: 0, ldc: inF,
    });
    if (this.bias) {
      const db = this.bias.grad.data;
      const g = dy.data;
      for (let j = 0; j < out; j++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += g[r * out + j];
        db[j] += s;
      }
    }
    return dx;
  }
}
