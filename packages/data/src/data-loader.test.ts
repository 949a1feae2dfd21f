import { ArgumentError, Rng, ShapeError, Tensor } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { augmentation } from "./augment.js";
import { computeChannelStats, normalizeImages } from "./channel-stats.js";
import { DataLoader } from "./data-loader.js";
import { randomCrop } from "./crop.js";
import { labelTensor } from "./label-tensor.js";
import { shapes } from "./shapes.js";

/** N images [N,2,3,3] whose every pixel encodes the sample index; labels = index. */
function indexed(n: number) {
  const images = new Tensor("float32", [n, 2, 3, 3]);
  for (let i = 0; i < n; i++) images.data.fill(i, i * 18, (i + 1) * 18);
  const labels = labelTensor([n], Int32Array.from({ length: n }, (_, i) => i));
  return { images, labels };
}

describe("DataLoader", () => {
  it("every sample appears exactly once per epoch; batches carry matching images and labels", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 50 }),
        (n, batchSize, shuffle, dropLast, seed, k) => {
          const loader = new DataLoader({ ...indexed(n), batchSize, shuffle, dropLast, seed });
          const seen: number[] = [];
          let batches = 0;
          for (const b of loader.epoch(k)) {
            batches++;
            const bs = b.indices.length;
            expect(b.images.shape).toEqual([bs, 2, 3, 3]);
            expect(b.labels.shape).toEqual([bs]);
            if (dropLast) expect(bs).toBe(batchSize);
            else expect(bs).toBeLessThanOrEqual(batchSize);
            b.indices.forEach((src, i) => {
              expect(b.labels.data[i]).toBe(src);
              for (let p = 0; p < 18; p++) expect(b.images.data[i * 18 + p]).toBe(src);
            });
            seen.push(...b.indices);
          }
          expect(batches).toBe(loader.batchesPerEpoch);
          if (dropLast) {
            expect(seen.length).toBe(Math.floor(n / batchSize) * batchSize);
            expect(new Set(seen).size).toBe(seen.length);
          } else {
            expect(seen.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
          }
          if (!shuffle) expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("dropLast drops exactly the partial batch", () => {
    const a = new DataLoader({ ...indexed(10), batchSize: 4, dropLast: true });
    const b = new DataLoader({ ...indexed(10), batchSize: 4 });
    expect(a.batchesPerEpoch).toBe(2);
    expect(b.batchesPerEpoch).toBe(3);
    expect([...b.epoch(0)].map((x) => x.indices.length)).toEqual([4, 4, 2]);
    expect([...a.epoch(0)].map((x) => x.indices.length)).toEqual([4, 4]);
  });

  it("order is a function of seed and epoch alone; epochs and seeds differ", () => {
    const make = (seed: number) => new DataLoader({ ...indexed(50), batchSize: 7, seed });
    const a = make(3);
    const b = make(3);
    for (let k = 0; k < 5; k++) expect(a.order(k)).toEqual(b.order(k));
    expect(a.order(0)).not.toEqual(a.order(1));
    expect(a.order(0)).not.toEqual(make(4).order(0));
    // Plain iteration walks epochs 0, 1, ... and the state resumes it.
    const first = [...a].flatMap((x) => x.indices);
    const second = [...a].flatMap((x) => x.indices);
    expect(first).toEqual(a.order(0));
    expect(second).toEqual(a.order(1));
    expect(a.state()).toEqual({ seed: 3, epoch: 2 });
    const resumed = make(3);
    resumed.loadState(JSON.parse(JSON.stringify(a.state())));
    expect([...resumed].flatMap((x) => x.indices)).toEqual(a.order(2));
    expect(() => make(4).loadState(a.state())).toThrow(/seed 3 does not match/);
  });

  it("augmented batches are reproducible batch by batch (resume mid-epoch) and differ by epoch", () => {
    const { images, masks } = shapes({ n: 12, size: 32, seed: 1, circles: { margin: 8 }, squares: { cornerMaxMargin: 12 } });
    const aug = augmentation({ hflip: 0.5, rotate90: true, crop: [24, 24], noise: 0.01 });
    const loader = new DataLoader({ images, labels: masks, batchSize: 5, seed: 9, augment: aug });
    const all = [...loader.epoch(2)];
    expect(all[0].images.shape).toEqual([5, 1, 24, 24]);
    expect(all[0].labels.shape).toEqual([5, 24, 24]);
    const again = [...loader.epoch(2, { startBatch: 1 })];
    expect(again.length).toBe(2);
    expect(Array.from(again[0].images.data)).toEqual(Array.from(all[1].images.data));
    expect(Array.from(loader.batch(2, 2).labels.data)).toEqual(Array.from(all[2].labels.data));
    const other = [...loader.epoch(3)];
    expect(Array.from(other[0].images.data)).not.toEqual(Array.from(all[0].images.data));
    // Batches are independent tensors: drawing another does not change an earlier one.
    const snapshot = Array.from(all[0].images.data);
    [...loader.epoch(2)];
    expect(Array.from(all[0].images.data)).toEqual(snapshot);
    // Masks stay within the data set's classes after augmentation.
    for (const b of all) for (const v of b.labels.data) expect([0, 1, 2]).toContain(v);
  });

  it("classification labels pass through augmentation untouched", () => {
    const loader = new DataLoader({ ...indexed(6), batchSize: 3, seed: 2, augment: augmentation({ hflip: 1, brightness: 0.5 }) });
    for (const b of loader.epoch(0)) b.indices.forEach((src, i) => expect(b.labels.data[i]).toBe(src));
  });

  it("normalises every batch with the training set's channel statistics", () => {
    const rng = new Rng(1);
    const images = new Tensor("float32", [20, 3, 4, 4]);
    for (let i = 0; i < images.size; i++) {
      const ch = Math.floor(i / 16) % 3;
      images.data[i] = ch * 10 + (ch + 1) * rng.normal();
    }
    const stats = computeChannelStats(images);
    expect(stats.mean.length).toBe(3);
    for (let ch = 0; ch < 3; ch++) {
      expect(stats.mean[ch]).toBeCloseTo(ch * 10, 0);
      expect(stats.std[ch]).toBeGreaterThan((ch + 1) * 0.8);
      expect(stats.std[ch]).toBeLessThan((ch + 1) * 1.2);
    }
    const loader = new DataLoader({ images, labels: labelTensor([20]), batchSize: 20, normalize: stats });
    const [batch] = [...loader.epoch(0)];
    const after = computeChannelStats(batch.images);
    for (let ch = 0; ch < 3; ch++) {
      expect(after.mean[ch]).toBeCloseTo(0, 5);
      expect(after.std[ch]).toBeCloseTo(1, 5);
    }
    const n = normalizeImages(images, stats);
    expect(computeChannelStats(n).std[2]).toBeCloseTo(1, 5);
    // Brute-force check of one channel's statistics.
    let s = 0;
    for (let i = 0; i < 20; i++) for (let p = 0; p < 16; p++) s += images.data[(i * 3 + 1) * 16 + p];
    expect(stats.mean[1]).toBeCloseTo(s / 320, 10);
  });

  it("validates its inputs", () => {
    const { images, labels } = indexed(4);
    expect(() => new DataLoader({ images, labels, batchSize: 0 })).toThrow(ArgumentError);
    expect(() => new DataLoader({ images, labels: labelTensor([5]), batchSize: 2 })).toThrow(/labels \[5\] must start with N = 4/);
    expect(() => new DataLoader({ images, labels: labelTensor([4, 3, 2]), batchSize: 2 })).toThrow(/masks \[4,3,2\] do not match images \[4,2,3,3\]/);
    expect(() => new DataLoader({ images: new Tensor("float32", [4, 9]), labels, batchSize: 2 })).toThrow(ShapeError);
    expect(() => new DataLoader({ images, labels, batchSize: 2, normalize: { mean: [0], std: [1] } })).toThrow(/1 means and 1 stds but the images have 2 channels/);
    expect(() => new DataLoader({ images, labels, batchSize: 2, normalize: { mean: [0, 0], std: [1, 0] } })).toThrow(/std\[1\] must be > 0/);
    expect(() => new DataLoader({ images, labels, batchSize: 2, batch_size: 3 } as never)).toThrow(/unknown option "batch_size"/);
    const ragged = new DataLoader({
      images: new Tensor("float32", [4, 1, 6, 6]),
      labels,
      batchSize: 4,
      augment: (s, rng) => (rng.uniform() < 0.5 ? randomCrop(4)(s, rng) : s),
    });
    expect(() => [...ragged.epoch(0)]).toThrow(/different shapes in one batch/);
    expect(() => computeChannelStats(new Tensor("float32", [0, 1, 2, 2]))).toThrow(/no pixels/);
  });
});
