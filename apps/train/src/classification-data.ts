import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { readCifar10Batch, takeSamples, type ClassificationSet } from "@unetkit/data";
import { DEBIAN_FASHION_MNIST_DIR, loadFashionMnist } from "@unetkit/data/node";
import { ArgumentError, Rng } from "@unetkit/tensor";
import { UsageError } from "./usage-error.js";

/** Options of {@link loadClassificationSubsets}. */
export interface ClassificationDataOptions {
  /** A CIFAR-10 binary file (`data_batch_1.bin`) or the `cifar-10-batches-bin` folder; wins over Fashion-MNIST. */
  cifar?: string;
  /** Folder of the four Fashion-MNIST IDX files (default Debian's `/usr/share/datasets/fashion-mnist`). */
  fashionMnistDir?: string;
  /** Training images drawn (without replacement). */
  trainSize: number;
  /** Test images drawn, disjoint from the training ones. */
  testSize: number;
  /** Seed of the draws. */
  seed: number;
}

/** Training and test subsets of a classification data set, and a sentence saying where they come from. */
export interface ClassificationSubsets {
  train: ClassificationSet;
  test: ClassificationSet;
  /** Short name: "Fashion-MNIST" or "CIFAR-10". */
  name: string;
  /** Where the images were drawn from, for the report. */
  source: string;
}

/**
 * The one-line message when no data set is found: how to install Fashion-MNIST, or what to pass.
 *
 * @example
 * ```ts
 * missingDataMessage("/usr/share/datasets/fashion-mnist"); // "no data for compare residual: ..."
 * ```
 */
export function missingDataMessage(fashionMnistDir: string): string {
  return (
    `no data for compare residual: Fashion-MNIST is not in ${fashionMnistDir}; ` +
    `install it with "apt-get install dataset-fashion-mnist", or pass a CIFAR-10 binary file with "--cifar data_batch_1.bin"`
  );
}

function hasIdx(dir: string, base: string): boolean {
  return existsSync(join(dir, base)) || existsSync(join(dir, `${base}.gz`));
}

function draw(set: ClassificationSet, indices: number[]): ClassificationSet {
  const { images, labels } = takeSamples(set.images, set.labels, indices);
  return { images, labels, numClasses: set.numClasses, classNames: set.classNames };
}

function pick(rng: Rng, n: number, count: number): number[] {
  return rng.permutation(n).slice(0, count).sort((a, b) => a - b);
}

function checkSize(what: string, wanted: number, available: number, from: string): void {
  if (wanted > available) throw new UsageError(`--${what} is ${wanted} but ${from} has only ${available} images`);
}

/**
 * Loads seeded random subsets for the residual experiment: from CIFAR-10's binary version when
 * `cifar` is given (a folder: training images from `data_batch_1.bin`, test images from
 * `test_batch.bin`; a single file: disjoint training and test draws from it), otherwise from
 * Fashion-MNIST (training images from its 60000, test images from its 10000). Throws
 * `ArgumentError` with {@link missingDataMessage} when neither is there.
 *
 * @example
 * ```ts
 * const { train, test } = loadClassificationSubsets({ trainSize: 2000, testSize: 500, seed: 42 });
 * train.images.shape; // [2000, 1, 28, 28]
 * ```
 */
export function loadClassificationSubsets(options: ClassificationDataOptions): ClassificationSubsets {
  const op = "compare residual";
  const { trainSize, testSize, seed } = options;
  if (options.cifar !== undefined) {
    const path = options.cifar;
    if (!existsSync(path)) throw new ArgumentError(op, `no CIFAR-10 file at ${path} (--cifar expects data_batch_1.bin of CIFAR-10's binary version, or its folder)`);
    if (statSync(path).isDirectory()) {
      const trainFile = join(path, "data_batch_1.bin");
      const testFile = join(path, "test_batch.bin");
      if (!existsSync(trainFile)) throw new ArgumentError(op, `${path} has no data_batch_1.bin (CIFAR-10's binary version)`);
      const train = readCifar10Batch(new Uint8Array(readFileSync(trainFile)));
      if (existsSync(testFile)) {
        const test = readCifar10Batch(new Uint8Array(readFileSync(testFile)));
        checkSize("train-size", trainSize, train.labels.shape[0], trainFile);
        checkSize("test-size", testSize, test.labels.shape[0], testFile);
        return {
          train: draw(train, pick(new Rng(seed), train.labels.shape[0], trainSize)),
          test: draw(test, pick(new Rng(seed + 1), test.labels.shape[0], testSize)),
          name: "CIFAR-10",
          source: `CIFAR-10 (${trainSize} training images drawn from ${trainFile}, ${testSize} test images from ${testFile})`,
        };
      }
      return splitOne(train, trainFile, trainSize, testSize, seed);
    }
    return splitOne(readCifar10Batch(new Uint8Array(readFileSync(path))), path, trainSize, testSize, seed);
  }
  const dir = options.fashionMnistDir ?? DEBIAN_FASHION_MNIST_DIR;
  const needed = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];
  if (!needed.every((f) => hasIdx(dir, f))) throw new ArgumentError(op, missingDataMessage(dir));
  const train = loadFashionMnist({ dir, split: "train" });
  const test = loadFashionMnist({ dir, split: "test" });
  checkSize("train-size", trainSize, train.labels.shape[0], `Fashion-MNIST's training set (${dir})`);
  checkSize("test-size", testSize, test.labels.shape[0], `Fashion-MNIST's test set (${dir})`);
  return {
    train: draw(train, pick(new Rng(seed), train.labels.shape[0], trainSize)),
    test: draw(test, pick(new Rng(seed + 1), test.labels.shape[0], testSize)),
    name: "Fashion-MNIST",
    source: `Fashion-MNIST from ${dir} (${trainSize} of its ${train.labels.shape[0]} training images and ${testSize} of its ${test.labels.shape[0]} test images, drawn at random with the seed)`,
  };
}

function splitOne(set: ClassificationSet, file: string, trainSize: number, testSize: number, seed: number): ClassificationSubsets {
  const n = set.labels.shape[0];
  if (trainSize + testSize > n) throw new UsageError(`--train-size ${trainSize} plus --test-size ${testSize} exceed the ${n} images of ${file}`);
  const order = new Rng(seed).permutation(n);
  return {
    train: draw(set, order.slice(0, trainSize).sort((a, b) => a - b)),
    test: draw(set, order.slice(trainSize, trainSize + testSize).sort((a, b) => a - b)),
    name: "CIFAR-10",
    source: `CIFAR-10 from ${file} (${trainSize} training and ${testSize} disjoint test images drawn at random with the seed)`,
  };
}
