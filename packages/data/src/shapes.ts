import { ArgumentError, Tensor, Rng } from "@unetkit/tensor";
import { labelTensor, type LabelTensor } from "./label-tensor.js";
import { checkInt, checkKeys, checkNumber, checkObject, checkPair, mixSeed } from "./options.js";

/** Options for the circles drawn by {@link shapes}. */
export interface CircleOptions {
  /** Number of circles per image, inclusive range. Default `[0, 2]`. */
  count?: [number, number];
  /** Radius in pixels, inclusive range. Default `[6, 11]`. */
  radius?: [number, number];
  /** Pixel value inside a circle, `[lo, hi)`. Default `[0.7, 1.0]`. */
  intensity?: [number, number];
  /** The centre's x and y are drawn in `[margin, size - margin)`. Default `12`. */
  margin?: number;
  /**
   * Probability that an image may contain circles at all (class imbalance: `0.1` makes circles
   * rare). Default `1` (no extra draw).
   */
  probability?: number;
}

/** Options for the squares drawn by {@link shapes}. */
export interface SquareOptions {
  /** Number of squares per image, inclusive range. Default `[0, 2]`. */
  count?: [number, number];
  /** Side length in pixels, inclusive range. Default `[8, 14]`. */
  side?: [number, number];
  /** Pixel value inside a square, `[lo, hi)`. Default `[0.5, 0.8]`. */
  intensity?: [number, number];
  /** The top-left corner's x and y are drawn in `[cornerMin, size - cornerMaxMargin)`. Default `5`. */
  cornerMin?: number;
  /** See `cornerMin`. Default `20`. */
  cornerMaxMargin?: number;
  /** Probability that an image may contain squares at all. Default `1` (no extra draw). */
  probability?: number;
}

/** Options of {@link shapes}. */
export interface ShapesOptions {
  /** Number of images. */
  n: number;
  /** Image height and width in pixels. Default `64`. */
  size?: number;
  /** Seed of the generator; the same seed gives the same images on every machine. */
  seed: number;
  /** Circle knobs (class 1). */
  circles?: CircleOptions;
  /** Square knobs (class 2; drawn after the circles, so they overwrite them). */
  squares?: SquareOptions;
  /** Standard deviation of the Gaussian background noise. Default `0.1`. */
  noise?: number;
  /** Standard deviation of extra Gaussian noise added on object pixels. Default `0` (flat objects, as the seed notebook). */
  objectNoise?: number;
  /** Foreground-only labels: `0` background, `1` any object. Default `false`. */
  binary?: boolean;
}

/** What {@link shapes} returns. */
export interface ShapesDataset {
  /** `[n, 1, size, size]` float32 images. */
  images: Tensor;
  /** `[n, size, size]` class indices. */
  masks: LabelTensor;
  /** 3 (background, circle, square), or 2 when `binary`. */
  numClasses: number;
  /** `["background", "circle", "square"]` or `["background", "foreground"]`. */
  classNames: string[];
}

const TOP_KEYS = ["n", "size", "seed", "circles", "squares", "noise", "objectNoise", "binary"] as const;
const CIRCLE_KEYS = ["count", "radius", "intensity", "margin", "probability"] as const;
const SQUARE_KEYS = ["count", "side", "intensity", "cornerMin", "cornerMaxMargin", "probability"] as const;

/**
 * The seed notebook's synthetic segmentation set: grey-scale images of circles (class 1) and
 * squares (class 2) on Gaussian noise (class 0), with every knob an option.
 *
 * Per image, with the defaults: background `N(0, 0.1)` per pixel; 0-2 circles, centre x/y in
 * `[12, size-12)`, radius 6-11 (pixel `(x, y)` is inside when `(x-cx)² + (y-cy)² <= r²`), value
 * uniform in `[0.7, 1.0)`; then 0-2 squares, corner x/y in `[5, size-20)`, side 8-14, value in
 * `[0.5, 0.8)`. Objects are flat (no noise) unless `objectNoise > 0`. Squares overwrite circles.
 *
 * Determinism: one `Rng` from `@unetkit/tensor`, `new Rng(seed)`, makes every draw, in this fixed
 * order per image:
 * 1. `size*size` standard normals, row-major (background, scaled by `noise`, drawn even when
 *    `noise` is 0 so the objects do not depend on it);
 * 2. circles: one uniform when `circles.probability < 1` (present if `u < p`), then the count
 *    (`int`), then per circle `cx`, `cy`, `r` (`int`) and the intensity (`uniform`);
 * 3. squares: likewise, per square `sx`, `sy`, `side`, intensity;
 * Object noise (`objectNoise > 0`) comes from a second generator seeded (and warmed up) with
 * a hash of `seed`, one normal per object pixel, row-major, after each image's objects,
 * so turning it on changes nothing else.
 * So the same options and seed give bit-identical images on every machine.
 *
 * @example
 * ```ts
 * const { images, masks, numClasses } = shapes({ n: 200, seed: 42 });
 * images.shape;   // [200, 1, 64, 64]
 * masks.shape;    // [200, 64, 64], values 0..2
 * // rare, small squares (class imbalance):
 * shapes({ n: 100, seed: 1, squares: { probability: 0.2, side: [4, 6] } });
 * ```
 */
