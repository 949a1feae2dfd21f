import { ArgumentError, ShapeError, Tensor, formatShape } from "@unetkit/tensor";
import { checkLabelTensor, type LabelTensor } from "./label-tensor.js";

/**
 * Raw interleaved pixels ready to encode as PNG: `height` rows of `width` pixels of `channels`
 * samples (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA), 8-bit (`Uint8Array`) or 16-bit (`Uint16Array`).
 */
export interface PngData {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array | Uint16Array;
}

/**
 * A 20-colour palette for class masks (class 0 black, then tab10-like colours, then their light
 * variants). `DEFAULT_MASK_PALETTE[k]` is `[r, g, b]` of class `k`.
 */
export const DEFAULT_MASK_PALETTE: readonly (readonly [number, number, number])[] = Object.freeze([
  [0, 0, 0],
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
  [174, 199, 232],
  [255, 187, 120],
  [152, 223, 138],
  [255, 152, 150],
  [197, 176, 213],
  [196, 156, 148],
  [247, 182, 210],
  [199, 199, 199],
  [219, 219, 141],
] as const);

/**
 * Converts one float image `[C, H, W]` (C = 1 or 3) or `[H, W]` to 8-bit pixels, mapping
 * `[min, max]` (default `[0, 1]`) linearly to `0..255`, clamping and rounding. NaN becomes 0.
 *
 * @example
 * ```ts
 * savePng("x.png", imageToPngData(batch.images.reshape([1, 64, 64]))); // grey PNG
 * ```
 */
export function imageToPngData(image: Tensor, options: { min?: number; max?: number } = {}): PngData {
  const op = "imageToPngData";
  if (!(image instanceof Tensor) || (image.rank !== 3 && image.rank !== 2)) {
    throw new ShapeError(op, `expected an image [C,H,W] or [H,W] (got ${image instanceof Tensor ? formatShape(image.shape) : typeof image})`);
  }
  const c = image.rank === 3 ? image.shape[0] : 1;
  if (c !== 1 && c !== 3) throw new ShapeError(op, `expected 1 or 3 channels (got ${formatShape(image.shape)})`);
  const h = image.shape[image.rank - 2];
  const w = image.shape[image.rank - 1];
  const min = options.min ?? 0;
  const max = options.max ?? 1;
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) {
    throw new ArgumentError(op, `need finite min < max (got ${min}, ${max})`);
  }
  const scale = 255 / (max - min);
  const out = new Uint8Array(h * w * c);
  const x = image.data;
  const plane = h * w;
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < plane; p++) {
      const v = (x[ch * plane + p] - min) * scale;
      out[p * c + ch] = v > 255 ? 255 : v > 0 ? Math.round(v) : 0;
    }
  }
  return { width: w, height: h, channels: c as 1 | 3, data: out };
}

/**
 * Colours a class mask `[H, W]` with a palette (default {@link DEFAULT_MASK_PALETTE}) as RGB
 * pixels. Throws `ArgumentError` for a label with no palette entry (naming label and pixel).
 *
 * @example
 * ```ts
 * savePng("mask.png", colorizeMask(masks0)); // class 1 blue, class 2 orange, ...
 * ```
 */
export function colorizeMask(
  mask: LabelTensor,
  palette: readonly (readonly number[])[] = DEFAULT_MASK_PALETTE,
): PngData {
  const op = "colorizeMask";
  checkLabelTensor(op, mask, "mask");
  if (mask.shape.length !== 2) throw new ShapeError(op, `expected a mask [H,W] (got ${formatShape(mask.shape)})`);
  const [h, w] = mask.shape;
  const out = new Uint8Array(h * w * 3);
  for (let p = 0; p < h * w; p++) {
    const k = mask.data[p];
    const colour = palette[k];
    if (colour === undefined) {
      throw new ArgumentError(op, `label ${k} at pixel (x ${p % w}, y ${Math.floor(p / w)}) has no palette colour (${palette.length} colours)`);
    }
    out[p * 3] = colour[0];
    out[p * 3 + 1] = colour[1];
    out[p * 3 + 2] = colour[2];
  }
  return { width: w, height: h, channels: 3, data: out };
}
