import { ArgumentError, ShapeError, Tensor, formatShape } from "@unetkit/tensor";
import { formatPosition, type LabelMask } from "./label-mask.js";

/**
 * The predicted class of every pixel: the argmax over the channel axis (axis 1) of logits or
 * probabilities shaped `[N, C, ...spatial]` (`[N, C, H, W]` for segmentation, `[N, C]` for
 * classification). The result has shape `[N, ...spatial]`.
 *
 * Ties go to the lowest channel index, as `torch.argmax` does. A NaN anywhere throws
 * `ArgumentError` naming its position (PyTorch would silently pick it as the maximum).
 *
 * @example
 * ```ts
 * const logits = fromArray([[[[0.1, 2]], [[0.5, -1]]]]); // [1, 2, 1, 2]
 * argmaxChannels(logits); // { shape: [1, 1, 2], data: Int32Array [1, 0] }
 * ```
 */
export function argmaxChannels(logits: Tensor): LabelMask {
  const op = "argmaxChannels";
  const { n, c, s } = channelGeometry(op, logits);
  const out = new Int32Array(n * s);
  argmaxInto(op, logits, n, c, s, out, new Float64Array(s));
  return { shape: [logits.shape[0], ...logits.shape.slice(2)], data: out };
}

/** Batch size, channels and spatial size of an `[N, C, ...spatial]` tensor, checked. */
export function channelGeometry(op: string, logits: Tensor): { n: number; c: number; s: number } {
  if (!(logits instanceof Tensor)) {
    throw new ArgumentError(op, "logits must be a Tensor shaped [N, C, ...spatial]");
  }
  if (logits.rank < 2) {
    throw new ShapeError(
      op,
      `logits must have rank >= 2 ([N, C, ...spatial]); got ${formatShape(logits.shape)}`,
    );
  }
  const n = logits.shape[0];
  const c = logits.shape[1];
  if (c < 1) {
    throw new ShapeError(op, `logits ${formatShape(logits.shape)} have no channels`);
  }
  let s = 1;
  for (let i = 2; i < logits.rank; i++) s *= logits.shape[i];
  return { n, c, s };
}

/**
 * Writes the channel argmax of `logits` (`[n, c, s]` flattened) into `out` (`n * s` entries),
 * using `best` (at least `s` entries) as scratch. No allocation.
 */
export function argmaxInto(
  op: string,
  logits: Tensor,
  n: number,
  c: number,
  s: number,
  out: Int32Array,
  best: Float64Array,
): void {
  const x = logits.data;
  for (let b = 0; b < n; b++) {
    const base = b * c * s;
    const o = b * s;
    for (let i = 0; i < s; i++) {
      const v = x[base + i];
      if (v !== v) nanError(op, logits, base + i);
      best[i] = v;
      out[o + i] = 0;
    }
    for (let k = 1; k < c; k++) {
      const row = base + k * s;
      for (let i = 0; i < s; i++) {
        const v = x[row + i];
        if (v > best[i]) {
          best[i] = v;
          out[o + i] = k;
        } else if (v !== v) {
          nanError(op, logits, row + i);
        }
      }
    }
  }
}

function nanError(op: string, logits: Tensor, offset: number): never {
  throw new ArgumentError(
    op,
    `logits ${formatShape(logits.shape)} hold NaN at ${formatPosition(offset, logits.shape)}`,
  );
}