export function shapes(options: ShapesOptions): ShapesDataset {
  const op = "shapes";
  checkObject(op, "options", options);
  checkKeys(op, options, TOP_KEYS);
  const n = checkInt(op, "n", options.n, 0);
  const size = checkInt(op, "size", options.size ?? 64, 1);
  if (typeof options.seed !== "number" || !Number.isSafeInteger(options.seed)) {
    throw new ArgumentError(op, `seed must be a safe integer (got ${String(options.seed)})`);
  }
  const noise = checkNumber(op, "noise", options.noise ?? 0.1, 0);
  const objectNoise = checkNumber(op, "objectNoise", options.objectNoise ?? 0, 0);
  const binary = options.binary ?? false;
  if (typeof binary !== "boolean") throw new ArgumentError(op, `binary must be a boolean (got ${String(binary)})`);

  const c = options.circles ?? {};
  checkObject(op, "circles", c);
  checkKeys(`${op}: circles`, c, CIRCLE_KEYS);
  const cCount = checkPair(op, "circles.count", c.count ?? [0, 2], true, 0);
  const cRadius = checkPair(op, "circles.radius", c.radius ?? [6, 11], true, 0);
  const cIntensity = checkPair(op, "circles.intensity", c.intensity ?? [0.7, 1.0], false);
  const cMargin = checkInt(op, "circles.margin", c.margin ?? 12, 0);
  const cProb = checkNumber(op, "circles.probability", c.probability ?? 1, 0, 1);
  if (cCount[1] > 0 && size - cMargin <= cMargin) {
    throw new ArgumentError(
      op,
      `circle centres need size - margin > margin (size ${size}, circles.margin ${cMargin})`,
    );
  }

  const s = options.squares ?? {};
  checkObject(op, "squares", s);
  checkKeys(`${op}: squares`, s, SQUARE_KEYS);
  const sCount = checkPair(op, "squares.count", s.count ?? [0, 2], true, 0);
  const sSide = checkPair(op, "squares.side", s.side ?? [8, 14], true, 1);
  const sIntensity = checkPair(op, "squares.intensity", s.intensity ?? [0.5, 0.8], false);
  const sCornerMin = checkInt(op, "squares.cornerMin", s.cornerMin ?? 5, 0);
  const sCornerMaxMargin = checkInt(op, "squares.cornerMaxMargin", s.cornerMaxMargin ?? 20, 0);
  const sProb = checkNumber(op, "squares.probability", s.probability ?? 1, 0, 1);
  if (sCount[1] > 0 && size - sCornerMaxMargin <= sCornerMin) {
    throw new ArgumentError(
      op,
      `square corners need size - cornerMaxMargin > cornerMin (size ${size}, squares.cornerMin ${sCornerMin}, squares.cornerMaxMargin ${sCornerMaxMargin})`,
    );
  }

  const rng = new Rng(options.seed);
  // Object noise has its own stream so that turning it on changes nothing else.
  const objectRng = objectNoise > 0 ? new Rng(mixSeed(options.seed, 0x6f626a)) : null;
  const plane = size * size;
  const images = new Tensor("float32", [n, 1, size, size]);
  const masks = labelTensor([n, size, size]);
  const x = images.data;
  const y = masks.data;
  const circleLabel = 1;
  const squareLabel = binary ? 1 : 2;
  // Pixels of the current image covered by an object (for objectNoise), reused across images.
  const covered = objectNoise > 0 ? new Uint8Array(plane) : null;

  // Ranges are inclusive: an integer in [lo, hi] is rng.int(lo, hi + 1).
  const drawCount = (range: [number, number]): number => rng.int(range[0], range[1] + 1);

  for (let i = 0; i < n; i++) {
    const base = i * plane;
    for (let p = 0; p < plane; p++) x[base + p] = noise * rng.normal();
    covered?.fill(0);

    const circlesPresent = cProb < 1 ? rng.uniform() < cProb : true;
    let nCircles = drawCount(cCount);
    if (!circlesPresent) nCircles = 0;
    for (let k = 0; k < nCircles; k++) {
      const cx = rng.int(cMargin, size - cMargin);
      const cy = rng.int(cMargin, size - cMargin);
      const r = drawCount(cRadius);
      const value = rng.uniform(cIntensity[0], cIntensity[1]);
      const r2 = r * r;
      const y0 = Math.max(0, cy - r);
      const y1 = Math.min(size - 1, cy + r);
      const x0 = Math.max(0, cx - r);
      const x1 = Math.min(size - 1, cx + r);
      for (let yy = y0; yy <= y1; yy++) {
        const dy = yy - cy;
        for (let xx = x0; xx <= x1; xx++) {
          const dx = xx - cx;
          if (dx * dx + dy * dy <= r2) {
            const p = yy * size + xx;
            x[base + p] = value;
            y[base + p] = circleLabel;
            if (covered) covered[p] = 1;
          }
        }
      }
    }

    const squaresPresent = sProb < 1 ? rng.uniform() < sProb : true;
    let nSquares = drawCount(sCount);
    if (!squaresPresent) nSquares = 0;
    for (let k = 0; k < nSquares; k++) {
      const sx = rng.int(sCornerMin, size - sCornerMaxMargin);
      const sy = rng.int(sCornerMin, size - sCornerMaxMargin);
      const side = drawCount(sSide);
      const value = rng.uniform(sIntensity[0], sIntensity[1]);
      const y1 = Math.min(size, sy + side);
      const x1 = Math.min(size, sx + side);
      for (let yy = sy; yy < y1; yy++) {
        for (let xx = sx; xx < x1; xx++) {
          const p = yy * size + xx;
          x[base + p] = value;
          y[base + p] = squareLabel;
          if (covered) covered[p] = 1;
        }
      }
    }

    if (covered) {
      for (let p = 0; p < plane; p++) {
        if (covered[p]) x[base + p] += objectNoise * objectRng!.normal();
      }
    }
  }

  return {
    images,
    masks,
    numClasses: binary ? 2 : 3,
    classNames: binary ? ["background", "foreground"] : ["background", "circle", "square"],
  };
}
