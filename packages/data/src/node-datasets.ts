import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { ArgumentError, FormatError, Tensor } from "@unetkit/tensor";
import { readCifar10Batch, CIFAR10_CLASSES, type ClassificationSet } from "./cifar10.js";
import { FASHION_MNIST_CLASSES, isGzip, readIdx, readIdxImagesAndLabels, type IdxArray } from "./idx.js";
import { labelTensor } from "./label-tensor.js";

/** Where Debian's `dataset-fashion-mnist` package installs the files (`dpkg -L dataset-fashion-mnist`). */
export const DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

function readBytes(op: string, path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new ArgumentError(op, `cannot read ${path} (${(e as Error).message})`);
  }
}

/**
 * Bytes of a file, gunzipped when they start with the gzip magic `1f 8b`. Throws `FormatError`
 * naming the file for a corrupt gzip stream.
 *
 * @example
 * ```ts
 * const raw = readMaybeGzip("train-images-idx3-ubyte.gz");
 * ```
 */
export function readMaybeGzip(path: string): Uint8Array {
  const bytes = readBytes("readMaybeGzip", path);
  if (!isGzip(bytes)) return bytes;
  try {
    return new Uint8Array(gunzipSync(bytes));
  } catch (e) {
    throw new FormatError("readMaybeGzip", `${path} starts like gzip but does not decompress (${(e as Error).message})`);
  }
}

/**
 * Reads an IDX file (plain or gzip'd) from disk; see `readIdx`.
 *
 * @example
 * ```ts
 * readIdxFile("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz").shape; // [10000]
 * ```
 */
export function readIdxFile(path: string): IdxArray {
  const bytes = readMaybeGzip(path);
  try {
    return readIdx(bytes);
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError("readIdxFile", `${path}: ${e.message}`);
    throw e;
  }
}

/** Finds `base` or `base.gz` in `dir`. */
function findIdx(dir: string, base: string): string | undefined {
  for (const name of [base, `${base}.gz`]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Options of {@link loadFashionMnist} and {@link loadMnistLike}. */
export interface MnistOptions {
  /** Directory of the four IDX files (plain or `.gz`). */
  dir?: string;
  /** `"train"` (60000 images) or `"test"` (10000, the `t10k` files). Default `"train"`. */
  split?: "train" | "test";
}

/**
 * Loads an MNIST-layout data set from a directory holding `train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (each optionally
 * `.gz`): images `[n, 1, 28, 28]` float32 in `[0, 1]`, labels `[n]`.
 *
 * @example
 * ```ts
 * const mnist = loadMnistLike({ dir: "data/mnist", split: "test" }, "MNIST");
 * ```
 */
export function loadMnistLike(
  options: MnistOptions & { dir: string },
  name = "MNIST",
  classNames?: readonly string[],
  hint = "",
): ClassificationSet {
  const op = `load ${name}`;
  const split = options.split ?? "train";
  if (split !== "train" && split !== "test") throw new ArgumentError(op, `split must be "train" or "test" (got ${String(split)})`);
  const prefix = split === "train" ? "train" : "t10k";
  const imagesPath = findIdx(options.dir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = findIdx(options.dir, `${prefix}-labels-idx1-ubyte`);
  if (imagesPath === undefined || labelsPath === undefined) {
    const missing = imagesPath === undefined ? `${prefix}-images-idx3-ubyte[.gz]` : `${prefix}-labels-idx1-ubyte[.gz]`;
    throw new ArgumentError(op, `${name} not found: ${options.dir} has no ${missing}.${hint}`);
  }
  try {
    return readIdxImagesAndLabels(readMaybeGzip(imagesPath), readMaybeGzip(labelsPath), classNames ? { classNames } : {});
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(op, `${imagesPath} / ${labelsPath}: ${e.message}`);
    throw e;
  }
}

/**
 * Loads Fashion-MNIST (10 clothing classes, 28x28 grey): by default from Debian's
 * `dataset-fashion-mnist` package (`/usr/share/datasets/fashion-mnist`, the gzip'd IDX files), or
 * from `dir`. When the files are absent the error says to run
 * `apt-get install dataset-fashion-mnist` or to pass `{ dir }`.
 *
 * @example
 * ```ts
 * import { loadFashionMnist } from "@unetkit/data/node";
 * const train = loadFashionMnist();                 // images [60000,1,28,28], labels [60000]
 * const test = loadFashionMnist({ split: "test" }); // [10000, ...]
 * ```
 */
export function loadFashionMnist(options: MnistOptions = {}): ClassificationSet {
  const dir = options.dir ?? DEBIAN_FASHION_MNIST_DIR;
  return loadMnistLike(
    { ...options, dir },
    "Fashion-MNIST",
    FASHION_MNIST_CLASSES,
    ` Install Debian's package (apt-get install dataset-fashion-mnist, which puts the files in ${DEBIAN_FASHION_MNIST_DIR}) or pass { dir } naming a directory with the four IDX files.`,
  );
}

/**
 * Loads CIFAR-10's binary version from a directory (`data_batch_1.bin` ... `data_batch_5.bin` for
 * `"train"`, `test_batch.bin` for `"test"`), concatenated in that order: images `[n, 3, 32, 32]`
 * in `[0, 1]`, labels `[n]`. `batches` limits the training files (e.g. `[1]` for a 10000 subset).
 *
 * @example
 * ```ts
 * const train = loadCifar10({ dir: "cifar-10-batches-bin", batches: [1] });
 * ```
 */
export function loadCifar10(options: { dir: string; split?: "train" | "test"; batches?: number[] }): ClassificationSet {
  const op = "loadCifar10";
  const split = options.split ?? "train";
  if (split !== "train" && split !== "test") throw new ArgumentError(op, `split must be "train" or "test" (got ${String(split)})`);
  const batches = options.batches ?? [1, 2, 3, 4, 5];
  if (!batches.every((b) => Number.isInteger(b) && b >= 1 && b <= 5)) {
    throw new ArgumentError(op, `batches must be integers 1-5 (got ${JSON.stringify(batches)})`);
  }
  const files = split === "test" ? ["test_batch.bin"] : batches.map((b) => `data_batch_${b}.bin`);
  const parts = files.map((f) => {
    const path = join(options.dir, f);
    if (!existsSync(path)) throw new ArgumentError(op, `${path} not found (expected CIFAR-10's binary version, cifar-10-batches-bin)`);
    try {
      return readCifar10Batch(readBytes(op, path));
    } catch (e) {
      if (e instanceof FormatError) throw new FormatError(op, `${path}: ${e.message}`);
      throw e;
    }
  });
  if (parts.length === 1) return parts[0];
  const n = parts.reduce((a, p) => a + p.labels.shape[0], 0);
  const images = new Tensor("float32", [n, 3, 32, 32]);
  const labels = labelTensor([n]);
  let o = 0;
  for (const p of parts) {
    images.data.set(p.images.data, o * 3072);
    labels.data.set(p.labels.data, o);
    o += p.labels.shape[0];
  }
  return { images, labels, numClasses: 10, classNames: CIFAR10_CLASSES };
}
