import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClassificationSet } from "@unetkit/data";
import { ArgumentError } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";
import { cifarBatchBytes, writeBarIdxSet } from "./__fixtures__/classification-files.js";
import { loadClassificationSubsets, missingDataMessage } from "./classification-data.js";
import { UsageError } from "./usage-error.js";

const tmp = () => mkdtempSync(join(tmpdir(), "unetkit-cls-"));

/** Record index of each drawn CIFAR image (every pixel byte of record i is i % 256). */
function recordIds(set: ClassificationSet): number[] {
  const n = set.images.shape[0];
  return Array.from({ length: n }, (_, i) => Math.round(set.images.data[i * 3072] * 255));
}

describe("loadClassificationSubsets", () => {
  it("without data says how to get it: the Debian package or --cifar", () => {
    const empty = tmp();
    let error: unknown;
    try {
      loadClassificationSubsets({ fashionMnistDir: empty, trainSize: 10, testSize: 5, seed: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ArgumentError);
    const message = (error as Error).message;
    expect(message).toContain(missingDataMessage(empty));
    expect(message).toMatch(/apt-get install dataset-fashion-mnist/);
    expect(message).toMatch(/--cifar data_batch_1\.bin/);
    expect(message).not.toContain("\n");
    expect(() => loadClassificationSubsets({ cifar: join(empty, "nope.bin"), trainSize: 1, testSize: 1, seed: 1 })).toThrow(/no CIFAR-10 file at .*nope\.bin/);
  });

  it("draws seeded subsets of the IDX training and test files (plain or gzip'd)", () => {
    const dir = tmp();
    writeBarIdxSet(dir, 40, 20);
    const a = loadClassificationSubsets({ fashionMnistDir: dir, trainSize: 12, testSize: 8, seed: 3 });
    const b = loadClassificationSubsets({ fashionMnistDir: dir, trainSize: 12, testSize: 8, seed: 3 });
    const c = loadClassificationSubsets({ fashionMnistDir: dir, trainSize: 12, testSize: 8, seed: 4 });
    expect(a.train.images.shape).toEqual([12, 1, 12, 12]);
    expect(a.test.images.shape).toEqual([8, 1, 12, 12]);
    expect(a.name).toBe("Fashion-MNIST");
    expect(Array.from(a.train.images.data)).toEqual(Array.from(b.train.images.data));
    expect(Array.from(a.train.labels.data)).toEqual(Array.from(b.train.labels.data));
    expect(Array.from(a.train.images.data)).not.toEqual(Array.from(c.train.images.data));
    expect(() => loadClassificationSubsets({ fashionMnistDir: dir, trainSize: 41, testSize: 8, seed: 3 })).toThrow(UsageError);
    expect(() => loadClassificationSubsets({ fashionMnistDir: dir, trainSize: 41, testSize: 8, seed: 3 })).toThrow(/--train-size is 41 but .* has only 40/);
  });

  it("splits a single CIFAR-10 file into disjoint training and test draws", () => {
    const dir = tmp();
    const file = join(dir, "data_batch_1.bin");
    writeFileSync(file, cifarBatchBytes(30));
    const s = loadClassificationSubsets({ cifar: file, trainSize: 18, testSize: 12, seed: 9 });
    expect(s.name).toBe("CIFAR-10");
    expect(s.train.images.shape).toEqual([18, 3, 32, 32]);
    const train = recordIds(s.train);
    const test = recordIds(s.test);
    expect(new Set([...train, ...test]).size).toBe(30);
    train.forEach((id, i) => expect(s.train.labels.data[i]).toBe(id % 10));
    expect(() => loadClassificationSubsets({ cifar: file, trainSize: 20, testSize: 11, seed: 9 })).toThrow(/exceed the 30 images/);
  });

  it("takes a CIFAR-10 folder: training draws from data_batch_1.bin, test draws from test_batch.bin", () => {
    const dir = tmp();
    mkdirSync(join(dir, "cifar-10-batches-bin"));
    writeFileSync(join(dir, "cifar-10-batches-bin", "data_batch_1.bin"), cifarBatchBytes(20));
    const test = cifarBatchBytes(40).subarray(20 * 3073); // records 20..39
    writeFileSync(join(dir, "cifar-10-batches-bin", "test_batch.bin"), test);
    const s = loadClassificationSubsets({ cifar: join(dir, "cifar-10-batches-bin"), trainSize: 20, testSize: 5, seed: 2 });
    expect(recordIds(s.train).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(recordIds(s.test).every((id) => id >= 20 && id < 40)).toBe(true);
    expect(s.source).toMatch(/test_batch\.bin/);
  });
});
