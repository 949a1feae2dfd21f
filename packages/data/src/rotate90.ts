import { Tensor } from "@unetkit/tensor";
import { labelTensor } from "./label-tensor.js";
import { checkInt } from "./options.js";
import { checkSample, type Sample, type Transform } from "./sample.js";

/**
 * Rotates image `[C,H,W]` and mask `[H,W]` by `k` quarter turns counter-clockwise (as
 * `numpy.rot90` / `torch.rot90(x, k, [-2, -1])`): for `k = 1`, `out[.., i, j] = in[.., j, W-1-i]`
 * and the result is `[C, W, H]`. `k` may be any integer (taken mod 4; negative turns clockwise).
 * Four quarter turns give the input back. Non-square images swap height and width for odd `k`.
 *
 * @example
 * ```ts
 * rot90({ image, mask }, 1).image.shape; // [C, W, H]
 * ```
 */
export function rot90(sample: Sample, k = 1): Sample {
  const op = "rot90";
  checkInt(op, "k", k);
  const [c, h, w] = checkSample(op, sample);
  const turns = ((k % 4) + 4) % 4;
  if (turns === 0) {
    return { image: sample.image.clone(), ...(sample.mask ? { mask: labelTensor([h, w], sample.mask.data.slice()) } : {}) };
  }
  const oh = turns === 2 ? h : w;
  const ow = turns === 2 ? w : h;
  // Source flat offset (within a plane) of output pixel (i, j).
  const srcIndex = (i: number, j: number): number =>
    turns === 1 ? j * w + (w - 1 - i) : turns === 2 ? (h - 1 - i) * w + (w - 1 - j) : (h - 1 - j) * w + i;
  const src = sample.image.data;
  const image = new Tensor(sample.image.dtype, [c, oh, ow]);
  const dst = image.data;
  const plane = h * w;
  const index = new Int32Array(plane);
  for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) index[i * ow + j] = srcIndex(i, j);
  for (let ch = 0; ch < c; ch++) {
    const base = ch * plane;
    for (let p = 0; p < plane; p++) dst[base + p] = src[base + index[p]];
  }
  if (sample.mask === undefined) return { image };
  const mask = labelTensor([oh, ow]);
  const m = sample.mask.data;
  for (let p = 0; p < plane; p++) mask.data[p] = m[index[p]];
  return { image, mask };
}

/**
 * A transform that rotates by a random number of quarter turns: `k` uniform in `{0, 1, 2, 3}` for
 * square images; for non-square images `k` is uniform in `{0, 2}` so that every sample of a batch
 * keeps its shape. One integer draw per call.
 *
 * @example
 * ```ts
 * randomRotate90()({ image, mask }, rng);
 * ```
 */
export function randomRotate90(): Transform {
  return (sample, rng) => {
    const [, h, w] = checkSample("randomRotate90", sample);
    const k = rng.int(0, 4);
    return rot90(sample, h === w ? k : 2 * (k & 1));
  };
}
