import { ArgumentError, ShapeError, Tensor, formatShape, Rng } from "@unetkit/tensor";
import { checkStats, normalizeInPlace, type ChannelStats } from "./channel-stats.js";
import { checkLabelTensor, labelTensor, type LabelTensor } from "./label-tensor.js";
import { checkInt, checkKeys, checkObject, mixSeed } from "./options.js";
import type { Sample, Transform } from "./sample.js";

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions {
  /** `[N, C, H, W]` float32 (or float64) images. */
  images: Tensor;
  /** `[N, H, W]` segmentation masks or `[N]` class labels (first size must be N). */
  labels: LabelTensor;
  /** Samples per batch. */
  batchSize: number;
  /** Reshuffle every epoch. Default `true`. */
  shuffle?: boolean;
  /** Drop the last, smaller batch. Default `false`. */
  dropLast?: boolean;
  /** Seed of the shuffles and augmentations. Default `0`. */
  seed?: number;
  /**
   * Per-sample augmentation (e.g. `augmentation({...})`), applied before normalisation. It gets
   * `{ image: [C,H,W], mask: [H,W] }` when labels are `[N,H,W]`, `{ image }` when labels are `[N]`.
   * Every sample of a batch must come out with the same shape.
   */
  augment?: Transform;
  /** Per-channel `(x - mean) / std` applied to every batch after augmentation. */
  normalize?: ChannelStats;
}

/** One batch. A fresh tensor each time: it stays valid after later batches are drawn. */
export interface Batch {
  /** `[B, C, H, W]` images, same dtype as the source. */
  images: Tensor;
  /** `[B, H, W]` masks or `[B]` class labels. */
  labels: LabelTensor;
  /** The source indices of the batch's samples, in batch order. */
  indices: number[];
}

/** The resumable position of a {@link DataLoader}: JSON-safe. */
export interface DataLoaderState {
  /** The loader's seed. */
  seed: number;
  /** The epoch the next plain iteration (`for (const b of loader)`) will run. */
  epoch: number;
}

const KEYS = ["images", "labels", "batchSize", "shuffle", "dropLast", "seed", "augment", "normalize"] as const;

/**
 * Batches a data set for training: NCHW image batches plus label batches, a seeded shuffle per
 * epoch, optional per-sample augmentation and per-channel normalisation.
 *
 * Reproducibility: epoch `k`'s order is `permutation(N)` from a generator seeded with a hash of
 * `(seed, k)`, and sample `j` of epoch `k` (position in that order) is augmented with its own
 * generator seeded from `(seed, k, j)`. So every batch is a pure function of `seed`, `k` and the
 * batch index: a resumed run reproduces epoch `k` exactly with `setEpoch(k)` (or `loadState`), and
 * can even start mid-epoch with `epoch(k, { startBatch })`.
 *
 * Memory: each batch is a new tensor (batches are small next to activations), so a batch stays
 * valid after the next one is drawn.
 *
 * @example
 * ```ts
 * const { images, masks } = shapes({ n: 200, seed: 42 });
 * const loader = new DataLoader({
 *   images, labels: masks, batchSize: 8, seed: 1,
 *   augment: augmentation({ hflip: 0.5, rotate90: true }),
 *   normalize: computeChannelStats(images),
 * });
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for (const { images: x, labels: y } of loader.epoch(epoch)) {
 *     // x: [8,1,64,64] float32, y: [8,64,64] Int32 class indices
 *   }
 * }
 * ```
 */
export class DataLoader {
  /** Number of samples N. */
  readonly numSamples: number;
  /** Samples per batch. */
  readonly batchSize: number;
  /** Whether each epoch is shuffled. */
  readonly shuffle: boolean;
  /** Whether the last partial batch is dropped. */
  readonly dropLast: boolean;
  /** The seed. */
  readonly seed: number;
  private readonly images: Tensor;
  private readonly labels: LabelTensor;
  private readonly augment: Transform | undefined;
  private readonly normalize: ChannelStats | undefined;
  private currentEpoch = 0;

