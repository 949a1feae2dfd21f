import { ArgumentError, Tensor, checkRank, formatShape } from "@unetkit/tensor";
import type { UNet } from "./unet.js";

/** Class probabilities and the arg-max mask for a batch. */
export interface Prediction {
  /** `[N, K, H, W]`: softmax over classes (K > 1) or the sigmoid of the one logit (K = 1). */
  probabilities: Tensor;
  /** `[N, H, W]` class indices: arg-max over classes, or probability >= 0.5 for a binary head. */
  mask: Int32Array;
  /** `[N, H, W]`, the mask's shape. */
  maskShape: [number, number, number];
}

/**
 * Softmax over the class axis of NCHW logits, or the sigmoid when there is one channel.
 *
 * @example
 * ```ts
 * softmaxChannels(logits).shape; // same as logits
 * ```
 */
export function softmaxChannels(logits: Tensor): Tensor {
  checkRank("softmaxChannels", "logits", logits, 4);
  const [n, k, h, w] = logits.shape;
  const hw = h * w;
  const out = new Tensor(logits.dtype, logits.shape);
  const x = logits.data;
  const y = out.data;
  if (k === 1) {
    for (let i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
    return out;
  }
  for (let b = 0; b < n; b++) {
    const base = b * k * hw;
    for (let p = 0; p < hw; p++) {
      let m = -Infinity;
      for (let c = 0; c < k; c++) m = Math.max(m, x[base + c * hw + p]);
      let s = 0;
      for (let c = 0; c < k; c++) {
        const e = Math.exp(x[base + c * hw + p] - m);
        y[base + c * hw + p] = e;
        s += e;
      }
      for (let c = 0; c < k; c++) y[base + c * hw + p] /= s;
    }
  }
  return out;
}

/**
 * The class-index mask of NCHW scores, `[N, C, H, W] -> N*H*W` class indices (row-major): the
 * arg-max over the C channels (ties go to the lower class, as `torch.argmax`), or for a single
 * channel of probabilities (a sigmoid head) 1 where it is at least `binaryThreshold` (default
 * 0.5), else 0. A NaN score throws an ArgumentError naming its position: a broken model's output
 * is refused rather than read as class 0. (`@unetkit/metrics`' `argmaxChannels` is the arg-max
 * alone, returning a `LabelMask`.)
 *
 * @example
 * ```ts
 * const { probabilities } = predict(model, images);   // [N, 3, H, W]
 * const mask = maskFromScores(probabilities);         // Int32Array of N*H*W classes
 * ```
 */
export function maskFromScores(scores: Tensor, binaryThreshold = 0.5): Int32Array {
  const op = "maskFromScores";
  checkRank(op, "scores", scores, 4);
  if (!Number.isFinite(binaryThreshold)) throw new ArgumentError(op, `binaryThreshold must be a finite number (got ${binaryThreshold})`);
  const [n, k, h, w] = scores.shape;
  const hw = h * w;
  const out = new Int32Array(n * hw);
  const x = scores.data;
  const nan = (at: number) =>
    new ArgumentError(op, `score at [${Math.floor(at / (k * hw))}, ${Math.floor(at / hw) % k}, ${Math.floor((at % hw) / w)}, ${at % w}] is NaN (scores ${formatShape(scores.shape)})`);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < hw; p++) {
      if (k === 1) {
        const v = x[b * hw + p];
        if (Number.isNaN(v)) throw nan(b * hw + p);
        out[b * hw + p] = v >= binaryThreshold ? 1 : 0;
        continue;
      }
      let best = 0;
      let bv = x[b * k * hw + p];
      if (Number.isNaN(bv)) throw nan(b * k * hw + p);
      for (let c = 1; c < k; c++) {
        const v = x[(b * k + c) * hw + p];
        if (v > bv) {
          bv = v;
          best = c;
        } else if (Number.isNaN(v)) {
          throw nan((b * k + c) * hw + p);
        }
      }
      out[b * hw + p] = best;
    }
  }
  return out;
}

/**
 * Runs the model in eval mode on a batch (restoring its previous mode afterwards) and returns class
 * probabilities and the arg-max mask.
 *
 * @example
 * ```ts
 * const { probabilities, mask } = predict(model, images); // [N,3,64,64], Int32Array N*64*64
 * ```
 */
export function predict(model: UNet, images: Tensor): Prediction {
  if (!(images instanceof Tensor)) throw new ArgumentError("predict", "images must be a Tensor");
  const wasTraining = model.training;
  model.eval();
  try {
    const probabilities = softmaxChannels(model.forward(images));
    const [n, , h, w] = probabilities.shape;
    return { probabilities, mask: maskFromScores(probabilities), maskShape: [n, h, w] };
  } finally {
    model.train(wasTraining);
  }
}
