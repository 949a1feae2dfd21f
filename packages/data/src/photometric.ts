import { Tensor } from "@unetkit/tensor";
import { checkNumber } from "./options.js";
import { checkSample, type Transform } from "./sample.js";

/**
 * A transform that adds one offset, uniform in `[-delta, delta]`, to every image pixel (one
 * uniform draw per call). The mask is untouched. No clamping.
 *
 * @example
 * ```ts
 * randomBrightness(0.1)({ image, mask }, rng);
 * ```
 */
export function randomBrightness(delta: number): Transform {
  checkNumber("randomBrightness", "delta", delta, 0);
  return (sample, rng) => {
    checkSample("randomBrightness", sample);
    const b = rng.uniform(-delta, delta);
    const image = sample.image.clone();
    const d = image.data;
    for (let i = 0; i < d.length; i++) d[i] += b;
    return { ...sample, image };
  };
}

/**
 * A transform that scales each channel's deviation from its mean by one factor uniform in
 * `[1 - amount, 1 + amount]`: `x' = mean_c + f (x - mean_c)` (one uniform draw per call). The mask
 * is untouched. No clamping.
 *
 * @example
 * ```ts
 * randomContrast(0.2)({ image, mask }, rng);
 * ```
 */
export function randomContrast(amount: number): Transform {
  checkNumber("randomContrast", "amount", amount, 0, 1);
  return (sample, rng) => {
    const [c, h, w] = checkSample("randomContrast", sample);
    const f = rng.uniform(1 - amount, 1 + amount);
    const image = new Tensor(sample.image.dtype, [c, h, w]);
    const src = sample.image.data;
    const dst = image.data;
    const plane = h * w;
    for (let ch = 0; ch < c; ch++) {
      let sum = 0;
      for (let i = ch * plane; i < (ch + 1) * plane; i++) sum += src[i];
      const mean = plane > 0 ? sum / plane : 0;
      for (let i = ch * plane; i < (ch + 1) * plane; i++) dst[i] = mean + f * (src[i] - mean);
    }
    return { ...sample, image };
  };
}

/**
 * A transform that adds independent Gaussian noise `N(0, std²)` to every image pixel (one normal
 * draw per pixel, row-major). The mask is untouched. No clamping.
 *
 * @example
 * ```ts
 * randomGaussianNoise(0.05)({ image, mask }, rng);
 * ```
 */
export function randomGaussianNoise(std: number): Transform {
  checkNumber("randomGaussianNoise", "std", std, 0);
  return (sample, rng) => {
    checkSample("randomGaussianNoise", sample);
    const image = sample.image.clone();
    const d = image.data;
    for (let i = 0; i < d.length; i++) d[i] += rng.normal(0, std);
    return { ...sample, image };
  };
}