  constructor(options: DataLoaderOptions) {
    const op = "DataLoader";
    checkObject(op, "options", options);
    checkKeys(op, options, KEYS);
    const { images, labels } = options;
    if (!(images instanceof Tensor) || images.rank !== 4) {
      throw new ShapeError(op, `images must be [N,C,H,W] (got ${images instanceof Tensor ? formatShape(images.shape) : typeof images})`);
    }
    checkLabelTensor(op, labels);
    const n = images.shape[0];
    if (labels.shape.length === 0 || labels.shape[0] !== n) {
      throw new ShapeError(op, `labels ${formatShape(labels.shape)} must start with N = ${n} (images ${formatShape(images.shape)})`);
    }
    if (labels.shape.length === 3 && (labels.shape[1] !== images.shape[2] || labels.shape[2] !== images.shape[3])) {
      throw new ShapeError(op, `masks ${formatShape(labels.shape)} do not match images ${formatShape(images.shape)} in height and width`);
    }
    if (options.augment !== undefined) {
      if (typeof options.augment !== "function") throw new ArgumentError(op, "augment must be a transform (sample, rng) => sample");
      if (labels.shape.length !== 1 && labels.shape.length !== 3) {
        throw new ShapeError(op, `augment needs labels [N] or masks [N,H,W] (got ${formatShape(labels.shape)})`);
      }
    }
    this.batchSize = checkInt(op, "batchSize", options.batchSize, 1);
    const shuffle = options.shuffle ?? true;
    const dropLast = options.dropLast ?? false;
    if (typeof shuffle !== "boolean") throw new ArgumentError(op, `shuffle must be a boolean (got ${String(shuffle)})`);
    if (typeof dropLast !== "boolean") throw new ArgumentError(op, `dropLast must be a boolean (got ${String(dropLast)})`);
    const seed = options.seed ?? 0;
    if (typeof seed !== "number" || !Number.isSafeInteger(seed)) throw new ArgumentError(op, `seed must be a safe integer (got ${String(seed)})`);
    // With augmentation the output channel count is only known per batch; checked there.
    if (options.normalize !== undefined && options.augment === undefined) checkStats(op, options.normalize, images.shape[1]);
    this.numSamples = n;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.seed = seed;
    this.images = images;
    this.labels = labels;
    this.augment = options.augment;
    this.normalize = options.normalize;
  }

  /** Batches per epoch: `floor(N / B)` with `dropLast`, else `ceil(N / B)`. */
  get batchesPerEpoch(): number {
    return this.dropLast ? Math.floor(this.numSamples / this.batchSize) : Math.ceil(this.numSamples / this.batchSize);
  }

  /**
   * The sample order of epoch `k` (a permutation of `0..N-1`; the identity when not shuffling).
   *
   * @example
   * ```ts
   * loader.order(3); // same array every time, on every machine
   * ```
   */
  order(k: number): number[] {
    checkInt("DataLoader.order", "epoch", k, 0);
    if (!this.shuffle) return Array.from({ length: this.numSamples }, (_, i) => i);
    return new Rng(mixSeed(this.seed, k)).permutation(this.numSamples);
  }

  /**
   * Batch `b` of epoch `k`, computed on its own (random access for resuming).
   *
   * @example
   * ```ts
   * const { images, labels } = loader.batch(0, 0);
   * ```
   */
  batch(k: number, b: number): Batch {
    checkInt("DataLoader.batch", "batch", b, 0, this.batchesPerEpoch - 1);
    return this.makeBatch(k, b, this.order(k));
  }

  /**
   * Iterates the batches of epoch `k` (from batch `startBatch`, default 0). Does not change the
   * loader's own epoch counter.
   *
   * @example
   * ```ts
   * for (const batch of loader.epoch(5)) train(batch);
   * ```
   */
  *epoch(k: number, options: { startBatch?: number } = {}): IterableIterator<Batch> {
    checkInt("DataLoader.epoch", "epoch", k, 0);
    const start = checkInt("DataLoader.epoch", "startBatch", options.startBatch ?? 0, 0, this.batchesPerEpoch);
    const order = this.order(k);
    for (let b = start; b < this.batchesPerEpoch; b++) yield this.makeBatch(k, b, order);
  }

