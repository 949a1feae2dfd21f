import { ArgumentError, Rng, Tensor } from "@unetkit/tensor";
import { crop, randomCrop } from "./crop.js";
import { randomElastic, type RandomElasticOptions } from "./elastic.js";
import { randomHorizontalFlip, randomVerticalFlip } from "./flip.js";
import type { LabelTensor } from "./label-tensor.js";
import { checkKeys, checkNumber, checkObject } from "./options.js";
import { randomBrightness, randomContrast, randomGaussianNoise } from "./photometric.js";
import { randomRotate90 } from "./rotate90.js";
import { randomRotation, type RandomRotationOptions } from "./rotate.js";
import { checkSample, type Transform } from "./sample.js";

/**
 * Chains transforms left to right, passing the same generator along, so the whole pipeline's
 * randomness is one stream in a fixed order.
 *
 * @example
 * ```ts
 * const t = compose([randomHorizontalFlip(), randomRotate90(), randomGaussianNoise(0.05)]);
 * const out = t({ image, mask }, new Rng(1));
 * ```
 */
export function compose(transforms: readonly Transform[]): Transform {
  if (!Array.isArray(transforms) || !transforms.every((t) => typeof t === "function")) {
    throw new ArgumentError("compose", "expected an array of transforms (functions (sample, rng) => sample)");
  }
  const list = transforms.slice();
  return (sample, rng) => {
    let s = sample;
    for (const t of list) s = t(s, rng);
    return s;
  };
}

/** Options of {@link augmentation}; every field is off when absent. */
export interface AugmentConfig {
  /** Probability of a left-right flip. */
  hflip?: number;
  /** Probability of a top-bottom flip. */
  vflip?: number;
  /** Random quarter turns (`{0,1,2,3}`; `{0,2}` for non-square images). */
  rotate90?: boolean;
  /** Small random rotation (bilinear image, nearest mask). */
  rotation?: RandomRotationOptions;
  /** The U-Net paper's elastic deformation (`{}` for sigma 10 on a 3x3 grid). */
  elastic?: RandomElasticOptions;
  /** Random crop to `[height, width]`. */
  crop?: [number, number];
  /** Center crop to `[height, width]` (no randomness; e.g. for validation). */
  centerCrop?: [number, number];
  /** Brightness offset, uniform in `[-b, b]` (image only). */
  brightness?: number;
  /** Contrast factor, uniform in `[1-c, 1+c]` (image only). */
  contrast?: number;
  /** Gaussian noise standard deviation (image only). */
  noise?: number;
}

const CONFIG_KEYS = [
  "hflip",
  "vflip",
  "rotate90",
  "rotation",
  "elastic",
  "crop",
  "centerCrop",
  "brightness",
  "contrast",
  "noise",
] as const;

/**
 * Builds the standard segmentation augmentation pipeline from a config, in this fixed order:
 * hflip, vflip, rotate90, rotation, elastic, crop / centerCrop, brightness, contrast, noise.
 * Geometric steps move image and mask together (mask nearest, never interpolated); the last three
 * touch the image only. Each step draws a fixed number of values (see each transform), so the
 * result is a pure function of the config and the generator state.
 *
 * @example
 * ```ts
 * const aug = augmentation({ hflip: 0.5, vflip: 0.5, rotate90: true, elastic: {}, noise: 0.02 });
 * const { image, mask } = aug({ image, mask }, rng);
 * ```
 */
export function augmentation(config: AugmentConfig): Transform {
  const op = "augmentation";
  checkObject(op, "config", config);
  checkKeys(op, config, CONFIG_KEYS);
  const steps: Transform[] = [];
  if (config.hflip !== undefined) steps.push(randomHorizontalFlip(checkNumber(op, "hflip", config.hflip, 0, 1)));
  if (config.vflip !== undefined) steps.push(randomVerticalFlip(checkNumber(op, "vflip", config.vflip, 0, 1)));
  if (config.rotate90 !== undefined && typeof config.rotate90 !== "boolean") {
    throw new ArgumentError(op, `rotate90 must be a boolean (got ${String(config.rotate90)})`);
  }
  if (config.rotate90) steps.push(randomRotate90());
  if (config.rotation !== undefined) steps.push(randomRotation(config.rotation));
  if (config.elastic !== undefined) steps.push(randomElastic(config.elastic));
  if (config.crop !== undefined && config.centerCrop !== undefined) {
    throw new ArgumentError(op, "give crop or centerCrop, not both");
  }
  if (config.crop !== undefined) {
    if (!Array.isArray(config.crop) || config.crop.length !== 2) {
      throw new ArgumentError(op, `crop must be [height, width] (got ${JSON.stringify(config.crop)})`);
    }
    steps.push(randomCrop(config.crop[0], config.crop[1]));
  }
  if (config.centerCrop !== undefined) {
    const cc = config.centerCrop;
    if (!Array.isArray(cc) || cc.length !== 2) {
      throw new ArgumentError(op, `centerCrop must be [height, width] (got ${JSON.stringify(cc)})`);
    }
    steps.push((sample) => {
      const [, h, w] = checkSample("centerCrop", sample);
      return crop(sample, Math.floor((h - cc[0]) / 2), Math.floor((w - cc[1]) / 2), cc[0], cc[1]);
    });
  }
  if (config.brightness !== undefined) steps.push(randomBrightness(config.brightness));
  if (config.contrast !== undefined) steps.push(randomContrast(config.contrast));
  if (config.noise !== undefined) steps.push(randomGaussianNoise(config.noise));
  return compose(steps);
}

/**
 * Augments one image `[C,H,W]` and its mask `[H,W]` with the pipeline of `config` (see
 * {@link augmentation}), drawing from `rng`. Returns new tensors; the inputs are not modified.
 *
 * @example
 * ```ts
 * const out = augment(image, mask, new Rng(7), { hflip: 0.5, rotation: { degrees: 10 } });
 * out.image.shape; // [C, H, W]
 * ```
 */
export function augment(
  image: Tensor,
  mask: LabelTensor,
  rng: Rng,
  config: AugmentConfig,
): { image: Tensor; mask: LabelTensor } {
  const out = augmentation(config)({ image, mask }, rng);
  return { image: out.image, mask: out.mask as LabelTensor };
}
