import { Rng, ShapeError, Tensor, formatShape } from "@unetkit/tensor";
import { checkLabelTensor, type LabelTensor } from "./label-tensor.js";

/**
 * One training sample for augmentation: an image `[C, H, W]` (float32 or float64) and, for
 * segmentation, its mask `[H, W]` of class indices. Classification samples have no mask.
 *
 * @example
 * ```ts
 * const sample: Sample = { image: zeros([1, 64, 64]), mask: labelTensor([64, 64]) };
 * ```
 */
export interface Sample {
  /** `[C, H, W]`. */
  image: Tensor;
  /** `[H, W]` class indices, or absent. */
  mask?: LabelTensor;
}

/**
 * A seeded augmentation: takes a sample and a generator, returns a new sample (inputs are never
 * modified). Geometric transforms move image and mask together; photometric ones touch the image
 * only. Each built-in transform draws a fixed number of values from `rng` whether or not it fires,
 * so its effect is a pure function of the generator state.
 *
 * @example
 * ```ts
 * const t: Transform = randomHorizontalFlip(0.5);
 * const out = t({ image, mask }, new Rng(0));
 * ```
 */
export type Transform = (sample: Sample, rng: Rng) => Sample;

/**
 * Checks a sample (image rank 3, mask rank 2 of the image's height and width); returns
 * `[C, H, W]`. Throws `ShapeError` naming `op` and the shapes.
 *
 * @example
 * ```ts
 * const [c, h, w] = checkSample("hflip", { image, mask });
 * ```
 */
export function checkSample(op: string, sample: Sample): [number, number, number] {
  const { image, mask } = sample;
  if (!(image instanceof Tensor) || image.rank !== 3) {
    throw new ShapeError(
      op,
      `image must be a [C,H,W] Tensor (got ${image instanceof Tensor ? formatShape(image.shape) : typeof image})`,
    );
  }
  const [c, h, w] = image.shape;
  if (mask !== undefined) {
    checkLabelTensor(op, mask, "mask");
    if (mask.shape.length !== 2 || mask.shape[0] !== h || mask.shape[1] !== w) {
      throw new ShapeError(
        op,
        `mask must be [H,W] matching the image (image ${formatShape(image.shape)}, mask ${formatShape(mask.shape)})`,
      );
    }
  }
  return [c, h, w];
}
