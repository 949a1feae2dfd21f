import { allocate, allocateUninitialized, checkDType, type DType } from "./dtype.js";
import { ArgumentError, ShapeError } from "./errors.js";
import type { Rng } from "./rng.js";
import { shapeSize, type Shape } from "./shape.js";
import { Tensor } from "./tensor.js";

/**
 * A tensor for a result that is written entirely before it is read: zeros, except inside
 * {@link withArena}, where a float32 one takes its memory from the arena without zero-filling it
 * (whatever a previous pass left there; NaN under {@link Arena.poisonUninitialized}). Ops use it for
 * outputs they overwrite element by element.
 *
 * @example
 * ```ts
 * const y = empty(x.shape); // then y.data[i] = f(x.data[i]) for every i
 * ```
 */
export function empty(shape: Shape, dtype: DType = "float32"): Tensor {
  checkDType("empty", dtype);
  return new Tensor(dtype, shape, allocateUninitialized(dtype, shapeSize(shape, "empty")));
}

/**
 * A tensor of zeros.
 *
 * @example
 * ```ts
 * zeros([2, 3]).shape; // [2, 3], float32
 * ```
 */
export function zeros(shape: Shape, dtype: DType = "float32"): Tensor {
  return new Tensor(dtype, shape);
}

/**
 * A tensor of ones.
 *
 * @example
 * ```ts
 * ones([2]).toArray(); // [1, 1]
 * ```
 */
export function ones(shape: Shape, dtype: DType = "float32"): Tensor {
  return full(shape, 1, dtype);
}

/**
 * A tensor with every element equal to `value`.
 *
 * @example
 * ```ts
 * full([2], 7).toArray(); // [7, 7]
 * ```
 */
export function full(shape: Shape, value: number, dtype: DType = "float32"): Tensor {
  return new Tensor(dtype, shape).fill(value);
}

/**
 * A zero tensor with the shape and dtype of another.
 *
 * @example
 * ```ts
 * zerosLike(x).shape; // x.shape
 * ```
 */
export function zerosLike(t: Tensor): Tensor {
  return new Tensor(t.dtype, t.shape);
}

/**
 * A tensor from nested arrays (shape inferred; ragged arrays are refused) or from a flat array or
 * typed array with an explicit shape.
 *
 * @example
 * ```ts
 * fromArray([[1, 2], [3, 4]]).shape;                  // [2, 2]
 * fromArray([1, 2, 3, 4, 5, 6], { shape: [2, 3] }).shape; // [2, 3]
 * ```
 */
export function fromArray(
  values: unknown,
  options: { shape?: Shape; dtype?: DType } = {},
): Tensor {
  const dtype = options.dtype ?? "float32";
  checkDType("fromArray", dtype);
  if (options.shape !== undefined) {
    if (!(ArrayBuffer.isView(values) || Array.isArray(values))) {
      throw new ArgumentError("fromArray", "with a shape, values must be a flat array or typed array");
    }
    const flat = values as ArrayLike<number>;
    const size = shapeSize(options.shape, "fromArray");
    if (flat.length !== size) {
      throw new ShapeError("fromArray", `${flat.length} values do not fill shape [${options.shape.join(",")}] (${size})`);
    }
    const data = allocate(dtype, size);
    for (let i = 0; i < size; i++) {
      const v = flat[i];
      if (typeof v !== "number") throw new ArgumentError("fromArray", `value ${i} is not a number`);
      data[i] = v;
    }
    return new Tensor(dtype, options.shape, data);
  }
  if (typeof values === "number") return new Tensor(dtype, [], allocate(dtype, 1).fill(values));
  const shape: number[] = [];
  let probe: unknown = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const data = allocate(dtype, shapeSize(shape, "fromArray"));
  let k = 0;
  const walk = (v: unknown, dim: number): void => {
    if (dim === shape.length) {
      if (typeof v !== "number") throw new ArgumentError("fromArray", "leaves must be numbers");
      data[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new ShapeError("fromArray", `ragged nested array at depth ${dim} (expected length ${shape[dim]})`);
    }
    for (const e of v) walk(e, dim + 1);
  };
  walk(values, 0);
  return new Tensor(dtype, shape, data);
}

/**
 * Standard-normal samples (mean 0, std 1 unless given) from a seeded {@link Rng}.
 *
 * @example
 * ```ts
 * randn([2, 3], new Rng(0)).shape; // [2, 3]
 * ```
 */
export function randn(
  shape: Shape,
  rng: Rng,
  options: { mean?: number; std?: number; dtype?: DType } = {},
): Tensor {
  const t = new Tensor(options.dtype ?? "float32", shape);
  rng.fillNormal(t.data, options.mean ?? 0, options.std ?? 1);
  return t;
}

/**
 * Uniform samples in `[low, high)` (default `[0, 1)`) from a seeded {@link Rng}.
 *
 * @example
 * ```ts
 * rand([4], new Rng(0), { low: -1, high: 1 });
 * ```
 */
export function rand(
  shape: Shape,
  rng: Rng,
  options: { low?: number; high?: number; dtype?: DType } = {},
): Tensor {
  const t = new Tensor(options.dtype ?? "float32", shape);
  rng.fillUniform(t.data, options.low ?? 0, options.high ?? 1);
  return t;
}

/**
 * A 1-D tensor `[start, start + step, ...]` up to but excluding `stop` (as `torch.arange`).
 *
 * @example
 * ```ts
 * arange(0, 5).toArray();       // [0, 1, 2, 3, 4]
 * arange(1, 2, 0.25).toArray(); // [1, 1.25, 1.5, 1.75]
 * ```
 */
export function arange(start: number, stop: number, step = 1, dtype: DType = "float32"): Tensor {
  if (!Number.isFinite(start) || !Number.isFinite(stop) || !Number.isFinite(step) || step === 0) {
    throw new ArgumentError("arange", `need finite start, stop and a non-zero step (got ${start}, ${stop}, ${step})`);
  }
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const t = new Tensor(dtype, [n]);
  for (let i = 0; i < n; i++) t.data[i] = start + i * step;
  return t;
}
