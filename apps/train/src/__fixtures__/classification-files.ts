import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Rng } from "@unetkit/tensor";

/** An IDX file: magic `0 0 8 rank` (uint8), big-endian int32 sizes, then the bytes. */
export function idxBytes(shape: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  header.set([0, 0, 0x08, shape.length]);
  shape.forEach((d, i) => view.setInt32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

/**
 * A small, easy classification set of `size x size` grey images in four classes: a bright bar at
 * the top, the bottom, the left or the right, on noise. Deterministic in the seed.
 */
export function barImages(n: number, size: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * size * size);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 4;
    labels[i] = k;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const bar = k === 0 ? y < 3 : k === 1 ? y >= size - 3 : k === 2 ? x < 3 : x >= size - 3;
        images[i * size * size + y * size + x] = bar ? 200 + rng.int(0, 55) : rng.int(0, 60);
      }
    }
  }
  return { images, labels };
}

/** Writes the four Fashion-MNIST-named IDX files (train gzip'd, test plain) of bar images into `dir`. */
export function writeBarIdxSet(dir: string, nTrain: number, nTest: number, size = 12): void {
  mkdirSync(dir, { recursive: true });
  const train = barImages(nTrain, size, 1);
  const test = barImages(nTest, size, 2);
  writeFileSync(join(dir, "train-images-idx3-ubyte.gz"), gzipSync(idxBytes([nTrain, size, size], train.images)));
  writeFileSync(join(dir, "train-labels-idx1-ubyte.gz"), gzipSync(idxBytes([nTrain], train.labels)));
  writeFileSync(join(dir, "t10k-images-idx3-ubyte"), idxBytes([nTest, size, size], test.images));
  writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), idxBytes([nTest], test.labels));
}

/**
 * A CIFAR-10 binary batch of `n` records (label byte + 3072 pixel bytes); record `i` has label
 * `i % 10` and every pixel byte equal to `i % 256`, so draws can be told apart.
 */
export function cifarBatchBytes(n: number): Uint8Array {
  const out = new Uint8Array(n * 3073);
  for (let i = 0; i < n; i++) {
    out[i * 3073] = i % 10;
    out.fill(i % 256, i * 3073 + 1, (i + 1) * 3073);
  }
  return out;
}
