import { ArgumentError, ShapeError, Tensor, formatShape } from "@unetkit/tensor";

/** Per-channel mean and standard deviation, as `torchvision.transforms.Normalize` takes them. */
export interface ChannelStats {
  /** One mean per channel. */
  mean: number[];
  /** One standard deviation per channel (population, divide by N). */
  std: number[];
}

/**
 * Per-channel mean and population standard deviation of a training set `[N, C, H, W]`, over all
 * images and pixels (`N*H*W` values per channel), accumulated in float64 with two passes.
 * Compute it on the training split only and apply it to every split.
 *
 * @example
 * ```ts
 * const stats = computeChannelStats(train.images); // { mean: [0.11], std: [0.32] }
 * new DataLoader({ images, labels, batchSize: 8, normalize: stats });
 * ```
 */
export function computeChannelStats(images: Tensor): ChannelStats {
  const op = "computeChannelStats";
  if (!(images instanceof Tensor) || images.rank !== 4) {
    throw new ShapeError(op, `expected images [N,C,H,W] (got ${images instanceof Tensor ? formatShape(images.shape) : typeof images})`);
  }
  const [n, c, h, w] = images.shape;
  const plane = h * w;
  const count = n * plane;
  if (count === 0) throw new ArgumentError(op, `no pixels to average (images ${formatShape(images.shape)})`);
  const x = images.data;
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * plane;
      for (let p = 0; p < plane; p++) sum += x[base + p];
    }
    const m = sum / count;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * plane;
      for (let p = 0; p < plane; p++) {
        const d = x[base + p] - m;
        sq += d * d;
      }
    }
    mean.push(m);
    std.push(Math.sqrt(sq / count));
  }
  return { mean, std };
}

/** Validates stats against a channel count; internal. */
export function checkStats(op: string, stats: ChannelStats, channels: number): void {
  if (stats === null || typeof stats !== "object" || !Array.isArray(stats.mean) || !Array.isArray(stats.std)) {
    throw new ArgumentError(op, "normalize must be { mean: number[], std: number[] }");
  }
  if (stats.mean.length !== channels || stats.std.length !== channels) {
    throw new ShapeError(
      op,
      `normalize has ${stats.mean.length} means and ${stats.std.length} stds but the images have ${channels} channels`,
    );
  }
  stats.mean.forEach((m, i) => {
    if (!Number.isFinite(m)) throw new ArgumentError(op, `normalize.mean[${i}] must be finite (got ${m})`);
  });
  stats.std.forEach((s, i) => {
    if (!Number.isFinite(s) || s <= 0) throw new ArgumentError(op, `normalize.std[${i}] must be > 0 (got ${s})`);
  });
}

/**
 * `(x - mean[c]) / std[c]` per channel of images `[N, C, H, W]` (or one image `[C, H, W]`), as a new
 * tensor of the same dtype. Use it for evaluation sets when not going through a {@link DataLoader}.
 *
 * @example
 * ```ts
 * const x = normalizeImages(test.images, computeChannelStats(train.images));
 * ```
 */
export function normalizeImages(images: Tensor, stats: ChannelStats): Tensor {
  const op = "normalizeImages";
  if (!(images instanceof Tensor) || (images.rank !== 4 && images.rank !== 3)) {
    throw new ShapeError(op, `expected images [N,C,H,W] or [C,H,W] (got ${images instanceof Tensor ? formatShape(images.shape) : typeof images})`);
  }
  const c = images.shape[images.rank - 3];
  checkStats(op, stats, c);
  const plane = images.shape[images.rank - 2] * images.shape[images.rank - 1];
  const out = images.clone();
  normalizeInPlace(out.data, c, plane, stats);
  return out;
}

/** Normalises `[*, C, plane]` data in place; internal. */
export function normalizeInPlace(data: Float32Array | Float64Array, c: number, plane: number, stats: ChannelStats): void {
  const inv = stats.std.map((s) => 1 / s);
  const blocks = data.length / (c * plane);
  for (let b = 0; b < blocks; b++) {
    for (let ch = 0; ch < c; ch++) {
      const m = stats.mean[ch];
      const k = inv[ch];
      const base = (b * c + ch) * plane;
      for (let p = 0; p < plane; p++) data[base + p] = (data[base + p] - m) * k;
    }
  }
}
