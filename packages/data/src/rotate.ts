import { checkNumber, checkKeys, checkObject } from "./options.js";
import { checkFill, resample, type FillOptions } from "./resample.js";
import { checkSample, type Sample, type Transform } from "./sample.js";

/**
 * Rotates image `[C,H,W]` and mask `[H,W]` by `degrees` counter-clockwise (as torchvision's
 * `rotate`) about the image centre `((W-1)/2, (H-1)/2)`, keeping the size. Output pixel `(x, y)`
 * reads the source at `c + R(-θ)(p - c)` in y-down coordinates: the image bilinearly, the mask
 * with nearest neighbour (never interpolated). Corners that come from outside the image follow
 * `fillMode` (default `"reflect"`; `"constant"` uses `fill` / `maskFill`).
 *
 * @example
 * ```ts
 * rotate({ image, mask }, 10, { fillMode: "constant", maskFill: 0 });
 * ```
 */
export function rotate(sample: Sample, degrees: number, options: FillOptions = {}): Sample {
  const op = "rotate";
  const [, h, w] = checkSample(op, sample);
  checkNumber(op, "degrees", degrees);
  const fill = checkFill(op, options);
  const theta = (degrees * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const mapX = new Float64Array(h * w);
  const mapY = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    const dy = y - cy;
    for (let x = 0; x < w; x++) {
      const dx = x - cx;
      mapX[y * w + x] = cx + cos * dx - sin * dy;
      mapY[y * w + x] = cy + sin * dx + cos * dy;
    }
  }
  return resample(sample, h, w, mapX, mapY, fill);
}

/** Options of {@link randomRotation}. */
export interface RandomRotationOptions extends FillOptions {
  /** The angle is uniform in `[-degrees, degrees]`. */
  degrees: number;
  /** Probability of rotating at all. Default `1`. */
  p?: number;
}

/**
 * A transform that rotates by a uniform angle in `[-degrees, degrees]` with probability `p`
 * (two uniform draws per call, whether or not it fires: the decision, then the angle).
 *
 * @example
 * ```ts
 * randomRotation({ degrees: 15 })({ image, mask }, rng);
 * ```
 */
export function randomRotation(options: RandomRotationOptions): Transform {
  const op = "randomRotation";
  checkObject(op, "options", options);
  checkKeys(op, options, ["degrees", "p", "fillMode", "fill", "maskFill"]);
  const degrees = checkNumber(op, "degrees", options.degrees, 0, 180);
  const p = checkNumber(op, "p", options.p ?? 1, 0, 1);
  checkFill(op, options);
  return (sample, rng) => {
    const fire = rng.uniform() < p;
    const angle = rng.uniform(-degrees, degrees);
    if (!fire) {
      checkSample(op, sample);
      return sample;
    }
    return rotate(sample, angle, options);
  };
}
