import { ArgumentError, ShapeError, Tensor, checkRank, formatShape } from "@unetkit/tensor";
import { maskFromScores, softmaxChannels, type Prediction } from "./predict.js";
import type { UNet } from "./unet.js";

/** Options of {@link predictTiled}. */
export interface TiledOptions {
  /**
   * Tile size fed to the network (square). For `same` padding a multiple of 2^depth; for `valid`
   * a size the network accepts (see `UNet.planSize`). Default: 128 (`same`) or the smallest
   * accepted size >= 128 (`valid`).
   */
  tile?: number;
  /**
   * `same` padding only: how many pixels of each tile's border are discarded (the context the
   * kept centre needs), rounded up to a multiple of 2^depth. Default: the network's receptive
   * radius, so tiled output equals whole-image output away from the image border. For `valid`
   * padding the margin is fixed by the network: (tile - output) / 2.
   */
  overlap?: number;
  /** How the image border is extended: `reflect` (the paper's mirroring, default) or `zero`. */
  padMode?: "reflect" | "zero";
}

/** The tiling {@link predictTiled} uses: tile input size, kept output per tile, margin, stride. */
export interface TilePlan {
  tile: number;
  margin: number;
  stride: number;
}

/**
 * Half-width of the receptive field of a `same`-padded U-Net output pixel, in input pixels (an
 * upper bound): each 3x3 convolution at scale `s` adds `s`, each 2x2 pooling adds `s`, each
 * upsampling adds `s` of the coarse scale.
 */
export function receptiveRadius(model: UNet): number {
  const { depth } = model.config;
  let r = 0;
  let scale = 1;
  for (let i = 0; i < depth; i++) {
    r += 2 * scale; // two 3x3 convs
    r += scale; // 2x2 pool
    scale *= 2;
  }
  r += 2 * scale; // bottleneck
  for (let i = 0; i < depth; i++) {
    r += scale; // upsample (nearest, bilinear or 2x2 transposed) at the coarse scale
    scale /= 2;
    r += 2 * scale;
    if (model.config.attention) r += 2 * scale; // the gate's 1x1 stride-2 conv and bilinear resampling
  }
  return r;
}

/** The tiling for a model and options (validated). */
export function planTiles(model: UNet, options: TiledOptions = {}): TilePlan {
  const op = "predictTiled";
  const align = 2 ** model.config.depth;
  if (model.config.padding === "valid") {
    let tile = options.tile;
    if (tile === undefined) {
      tile = 128;
      while (!model.planSize(tile).ok) tile++;
    }
    const plan = model.planSize(tile);
    if (!plan.ok) {
      throw new ArgumentError(op, `tile ${tile} does not pass through the network (${plan.reason}); sizes that work: ${model.validSizesNear(tile).join(" or ")}`);
    }
    return { tile, margin: (tile - plan.output) / 2, stride: plan.output };
  }
  const tile = options.tile ?? 128;
  if (!Number.isInteger(tile) || tile <= 0 || tile % align !== 0) {
    throw new ArgumentError(op, `tile must be a positive multiple of ${align} for depth ${model.config.depth} (got ${tile})`);
  }
  const want = options.overlap ?? receptiveRadius(model);
  if (!Number.isInteger(want) || want < 0) throw new ArgumentError(op, `overlap must be a non-negative integer (got ${want})`);
  const margin = Math.ceil(want / align) * align;
  const stride = tile - 2 * margin;
  if (stride < align) {
    throw new ArgumentError(op, `tile ${tile} is too small for a margin of ${margin} on each side; use a tile of at least ${2 * margin + align}`);
  }
  return { tile, margin, stride };
}

/** Maps a coordinate outside [0, n) back inside by mirroring without repeating the edge (as `reflect`). */
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let k = i % period;
  if (k < 0) k += period;
  return k < n ? k : period - k;
}

/**
 * The paper's overlap-tile strategy: segments an image of any size in bounded memory. The image is
 * extended past its border by mirroring (`padMode: 'reflect'`), cut into overlapping tiles whose
 * origins are aligned to the pooling grid, each tile is run through the model (eval mode, restored
 * afterwards), and only each tile's valid centre is kept. The result covers the whole image: class
 * probabilities `[N, K, H, W]` and the arg-max mask.
 *
 * Memory: one tile's activations at a time, whatever the image size.
 *
 * @example
 * ```ts
 * const { mask } = predictTiled(model, image /*[1,1,700,1000]*\/, { tile: 128 });
 * ```
 */
export function predictTiled(model: UNet, image: Tensor, options: TiledOptions = {}): Prediction {
  const op = "predictTiled";
  checkRank(op, "image", image, 4);
  const [n, c, H, W] = image.shape;
  if (c !== model.config.inChannels) {
    throw new ShapeError(op, `image has ${c} channels, the model expects ${model.config.inChannels} (image ${formatShape(image.shape)})`);
  }
  const padMode = options.padMode ?? "reflect";
  if (padMode !== "reflect" && padMode !== "zero") throw new ArgumentError(op, `padMode must be reflect or zero (got ${String(padMode)})`);
  const { tile, margin, stride } = planTiles(model, options);
  const keepFromTile = model.config.padding === "same" ? margin : 0;
  const k = model.config.numClasses;
  const probs = new Tensor(image.dtype, [n, k, H, W]);
  const input = new Tensor(image.dtype, [1, c, tile, tile]);
  const wasTraining = model.training;
  model.eval();
  try {
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < H; oy += stride) {
        for (let ox = 0; ox < W; ox += stride) {
          // Input window in image coordinates: [oy - margin, oy - margin + tile).
          for (let ch = 0; ch < c; ch++) {
            const src = (b * c + ch) * H * W;
            const dst = ch * tile * tile;
            for (let y = 0; y < tile; y++) {
              const iy = oy - margin + y;
              const inY = iy >= 0 && iy < H;
              for (let x = 0; x < tile; x++) {
                const ix = ox - margin + x;
                let v: number;
                if (inY && ix >= 0 && ix < W) v = image.data[src + iy * W + ix];
                else if (padMode === "zero") v = 0;
                else v = image.data[src + reflectIndex(iy, H) * W + reflectIndex(ix, W)];
                input.data[dst + y * tile + x] = v;
              }
            }
          }
          const p = softmaxChannels(model.forward(input));
          const ph = p.shape[2];
          const pw = p.shape[3];
          const rows = Math.min(stride, H - oy);
          const cols = Math.min(stride, W - ox);
          for (let cl = 0; cl < k; cl++) {
            for (let y = 0; y < rows; y++) {
              const from = (cl * ph + keepFromTile + y) * pw + keepFromTile;
              probs.data.set(p.data.subarray(from, from + cols), ((b * k + cl) * H + oy + y) * W + ox);
            }
          }
        }
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return { probabilities: probs, mask: maskFromScores(probs), maskShape: [n, H, W] };
}
