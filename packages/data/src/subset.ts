import { ArgumentError, ShapeError, Tensor, formatShape, Rng } from "@unetkit/tensor";
import { checkLabelTensor, labelTensor, type LabelTensor } from "./label-tensor.js";
import { checkInt } from "./options.js";

/**
 * Copies the samples at `indices` (in that order) out of images `[N, ...]` and labels `[N, ...]`:
 * a subset, a split or a reordering of a data set.
 *
 * @example
 * ```ts
 * const small = takeSamples(train.images, train.labels, [0, 5, 9]); // images [3, ...]
 * ```
 */
export function takeSamples(
  images: Tensor,
  labels: LabelTensor,
  indices: readonly number[],
): { images: Tensor; labels: LabelTensor } {
  const op = "takeSamples";
  if (!(images instanceof Tensor) || images.rank < 1) throw new ShapeError(op, "images must be a Tensor [N, ...]");
  checkLabelTensor(op, labels);
  const n = images.shape[0];
  if (labels.shape.length < 1 || labels.shape[0] !== n) {
    throw new ShapeError(op, `labels ${formatShape(labels.shape)} must start with N = ${n} (images ${formatShape(images.shape)})`);
  }
  const rest = images.shape.slice(1);
  const labelRest = labels.shape.slice(1);
  const size = n === 0 ? 0 : images.size / n;
  const labelSize = n === 0 ? 0 : labels.data.length / n;
  const outImages = new Tensor(images.dtype, [indices.length, ...rest]);
  const outLabels = labelTensor([indices.length, ...labelRest]);
  indices.forEach((src, i) => {
    checkInt(op, `indices[${i}]`, src, 0, n - 1);
    outImages.data.set(images.data.subarray(src * size, (src + 1) * size), i * size);
    outLabels.data.set(labels.data.subarray(src * labelSize, (src + 1) * labelSize), i * labelSize);
  });
  return { images: outImages, labels: outLabels };
}

/**
 * Indices of a class-balanced random subset of classification labels `[N]`: `perClass` samples of
 * each class, drawn without replacement with a seeded generator, returned sorted ascending. Throws
 * `ArgumentError` when a class has fewer than `perClass` samples (naming it).
 *
 * @example
 * ```ts
 * const idx = stratifiedIndices(train.labels, 100, 0); // 100 per class
 * const small = takeSamples(train.images, train.labels, idx);
 * ```
 */
export function stratifiedIndices(labels: LabelTensor, perClass: number, seed: number): number[] {
  const op = "stratifiedIndices";
  checkLabelTensor(op, labels);
  if (labels.shape.length !== 1) throw new ShapeError(op, `expected class labels [N] (got ${formatShape(labels.shape)})`);
  checkInt(op, "perClass", perClass, 0);
  if (!Number.isSafeInteger(seed)) throw new ArgumentError(op, `seed must be a safe integer (got ${seed})`);
  const byClass = new Map<number, number[]>();
  labels.data.forEach((c, i) => {
    const list = byClass.get(c);
    if (list) list.push(i);
    else byClass.set(c, [i]);
  });
  const rng = new Rng(seed);
  const out: number[] = [];
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const list = byClass.get(c)!;
    if (list.length < perClass) {
      throw new ArgumentError(op, `class ${c} has ${list.length} samples, fewer than perClass ${perClass}`);
    }
    rng.shuffle(list);
    out.push(...list.slice(0, perClass));
  }
  return out.sort((a, b) => a - b);
}

/**
 * A seeded random split of `0..n-1` into a training and a validation part (`valFraction` of the
 * samples, rounded down), each sorted ascending.
 *
 * @example
 * ```ts
 * const { train, val } = splitIndices(200, 0.2, 0); // 160 and 40 indices
 * ```
 */
export function splitIndices(n: number, valFraction: number, seed: number): { train: number[]; val: number[] } {
  const op = "splitIndices";
  checkInt(op, "n", n, 0);
  if (!Number.isFinite(valFraction) || valFraction < 0 || valFraction > 1) {
    throw new ArgumentError(op, `valFraction must be in [0, 1] (got ${valFraction})`);
  }
  if (!Number.isSafeInteger(seed)) throw new ArgumentError(op, `seed must be a safe integer (got ${seed})`);
  const perm = new Rng(seed).permutation(n);
  const nVal = Math.floor(n * valFraction);
  return {
    val: perm.slice(0, nVal).sort((a, b) => a - b),
    train: perm.slice(nVal).sort((a, b) => a - b),
  };
}
