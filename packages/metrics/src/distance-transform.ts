import { ArgumentError, ShapeError } from "@unetkit/tensor";

/**
 * Exact Euclidean distance transform (Felzenszwalb & Huttenlocher, "Distance Transforms of
 * Sampled Functions", 2012) of a 2-D grid of sites: for every pixel, the distance to the nearest
 * pixel where `sites` is non-zero, `Infinity` when there is no site. `sites` is `height * width`,
 * row-major; `spacing` is the pixel size `[dy, dx]` (default `[1, 1]`).
 *
 * Runs in O(height * width): the vertical distance to the nearest site in each column by a
 * top-down and a bottom-up sweep over whole rows (exact for binary sites and cache-friendly), then
 * the 1-D lower-envelope transform along each row. This is `scipy.ndimage.distance_transform_edt` applied to the complement of `sites`.
 *
 * @example
 * ```ts
 * const sites = Uint8Array.of(1, 0, 0,
 *                             0, 0, 0);
 * distanceTransform(sites, 2, 3); // Float64Array [0, 1, 2, 1, √2, √5]
 * ```
 */
export function distanceTransform(
  sites: ArrayLike<number>,
  height: number,
  width: number,
  spacing: readonly [number, number] = [1, 1],
): Float64Array {
  const op = "distanceTransform";
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0) {
    throw new ArgumentError(op, `height and width must be non-negative integers (got ${height}, ${width})`);
  }
  if (sites.length !== height * width) {
    throw new ShapeError(op, `sites has ${sites.length} entries but the grid [${height},${width}] needs ${height * width}`);
  }
  checkSpacing(op, spacing);
  const f = new Float64Array(height * width);
  const scratch = new EdtScratch(Math.max(height, width));
  squaredDistanceToSites(sites, height, width, spacing[0], spacing[1], f, scratch);
  for (let i = 0; i < f.length; i++) f[i] = Math.sqrt(f[i]);
  return f;
}

/** Throws unless `spacing` is two positive finite numbers. */
export function checkSpacing(op: string, spacing: readonly number[]): void {
  if (
    !Array.isArray(spacing) ||
    spacing.length !== 2 ||
    !spacing.every((s) => typeof s === "number" && Number.isFinite(s) && s > 0)
  ) {
    throw new ArgumentError(op, `spacing must be two positive finite numbers [dy, dx] (got ${JSON.stringify(spacing)})`);
  }
}

/** Scratch buffers of the 1-D passes, sized for lines of up to `n` pixels. */
export class EdtScratch {
  readonly v: Int32Array;
  readonly z: Float64Array;
  readonly line: Float64Array;
  constructor(n: number) {
    this.v = new Int32Array(n);
    this.z = new Float64Array(n + 1);
    this.line = new Float64Array(n);
  }
}

/**
 * Writes into `out` (`height * width`) the squared Euclidean distance from every pixel to the
 * nearest non-zero entry of `sites` (`Infinity` if there is none), with pixel size `dy x dx`.
 * Allocates nothing.
 */
export function squaredDistanceToSites(
  sites: ArrayLike<number>,
  height: number,
  width: number,
  dy: number,
  dx: number,
  out: Float64Array,
  scratch: EdtScratch,
): void {
  const w = width;
  const n = height * width;
  // Column phase: distance in rows to the nearest site in the same column, row by row downwards,
  // then upwards (Infinity + 1 stays Infinity for columns without a site).
  for (let x = 0; x < w && x < n; x++) out[x] = sites[x] !== 0 ? 0 : Infinity;
  for (let i = w; i < n; i++) out[i] = sites[i] !== 0 ? 0 : out[i - w] + 1;
  for (let i = n - w - 1; i >= 0; i--) {
    const below = out[i + w] + 1;
    if (below < out[i]) out[i] = below;
  }
  for (let i = 0; i < n; i++) {
    const d = out[i] * dy;
    out[i] = d * d;
  }
  // Row phase: lower envelope of parabolas along each row.
  for (let y = 0; y < height; y++) transform1d(out, y * w, 1, w, dx, scratch);
}

/**
 * The 1-D transform of the line `f[offset + q * stride]`, q < n: the lower envelope of the
 * parabolas `(x - x_q)^2 + f(q)` over the finite samples only (so no Infinity arithmetic), then
 * sampled at every pixel.
 */
function transform1d(
  f: Float64Array,
  offset: number,
  stride: number,
  n: number,
  step: number,
  scratch: EdtScratch,
): void {
  const { v, z, line } = scratch;
  let k = -1;
  for (let q = 0; q < n; q++) line[q] = f[offset + q * stride];
  for (let q = 0; q < n; q++) {
    const fq = line[q];
    if (fq === Infinity) continue;
    const xq = q * step;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let s: number;
    for (;;) {
      const r = v[k];
      const xr = r * step;
      s = (fq + xq * xq - (line[r] + xr * xr)) / (2 * (xq - xr));
      if (s <= z[k]) k--;
      else break;
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  if (k < 0) return;
  k = 0;
  for (let q = 0; q < n; q++) {
    const xq = q * step;
    while (z[k + 1] < xq) k++;
    const r = v[k];
    const d = xq - r * step;
    f[offset + q * stride] = d * d + line[r];
  }
}
