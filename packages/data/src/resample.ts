import { ArgumentError, Tensor } from "@unetkit/tensor";
import { labelTensor } from "./label-tensor.js";
import { checkNumber } from "./options.js";
import type { Sample } from "./sample.js";

/**
 * How geometric transforms treat source coordinates outside the image:
 * - `"reflect"`: mirror about the edge pixels' centres (`..., 2, 1, 0, 1, 2, ...`; scipy's
 *   `mirror`, the U-Net paper's border handling). The default.
 * - `"edge"`: clamp to the nearest edge pixel.
 * - `"constant"`: the image reads `fill` and the mask reads `maskFill` outside.
 */
export type FillMode = "reflect" | "edge" | "constant";

/** Border handling of the resampling transforms (rotation, elastic deformation). */
export interface FillOptions {
  /** Default `"reflect"`. */
  fillMode?: FillMode;
  /** Image value outside the image in `"constant"` mode. Default `0`. */
  fill?: number;
  /** Mask label outside the image in `"constant"` mode (e.g. background `0` or an ignore index). Default `0`. */
  maskFill?: number;
}

/** Validated fill options. Internal. */
export function checkFill(op: string, options: FillOptions): Required<FillOptions> {
  const fillMode = options.fillMode ?? "reflect";
  if (fillMode !== "reflect" && fillMode !== "edge" && fillMode !== "constant") {
    throw new ArgumentError(op, `fillMode must be "reflect", "edge" or "constant" (got ${String(fillMode)})`);
  }
  const fill = checkNumber(op, "fill", options.fill ?? 0);
  const maskFill = options.maskFill ?? 0;
  if (!Number.isInteger(maskFill)) throw new ArgumentError(op, `maskFill must be an integer (got ${maskFill})`);
  return { fillMode, fill, maskFill };
}

/** Mirrors a coordinate into `[0, n-1]` (period `2(n-1)`). */
function reflect(x: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let r = x % period;
  if (r < 0) r += period;
  return r > n - 1 ? period - r : r;
}

/**
 * Resamples a sample at arbitrary source coordinates: output pixel `(y, x)` reads the source at
 * `(mapY[y*outW+x], mapX[y*outW+x])` (row, column, in pixels). The image is interpolated
 * bilinearly; the mask takes the NEAREST source label (rounding half up), never an interpolated
 * value, so its labels stay within the input's labels (plus `maskFill` in `"constant"` mode).
 * Nearest always picks the bilinear neighbour of largest weight, so image and mask stay aligned.
 *
 * @example
 * ```ts
 * // identity maps give the sample back
 * resample(sample, h, w, mapX, mapY, { fillMode: "reflect" });
 * ```
 */
export function resample(
  sample: Sample,
  outH: number,
  outW: number,
  mapX: Float64Array,
  mapY: Float64Array,
  fill: Required<FillOptions>,
): Sample {
  const [c, h, w] = sample.image.shape;
  const src = sample.image.data;
  const image = new Tensor(sample.image.dtype, [c, outH, outW]);
  const dst = image.data;
  const outPlane = outH * outW;
  const plane = h * w;
  const mode = fill.fillMode;
  const m = sample.mask?.data;
  const mask = m ? labelTensor([outH, outW]) : undefined;
  for (let p = 0; p < outPlane; p++) {
    let sx = mapX[p];
    let sy = mapY[p];
    if (mode === "reflect") {
      sx = reflect(sx, w);
      sy = reflect(sy, h);
    } else if (mode === "edge") {
      sx = sx < 0 ? 0 : sx > w - 1 ? w - 1 : sx;
      sy = sy < 0 ? 0 : sy > h - 1 ? h - 1 : sy;
    }
    const x0 = Math.floor(sx);
    const y0 = Math.floor(sy);
    const fx = sx - x0;
    const fy = sy - y0;
    const x1 = x0 + 1;
    const y1 = y0 + 1;
    const in00 = x0 >= 0 && x0 < w && y0 >= 0 && y0 < h;
    const in01 = x1 >= 0 && x1 < w && y0 >= 0 && y0 < h;
    const in10 = x0 >= 0 && x0 < w && y1 >= 0 && y1 < h;
    const in11 = x1 >= 0 && x1 < w && y1 >= 0 && y1 < h;
    const w00 = (1 - fx) * (1 - fy);
    const w01 = fx * (1 - fy);
    const w10 = (1 - fx) * fy;
    const w11 = fx * fy;
    for (let ch = 0; ch < c; ch++) {
      const base = ch * plane;
      // A neighbour with zero weight may lie outside (sx exactly on the last column); skip it.
      let v = 0;
      if (w00 !== 0) v += w00 * (in00 ? src[base + y0 * w + x0] : fill.fill);
      if (w01 !== 0) v += w01 * (in01 ? src[base + y0 * w + x1] : fill.fill);
      if (w10 !== 0) v += w10 * (in10 ? src[base + y1 * w + x0] : fill.fill);
      if (w11 !== 0) v += w11 * (in11 ? src[base + y1 * w + x1] : fill.fill);
      dst[ch * outPlane + p] = v;
    }
    if (m && mask) {
      const nx = fx >= 0.5 ? x1 : x0;
      const ny = fy >= 0.5 ? y1 : y0;
      mask.data[p] = nx >= 0 && nx < w && ny >= 0 && ny < h ? m[ny * w + nx] : fill.maskFill;
    }
  }
  return mask ? { image, mask } : { image };
}
