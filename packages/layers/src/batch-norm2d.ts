import { empty, ArgumentError, ShapeError, Tensor, backendFor, formatShape, type DType, type KernelBackend, type TypedArray } from "@unetkit/tensor";
import { checkGradShape, checkInput } from "./internal.js";
import { Layer } from "./module.js";
import { Parameter } from "./parameter.js";

/** Options of {@link BatchNorm2D}. */
export interface BatchNorm2DOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /**
   * Weight of the new batch statistic in the running averages (default 0.1):
   * `running = (1 - momentum) * running + momentum * batch`. `null` gives the cumulative average
   * (`momentum = 1 / num_batches_tracked`), as PyTorch.
   */
  momentum?: number | null;
  /** Learn a per-channel scale `weight` (init 1) and shift `bias` (init 0) (default true). */
  affine?: boolean;
  /**
   * Keep running statistics and use them in eval mode (default true). When false there are no
   * running buffers and batch statistics are used in both modes, as PyTorch.
   */
  trackRunningStats?: boolean;
  /** Parameter dtype (default `"float32"`); inputs must match. */
  dtype?: DType;
}

/**
 * What forward keeps for backward: the input itself (not a normalised copy; backward recomputes
 * `xhat = (x - mean) * invstd`), the per-channel mean and inverse std used, and whether they were
 * batch statistics.
 */
interface SavedBatchNorm {
  x: Tensor;
  mean: Float64Array;
  invstd: Float64Array;
  batchStats: boolean;
  /** The output, when a ReLU was fused in ({@link BatchNorm2D.forwardReLU}): backward's gate. */
  gate: Tensor | null;
}

/**
 * Per-channel batch statistics of an NCHW tensor in one pass: the mean and the biased variance
 * (divided by `N*H*W`), accumulated in float64 on data shifted by the channel's first value (so a
 * large mean does not cancel the variance).
 *
 * Shapes: `x` `[N, C, H, W]`; returns `{ mean, variance }` as `Float64Array`s of length C.
 *
 * @example
 * ```ts
 * const { mean, variance } = batchNormStatistics(x); // mean.length === x.shape[1]
 * ```
 */
export function batchNormStatistics(x: Tensor): { mean: Float64Array; variance: Float64Array } {
  checkInput("BatchNorm2D", x, undefined, 4);
  const [n, c, h, w] = x.shape;
  const L = h * w;
  const count = n * L;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  const xd = x.data;
  const kernels = backendFor(x.dtype);
  if (kernels.batchNormStatistics) {
    // A backend's kernel: the same float64 sums in the same order (same bits).
    kernels.batchNormStatistics({ x: xd, batch: n, channels: c, plane: L, mean, variance });
    return { mean, variance };
  }
  for (let ch = 0; ch < c; ch++) {
    if (count === 0) continue;
    const shift = xd[ch * L];
    // Two interleaved accumulator pairs (even and odd positions) halve the add-latency chain.
    let s = 0;
    let s2 = 0;
    let t = 0;
    let t2 = 0;
    for (let b = 0; b < n; b++) {
      const off = (b * c + ch) * L;
      const end = off + L;
      let i = off;
      for (; i + 1 < end; i += 2) {
        const d0 = xd[i] - shift;
        const d1 = xd[i + 1] - shift;
        s += d0;
        s2 += d0 * d0;
        t += d1;
        t2 += d1 * d1;
      }
      if (i < end) {
        const d0 = xd[i] - shift;
        s += d0;
        s2 += d0 * d0;
      }
    }
    s += t;
    s2 += t2;
    const m = s / count;
    mean[ch] = shift + m;
    variance[ch] = Math.max(0, s2 / count - m * m);
  }
  return { mean, variance };
}

