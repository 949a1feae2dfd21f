import { ShapeError, Tensor, formatShape } from "@unetkit/tensor";
import { labelTensor } from "./label-tensor.js";
import { checkInt } from "./options.js";
import { checkSample, type Sample, type Transform } from "./sample.js";

/**
 * Cuts the window of `height x width` with its top-left corner at `(top, left)` out of image
 * `[C,H,W]` and mask `[H,W]`. The window must lie inside the image (`ShapeError` otherwise).
 *
 * @example
 * ```ts
 * crop({ image, mask }, 8, 8, 48, 48).image.shape; // [C, 48, 48]
 * ```
 */
export function crop(sample: Sample, top: number, left: number, height: number, width: number): Sample {
  const op = "crop";
  const [c, h, w] = checkSample(op, sample);
  checkInt(op, "top", top, 0);
  checkInt(op, "left", left, 0);
  checkInt(op, "height", height, 1);
  checkInt(op, "width", width, 1);
  if (top + height > h || left + width > w) {
    throw new ShapeError(
      op,
      `window ${height}x${width} at (${top}, ${left}) does not fit the image ${formatShape(sample.image.shape)}`,
    );
  }
  const src = sample.image.data;
  const image = new Tensor(sample.image.dtype, [c, height, width]);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < height; y++) {
      const s = (ch * h + top + y) * w + left;
      image.data.set(src.subarray(s, s + width), (ch * height + y) * width);
    }
  }
  if (sample.mask === undefined) return { image };
  const mask = labelTensor([height, width]);
  for (let y = 0; y < height; y++) {
    const s = (top + y) * w + left;
    mask.data.set(sample.mask.data.subarray(s, s + width), y * width);
  }
  return { image, mask };
}

/**
 * A transform that crops a `height x width` window at a uniformly random position (two integer
 * draws per call: top, then left). Throws `ShapeError` if the image is smaller than the window.
 *
 * @example
 * ```ts
 * randomCrop(48, 48)({ image, mask }, rng).image.shape; // [C, 48, 48]
 * ```
 */
export function randomCrop(height: number, width = height): Transform {
  checkInt("randomCrop", "height", height, 1);
  checkInt("randomCrop", "width", width, 1);
  return (sample, rng) => {
    const [, h, w] = checkSample("randomCrop", sample);
    if (h < height || w < width) {
      throw new ShapeError(
        "randomCrop",
        `crop ${height}x${width} is larger than the image ${formatShape(sample.image.shape)}`,
      );
    }
    const top = rng.int(0, h - height + 1);
    const left = rng.int(0, w - width + 1);
    return crop(sample, top, left, height, width);
  };
}
