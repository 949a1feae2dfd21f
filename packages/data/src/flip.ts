import { Tensor } from "@unetkit/tensor";
import { labelTensor } from "./label-tensor.js";
import { checkNumber } from "./options.js";
import { checkSample, type Sample, type Transform } from "./sample.js";

function flip(op: string, sample: Sample, horizontal: boolean): Sample {
  const [c, h, w] = checkSample(op, sample);
  const src = sample.image.data;
  const image = new Tensor(sample.image.dtype, [c, h, w]);
  const dst = image.data;
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      const sy = horizontal ? y : h - 1 - y;
      const o = (ch * h + y) * w;
      const s = (ch * h + sy) * w;
      if (horizontal) for (let x = 0; x < w; x++) dst[o + x] = src[s + w - 1 - x];
      else dst.set(src.subarray(s, s + w), o);
    }
  }
  if (sample.mask === undefined) return { image };
  const m = sample.mask.data;
  const mask = labelTensor([h, w]);
  for (let y = 0; y < h; y++) {
    const sy = horizontal ? y : h - 1 - y;
    if (horizontal) for (let x = 0; x < w; x++) mask.data[y * w + x] = m[sy * w + w - 1 - x];
    else mask.data.set(m.subarray(sy * w, sy * w + w), y * w);
  }
  return { image, mask };
}

/**
 * Mirrors image `[C,H,W]` and mask `[H,W]` left-right (`out[.., y, x] = in[.., y, W-1-x]`, as
 * `torch.flip(x, [-1])`). An involution: flipping twice gives the input back.
 *
 * @example
 * ```ts
 * const { image, mask } = hflip({ image, mask });
 * ```
 */
export function hflip(sample: Sample): Sample {
  return flip("hflip", sample, true);
}

/**
 * Mirrors image `[C,H,W]` and mask `[H,W]` top-bottom (`out[.., y, x] = in[.., H-1-y, x]`). An
 * involution.
 *
 * @example
 * ```ts
 * const { image, mask } = vflip({ image, mask });
 * ```
 */
export function vflip(sample: Sample): Sample {
  return flip("vflip", sample, false);
}

/**
 * A transform that applies {@link hflip} with probability `p` (one uniform draw per call).
 *
 * @example
 * ```ts
 * const t = randomHorizontalFlip(0.5);
 * t({ image, mask }, rng);
 * ```
 */
export function randomHorizontalFlip(p = 0.5): Transform {
  checkNumber("randomHorizontalFlip", "p", p, 0, 1);
  return (sample, rng) => (rng.uniform() < p ? hflip(sample) : (checkSample("randomHorizontalFlip", sample), sample));
}

/**
 * A transform that applies {@link vflip} with probability `p` (one uniform draw per call).
 *
 * @example
 * ```ts
 * const t = randomVerticalFlip(0.5);
 * ```
 */
export function randomVerticalFlip(p = 0.5): Transform {
  checkNumber("randomVerticalFlip", "p", p, 0, 1);
  return (sample, rng) => (rng.uniform() < p ? vflip(sample) : (checkSample("randomVerticalFlip", sample), sample));
}