/**
 * `torch.nn.BatchNorm2d`: normalises each channel of an NCHW batch,
 * `y = (x - mean) / sqrt(var + eps) * weight + bias`.
 *
 * - Training mode: `mean` and the biased `var` are the batch's (over N, H, W); the running
 *   averages are updated with the batch mean and the *unbiased* variance (`var * m / (m - 1)`,
 *   `m = N*H*W`), and `num_batches_tracked` is incremented.
 * - Eval mode: the running statistics are used (unless `trackRunningStats` is false).
 *
 * State-dict keys (PyTorch's): `weight`, `bias` (when affine), `running_mean`, `running_var`,
 * `num_batches_tracked` (when tracking; a float tensor of shape `[]` holding the count).
 * Backward uses the compact closed form
 * `dx = weight * invstd * (dy - mean(dy) - xhat * mean(dy * xhat))` in training mode and the
 * per-channel affine map `dx = weight * invstd * dy` in eval mode; it keeps a reference to the input
 * (not a copy: do not modify the input between forward and backward) and the per-channel mean and
 * `invstd`, and recomputes `xhat`.
 *
 * Input and output `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * const bn = new BatchNorm2D(16);
 * const y = bn.forward(x);     // train mode: batch statistics, running stats updated
 * const dx = bn.backward(dy);  // adds into bn.weight.grad and bn.bias.grad
 * bn.eval();
 * bn.forward(x);               // running statistics
 * ```
 */
function checkMomentum(momentum: unknown): number | null {
  if (momentum !== null && (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1))) {
    throw new ArgumentError("BatchNorm2D", `momentum must be a number in [0, 1] or null (got ${String(momentum)})`);
  }
  return momentum;
}

export class BatchNorm2D extends Layer {
  /** Channels C. */
  readonly numFeatures: number;
  /** Added to the variance before the square root. */
  readonly eps: number;
  private momentumValue: number | null;

  /**
   * Running-average weight of a new batch (null: cumulative average). Assignable, as in PyTorch
   * (`bn.momentum = None`), e.g. to recompute exact population statistics over a data set.
   */
  get momentum(): number | null {
    return this.momentumValue;
  }

  set momentum(value: number | null) {
    this.momentumValue = checkMomentum(value);
  }
  /** Whether `weight` and `bias` exist. */
  readonly affine: boolean;
  /** Whether running statistics exist and are used in eval mode. */
  readonly trackRunningStats: boolean;
  /** Parameter dtype; inputs must match. */
  readonly dtype: DType;
  /** Scale `[C]` (init 1), or null when not affine. */
  readonly weight: Parameter | null;
  /** Shift `[C]` (init 0), or null when not affine. */
  readonly bias: Parameter | null;
  /** Running mean `[C]` (init 0), or null when not tracking. */
  readonly runningMean: Tensor | null;
  /** Running unbiased variance `[C]` (init 1), or null when not tracking. */
  readonly runningVar: Tensor | null;
  /** The number of training batches seen, a `[]` tensor (float), or null when not tracking. */
  readonly numBatchesTracked: Tensor | null;