  /**
   * Iterates the current epoch, then advances the counter: plain `for (const b of loader)` runs
   * epoch 0, 1, 2, ... on successive loops. The counter advances when the loop completes.
   */
  *[Symbol.iterator](): IterableIterator<Batch> {
    const k = this.currentEpoch;
    yield* this.epoch(k);
    this.currentEpoch = k + 1;
  }

  /** The resumable state: seed and the next epoch of plain iteration. */
  state(): DataLoaderState {
    return { seed: this.seed, epoch: this.currentEpoch };
  }

  /** Sets the epoch the next plain iteration runs. */
  setEpoch(k: number): void {
    this.currentEpoch = checkInt("DataLoader.setEpoch", "epoch", k, 0);
  }

  /** Restores {@link DataLoader.state}; refuses a state from another seed. */
  loadState(state: DataLoaderState): void {
    if (state === null || typeof state !== "object" || state.seed !== this.seed) {
      throw new ArgumentError(
        "DataLoader.loadState",
        `state seed ${String(state?.seed)} does not match the loader's seed ${this.seed}`,
      );
    }
    this.setEpoch(state.epoch);
  }

  private makeBatch(k: number, b: number, order: number[]): Batch {
    const op = "DataLoader";
    const start = b * this.batchSize;
    const indices = order.slice(start, Math.min(start + this.batchSize, this.numSamples));
    const bs = indices.length;
    const [, c, h, w] = this.images.shape;
    const sampleSize = c * h * w;
    const labelShape = this.labels.shape.slice(1);
    const labelSize = labelShape.reduce((a, d) => a * d, 1);
    let images: Tensor;
    let labels: LabelTensor;
    if (this.augment === undefined) {
      images = new Tensor(this.images.dtype, [bs, c, h, w]);
      labels = labelTensor([bs, ...labelShape]);
      indices.forEach((src, i) => {
        images.data.set(this.images.data.subarray(src * sampleSize, (src + 1) * sampleSize), i * sampleSize);
        labels.data.set(this.labels.data.subarray(src * labelSize, (src + 1) * labelSize), i * labelSize);
      });
    } else {
      const isMask = labelShape.length === 2;
      const outs: Sample[] = indices.map((src, i) => {
        const image = new Tensor(this.images.dtype, [c, h, w], this.images.data.slice(src * sampleSize, (src + 1) * sampleSize));
        const sample: Sample = { image };
        if (isMask) sample.mask = labelTensor([h, w], this.labels.data.slice(src * labelSize, (src + 1) * labelSize));
        const rng = new Rng(mixSeed(this.seed, k, start + i, 0x617567));
        return this.augment!(sample, rng);
      });
      const shape0 = outs[0].image.shape;
      const outSize = outs[0].image.size;
      const outLabelShape = isMask ? outs[0].mask!.shape : labelShape;
      const outLabelSize = isMask ? outs[0].mask!.data.length : labelSize;
      images = new Tensor(this.images.dtype, [bs, ...shape0]);
      labels = labelTensor([bs, ...outLabelShape]);
      outs.forEach((o, i) => {
        if (o.image.rank !== 3 || o.image.shape.some((d, j) => d !== shape0[j]) || o.image.dtype !== this.images.dtype) {
          throw new ShapeError(
            op,
            `augment returned images of different shapes in one batch (${formatShape(shape0)} and ${formatShape(o.image.shape)}; sample ${indices[i]})`,
          );
        }
        images.data.set(o.image.data, i * outSize);
        if (isMask) {
          const m = o.mask;
          if (m === undefined || m.shape.length !== 2 || m.shape[0] !== outLabelShape[0] || m.shape[1] !== outLabelShape[1]) {
            throw new ShapeError(op, `augment returned a mask ${m ? formatShape(m.shape) : "undefined"} for sample ${indices[i]}; expected ${formatShape(outLabelShape)}`);
          }
          labels.data.set(m.data, i * outLabelSize);
        } else {
          labels.data.set(this.labels.data.subarray(indices[i] * labelSize, (indices[i] + 1) * labelSize), i * labelSize);
        }
      });
    }
    if (this.normalize !== undefined) {
      const oc = images.shape[1];
      checkStats(op, this.normalize, oc);
      normalizeInPlace(images.data, oc, images.shape[2] * images.shape[3], this.normalize);
    }
    return { images, labels, indices };
  }
}
