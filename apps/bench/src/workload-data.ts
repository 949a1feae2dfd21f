import { Rng } from "@unetkit/tensor";

/** The benchmark's fixed problem: SimpleUNet base 16 on 64x64 single-channel images, 3 classes. */
export const PROBLEM = Object.freeze({
  batch: 8,
  size: 64,
  inChannels: 1,
  numClasses: 3,
  baseChannels: 16,
  depth: 2,
  lr: 0.01,
  momentum: 0.9,
});

/** The batch every workload trains and infers on. */
export interface BenchData {
  /** `[batch, 1, size, size]` row-major; with one channel it is also the NHWC layout. */
  images: Float32Array;
  /** `[batch, size, size]` class indices in `[0, numClasses)`. */
  labels: Int32Array;
}

/**
 * Uniform images in [0, 1) and uniform random labels from a seeded generator: the timing of every
 * kernel of the step is independent of the values (no data-dependent work beyond ReLU/max-pool
 * comparisons), so random data measures the same work as the circles/squares set.
 */
export function makeBenchData(seed = 2024): BenchData {
  const rng = new Rng(seed);
  const { batch, size, inChannels, numClasses } = PROBLEM;
  const images = rng.fillUniform(new Float32Array(batch * inChannels * size * size));
  const labels = new Int32Array(batch * size * size);
  for (let i = 0; i < labels.length; i++) labels[i] = rng.int(0, numClasses);
  return { images, labels };
}
