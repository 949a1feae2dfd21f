import { Rng, ShapeError, formatShape } from "@unetkit/tensor";
import { checkInt, checkKeys, checkNumber, checkObject } from "./options.js";
import { checkFill, resample, type FillOptions } from "./resample.js";
import { checkSample, type Sample, type Transform } from "./sample.js";

/** A dense displacement field: source = output position + displacement, per pixel. */
export interface DisplacementField {
  /** Height and width of the field (the image's). */
  height: number;
  width: number;
  /** Column displacement in pixels, `[H*W]` row-major. */
  dx: Float64Array;
  /** Row displacement in pixels, `[H*W]` row-major. */
  dy: Float64Array;
}

/** Catmull-Rom cubic convolution weights (a = -0.5) for fraction t of the 4 taps i-1..i+2. */
function cubicWeights(t: number, out: Float64Array): void {
  const t2 = t * t;
  const t3 = t2 * t;
  out[0] = -0.5 * t3 + t2 - 0.5 * t;
  out[1] = 1.5 * t3 - 2.5 * t2 + 1;
  out[2] = -1.5 * t3 + 2 * t2 + 0.5 * t;
  out[3] = 0.5 * t3 - 0.5 * t2;
}

/**
 * Upsamples a coarse `[gh, gw]` grid of values, whose points sit evenly from the first to the last
 * pixel (grid point `k` at `k (n-1)/(g-1)`), to `[height, width]` with separable bicubic
 * (Catmull-Rom) interpolation, clamping taps at the grid's edges. Exact at the grid points.
 *
 * @example
 * ```ts
 * bicubicUpsample(Float64Array.from([0, 1, 2, 3]), 2, 2, 5, 5); // smooth 5x5 ramp
 * ```
 */
export function bicubicUpsample(grid: Float64Array, gh: number, gw: number, height: number, width: number): Float64Array {
  const taps = (n: number, g: number) => {
    const idx = new Int32Array(n * 4);
    const wts = new Float64Array(n * 4);
    const tmp = new Float64Array(4);
    for (let i = 0; i < n; i++) {
      const u = g === 1 || n === 1 ? 0 : (i * (g - 1)) / (n - 1);
      const i0 = Math.min(Math.floor(u), g - 1);
      cubicWeights(u - i0, tmp);
      for (let k = 0; k < 4; k++) {
        idx[i * 4 + k] = Math.min(Math.max(i0 - 1 + k, 0), g - 1);
        wts[i * 4 + k] = tmp[k];
      }
    }
    return { idx, wts };
  };
  const tx = taps(width, gw);
  const ty = taps(height, gh);
  // Rows of the grid interpolated along x: [gh, width].
  const rows = new Float64Array(gh * width);
  for (let r = 0; r < gh; r++) {
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v += tx.wts[x * 4 + k] * grid[r * gw + tx.idx[x * 4 + k]];
      rows[r * width + x] = v;
    }
  }
  const out = new Float64Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v += ty.wts[y * 4 + k] * rows[ty.idx[y * 4 + k] * width + x];
      out[y * width + x] = v;
    }
  }
  return out;
}

/** Options of {@link elasticField} and {@link randomElastic}. */
export interface ElasticOptions {
  /** Standard deviation of the coarse displacements in pixels. Default `10` (the U-Net paper). */
  sigma?: number;
  /** The coarse grid is `grid x grid` points. Default `3` (the U-Net paper). */
  grid?: number;
}

/**
 * The U-Net paper's random elastic deformation field: displacement vectors on a coarse
 * `grid x grid` lattice drawn from `N(0, sigma²)` (row-major, `dx` then `dy` per point:
 * `2 grid²` normal draws), interpolated to every pixel with bicubic interpolation
 * ({@link bicubicUpsample}).
 *
 * @example
 * ```ts
 * const field = elasticField(64, 64, rng, { sigma: 10, grid: 3 });
 * elastic({ image, mask }, field);
 * ```
 */
export function elasticField(height: number, width: number, rng: Rng, options: ElasticOptions = {}): DisplacementField {
  const op = "elasticField";
  checkInt(op, "height", height, 1);
  checkInt(op, "width", width, 1);
  const sigma = checkNumber(op, "sigma", options.sigma ?? 10, 0);
  const g = checkInt(op, "grid", options.grid ?? 3, 2);
  const gx = new Float64Array(g * g);
  const gy = new Float64Array(g * g);
  for (let i = 0; i < g * g; i++) {
    gx[i] = rng.normal(0, sigma);
    gy[i] = rng.normal(0, sigma);
  }
  return {
    height,
    width,
    dx: bicubicUpsample(gx, g, g, height, width),
    dy: bicubicUpsample(gy, g, g, height, width),
  };
}

/**
 * Warps image `[C,H,W]` and mask `[H,W]` with a displacement field: output pixel `(x, y)` reads the
 * source at `(x + dx, y + dy)`; the image bilinearly, the mask with nearest neighbour. Borders
 * follow `fillMode` (default `"reflect"`).
 *
 * @example
 * ```ts
 * elastic({ image, mask }, elasticField(h, w, rng));
 * ```
 */
export function elastic(sample: Sample, field: DisplacementField, options: FillOptions = {}): Sample {
  const op = "elastic";
  const [, h, w] = checkSample(op, sample);
  if (field.height !== h || field.width !== w || field.dx.length !== h * w || field.dy.length !== h * w) {
    throw new ShapeError(op, `field ${field.height}x${field.width} does not match the image ${formatShape(sample.image.shape)}`);
  }
  const fill = checkFill(op, options);
  const mapX = new Float64Array(h * w);
  const mapY = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      mapX[p] = x + field.dx[p];
      mapY[p] = y + field.dy[p];
    }
  }
  return resample(sample, h, w, mapX, mapY, fill);
}

/** Options of {@link randomElastic}. */
export interface RandomElasticOptions extends ElasticOptions, FillOptions {
  /** Probability of deforming at all. Default `1`. */
  p?: number;
}

/**
 * A transform that applies a fresh {@link elasticField} with probability `p` (one uniform draw,
 * then the field's `2 grid²` normals, whether or not it fires).
 *
 * @example
 * ```ts
 * randomElastic({ sigma: 10, grid: 3 })({ image, mask }, rng);
 * ```
 */
export function randomElastic(options: RandomElasticOptions = {}): Transform {
  const op = "randomElastic";
  checkObject(op, "options", options);
  checkKeys(op, options, ["sigma", "grid", "p", "fillMode", "fill", "maskFill"]);
  const p = checkNumber(op, "p", options.p ?? 1, 0, 1);
  checkFill(op, options);
  checkNumber(op, "sigma", options.sigma ?? 10, 0);
  checkInt(op, "grid", options.grid ?? 3, 2);
  return (sample, rng) => {
    const [, h, w] = checkSample(op, sample);
    const fire = rng.uniform() < p;
    const field = elasticField(h, w, rng, options);
    return fire ? elastic(sample, field, options) : sample;
  };
}