  constructor(numFeatures: number, options: BatchNorm2DOptions = {}) {
    super();
    const op = "BatchNorm2D";
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) {
      throw new ArgumentError(op, `numFeatures must be a positive integer (got ${numFeatures})`);
    }
    const eps = options.eps ?? 1e-5;
    if (typeof eps !== "number" || !(eps > 0) || !Number.isFinite(eps)) {
      throw new ArgumentError(op, `eps must be a positive finite number (got ${eps})`);
    }
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentumValue = checkMomentum(options.momentum === undefined ? 0.1 : options.momentum);
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    this.dtype = options.dtype ?? "float32";
    if (this.dtype !== "float32" && this.dtype !== "float64") {
      throw new ArgumentError(op, `unknown dtype ${String(this.dtype)} (expected float32 or float64)`);
    }
    if (this.affine) {
      this.weight = this.registerParameter("weight", new Parameter(new Tensor(this.dtype, [numFeatures]).fill(1)));
      this.bias = this.registerParameter("bias", new Parameter(new Tensor(this.dtype, [numFeatures])));
    } else {
      this.weight = null;
      this.bias = null;
    }
    if (this.trackRunningStats) {
      this.runningMean = this.registerBuffer("running_mean", new Tensor(this.dtype, [numFeatures]));
      this.runningVar = this.registerBuffer("running_var", new Tensor(this.dtype, [numFeatures]).fill(1));
      this.numBatchesTracked = this.registerBuffer("num_batches_tracked", new Tensor(this.dtype, []));
    } else {
      this.runningMean = null;
      this.runningVar = null;
      this.numBatchesTracked = null;
    }
  }

  /** Resets the running statistics to mean 0, variance 1 and a count of 0. */
  resetRunningStats(): void {
    this.runningMean?.fill(0);
    this.runningVar?.fill(1);
    this.numBatchesTracked?.fill(0);
  }

  private checkX(x: Tensor): void {
    checkInput("BatchNorm2D", x, this.dtype, 4);
    if (x.shape[1] !== this.numFeatures) {
      throw new ShapeError(
        "BatchNorm2D",
        `input has ${x.shape[1]} channels, the layer expects ${this.numFeatures} (input ${formatShape(x.shape)})`,
      );
    }
  }

  forward(x: Tensor): Tensor {
    return this.normalize(x, false);
  }

  /**
   * This layer followed by a ReLU, in one pass over the data: `relu(bn.forward(x))` bit for bit
   * (ReLU on the rounded outputs: NaN and -0 give +0), but without writing and reading the
   * intermediate. Pair it with {@link BatchNorm2D.backwardReLU}. `DoubleConv` of @unetkit/unet runs
   * its BatchNorm and ReLU layers this way.
   *
   * Shapes: `x` `[N, C, H, W]` -> `[N, C, H, W]`.
   *
   * @example
   * ```ts
   * const y = bn.forwardReLU(conv.forward(x)); // = relu.forward(bn.forward(conv.forward(x)))
   * const dx = conv.backward(bn.backwardReLU(dy));
   * ```
   */
  forwardReLU(x: Tensor): Tensor {
    return this.normalize(x, true);
  }

  private normalize(x: Tensor, relu: boolean): Tensor {
    this.checkX(x);
    const [n, c, h, w] = x.shape;
    const L = h * w;
    const count = n * L;
    const useBatchStats = this.training || !this.trackRunningStats;
    const kernels = backendFor(x.dtype);
    const gamma = this.weight ? this.weight.value.data : null;
    const beta = this.bias ? this.bias.value.data : null;
    const y = empty(x.shape, x.dtype); // every element is written below
    const xd = x.data;
    const yd = y.data;
    const invstd = new Float64Array(c);
    const mean = new Float64Array(c);
    if (useBatchStats) {
      if (count <= 1) {
        throw new ShapeError(
          "BatchNorm2D",
          `expected more than 1 value per channel when training (input ${formatShape(x.shape)})`,
        );
      }
      const variance = new Float64Array(c);
      if (kernels.batchNormForward) {
        // A backend's kernel: statistics and normalisation in one call, the same float64 arithmetic (same bits).
        kernels.batchNormForward({ x: xd, y: yd, batch: n, channels: c, plane: L, weight: gamma, bias: beta, eps: this.eps, relu, mean, variance, invstd });
      } else {
        const stats = batchNormStatistics(x);
        mean.set(stats.mean);
        variance.set(stats.variance);
        for (let ch = 0; ch < c; ch++) invstd[ch] = 1 / Math.sqrt(variance[ch] + this.eps);
        this.applyNormalization(kernels, xd, yd, x.shape, mean, invstd, relu);
      }
      if (this.training && this.trackRunningStats) this.updateRunningStats(mean, variance, count);
    } else {
      const rm = this.runningMean!.data;
      const rv = this.runningVar!.data;
      for (let ch = 0; ch < c; ch++) {
        mean[ch] = rm[ch];
        invstd[ch] = 1 / Math.sqrt(rv[ch] + this.eps);
      }
      this.applyNormalization(kernels, xd, yd, x.shape, mean, invstd, relu);
    }
    // Backward recomputes xhat from the input (as PyTorch does) rather than keeping a copy.
    this.saveForBackward<SavedBatchNorm>({ x, mean, invstd, batchStats: useBatchStats, gate: relu ? y : null });
    return y;
  }

  /** `y = (x - mean) * (weight * invstd) + bias` per channel (then ReLU), on the backend's kernel when it has one. */
  private applyNormalization(kernels: KernelBackend, xd: TypedArray, yd: TypedArray, shape: readonly number[], mean: Float64Array, invstd: Float64Array, relu: boolean): void {
    const [n, c, h, w] = shape;
    const L = h * w;
    const gamma = this.weight ? this.weight.value.data : null;
    const beta = this.bias ? this.bias.value.data : null;
    if (kernels.batchNormNormalize) {
      const scale = new Float64Array(c);
      const shift = new Float64Array(c);
      for (let ch = 0; ch < c; ch++) {
        scale[ch] = (gamma ? gamma[ch] : 1) * invstd[ch];
        shift[ch] = beta ? beta[ch] : 0;
      }
      // A backend's kernel: the same float64 arithmetic, rounded once (same bits).
      kernels.batchNormNormalize({ x: xd, y: yd, batch: n, channels: c, plane: L, mean, scale, shift, relu });
    } else {
      // One pass per channel plane: y = (x - mean) * (weight * invstd) + bias (then ReLU: a value
      // that is not > 0 stores +0, as ReLU does with the rounded value).
      for (let ch = 0; ch < c; ch++) {
        const m = mean[ch];
        const k = (gamma ? gamma[ch] : 1) * invstd[ch];
        const bt = beta ? beta[ch] : 0;
        for (let b = 0; b < n; b++) {
          const off = (b * c + ch) * L;
          const end = off + L;
          if (relu) {
            for (let i = off; i < end; i++) {
              const v = (xd[i] - m) * k + bt;
              yd[i] = v > 0 ? v : 0;
            }
          } else {
            for (let i = off; i < end; i++) yd[i] = (xd[i] - m) * k + bt;
          }
        }
      }
    }
  }

  private updateRunningStats(mean: Float64Array, variance: Float64Array, count: number): void {
    const nbt = this.numBatchesTracked!;
    nbt.data[0] += 1;
    const factor = this.momentum === null ? 1 / nbt.data[0] : this.momentum;
    const rm = this.runningMean!.data;
    const rv = this.runningVar!.data;
    const unbias = count / (count - 1);
    for (let ch = 0; ch < mean.length; ch++) {
      rm[ch] = (1 - factor) * rm[ch] + factor * mean[ch];
      rv[ch] = (1 - factor) * rv[ch] + factor * variance[ch] * unbias;
    }
  }

  backward(dy: Tensor): Tensor {
    return this.backwardImpl(dy, false);
  }

  /**
   * The backward of {@link BatchNorm2D.forwardReLU}: `dy` is the gradient of its (ReLU'd) output;
   * returns `bn.backward(relu.backward(dy))` bit for bit, in one pass, and accumulates the weight
   * and bias gradients as `backward` does. Throws if the last forward was not `forwardReLU`.
   *
   * Shapes: `dy` `[N, C, H, W]` -> `[N, C, H, W]`.
   *
   * @example
   * ```ts
   * const dx = bn.backwardReLU(dy); // after y = bn.forwardReLU(x)
   * ```
   */
  backwardReLU(dy: Tensor): Tensor {
    return this.backwardImpl(dy, true);
  }

  private backwardImpl(dy: Tensor, relu: boolean): Tensor {
    const op = relu ? "BatchNorm2D.backwardReLU" : "BatchNorm2D.backward";
    const { x, mean, invstd, batchStats, gate } = this.takeSaved<SavedBatchNorm>();
    if ((gate !== null) !== relu) {
      throw new ArgumentError(op, relu ? "the last forward was forward, not forwardReLU" : "the last forward was forwardReLU: use backwardReLU");
    }
    checkGradShape(op, dy, x.shape, x.dtype);
    const gd0 = dy.data;
    const gated = gate === null ? null : gate.data;
    const [n, c, h, w] = x.shape;
    const L = h * w;
    const count = n * L;
    const dx = empty(dy.shape, dy.dtype); // every element is written below
    const xd = x.data;
    const dd = dx.data;
    const gamma = this.weight ? this.weight.value.data : null;
    const dGamma = this.weight ? this.weight.grad.data : null;
    const dBeta = this.bias ? this.bias.grad.data : null;
    const kernels = backendFor(x.dtype);
    if (kernels.batchNormBackward) {
      // A backend's kernel: the same float64 sums and formulas (same bits).
      const sumDy = new Float64Array(c);
      const sumDyXhat = new Float64Array(c);
      kernels.batchNormBackward({
        dy: gd0, x: xd, dx: dd, batch: n, channels: c, plane: L, mean, invstd, weight: gamma, batchStats, sumDy, sumDyXhat, gate: gated,
      });
      for (let ch = 0; ch < c; ch++) {
        if (dGamma) dGamma[ch] += sumDyXhat[ch];
        if (dBeta) dBeta[ch] += sumDy[ch];
      }
      return dx;
    }
    // the reference loops read ReLU's gradient, made here when a ReLU was fused in
    let gd = gd0;
    if (gated !== null) {
      gd = empty(dy.shape, dy.dtype).data;
      for (let i = 0; i < gd.length; i++) gd[i] = gated[i] > 0 ? gd0[i] : 0;
    }
    for (let ch = 0; ch < c; ch++) {
      const m = mean[ch];
      const s = invstd[ch];
      // sum(dy) and sum(dy * (x - mean)); xhat = (x - mean) * invstd.
      // Two interleaved accumulator pairs (even and odd positions) halve the add-latency chain.
      let sumDy = 0;
      let sumDyXc = 0;
      let sumDy1 = 0;
      let sumDyXc1 = 0;
      for (let b = 0; b < n; b++) {
        const off = (b * c + ch) * L;
        const end = off + L;
        let i = off;
        for (; i + 1 < end; i += 2) {
          const g0 = gd[i];
          const g1 = gd[i + 1];
          sumDy += g0;
          sumDyXc += g0 * (xd[i] - m);
          sumDy1 += g1;
          sumDyXc1 += g1 * (xd[i + 1] - m);
        }
        if (i < end) {
          const g0 = gd[i];
          sumDy += g0;
          sumDyXc += g0 * (xd[i] - m);
        }
      }
      sumDy += sumDy1;
      sumDyXc += sumDyXc1;
      const sumDyXhat = sumDyXc * s;
      if (dGamma) dGamma[ch] += sumDyXhat;
      if (dBeta) dBeta[ch] += sumDy;
      const k = (gamma ? gamma[ch] : 1) * s;
      if (batchStats) {
        // dx = k * (dy - mean(dy) - xhat * mean(dy * xhat)) = k * dy + cx * (x - mean) + c0.
        const c0 = -k * (sumDy / count);
        const cx = -k * s * (sumDyXhat / count);
        for (let b = 0; b < n; b++) {
          const off = (b * c + ch) * L;
          const end = off + L;
          for (let i = off; i < end; i++) dd[i] = k * gd[i] + cx * (xd[i] - m) + c0;
        }
      } else {
        for (let b = 0; b < n; b++) {
          const off = (b * c + ch) * L;
          const end = off + L;
          for (let i = off; i < end; i++) dd[i] = k * gd[i];
        }
      }
    }
    return dx;
  }
}
