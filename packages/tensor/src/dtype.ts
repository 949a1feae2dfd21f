import { activeArena } from "./arena.js";
import { ArgumentError } from "./errors.js";

/** Element types a {@link Tensor} can hold. */
export type DType = "float32" | "float64";

/** The typed array behind a tensor of either dtype. */
export type TypedArray = Float32Array | Float64Array;

/**
 * Allocates a zero-filled typed array of the given dtype and length. Inside {@link withArena}, a
 * float32 array is a view into the arena's memory (valid until its next reset).
 *
 * @example
 * ```ts
 * allocate("float32", 4); // Float32Array [0, 0, 0, 0]
 * ```
 */
export function allocate(dtype: DType, length: number): TypedArray {
  if (dtype === "float32") {
    const arena = activeArena();
    return arena === null ? new Float32Array(length) : arena.allocateFloat32(length);
  }
  if (dtype === "float64") return new Float64Array(length);
  throw new ArgumentError("allocate", `unknown dtype ${String(dtype)} (expected float32 or float64)`);
}

/**
 * Allocates a typed array of the given dtype and length whose contents the caller overwrites
 * entirely before reading any: zero-filled like {@link allocate}, except inside {@link withArena},
 * where a float32 array is taken from the arena without being zero-filled.
 *
 * @example
 * ```ts
 * const y = allocateUninitialized("float32", n); for (let i = 0; i < n; i++) y[i] = f(i);
 * ```
 */
export function allocateUninitialized(dtype: DType, length: number): TypedArray {
  if (dtype === "float32") {
    const arena = activeArena();
    if (arena !== null) return arena.allocateFloat32(length, false);
  }
  return allocate(dtype, length);
}

/**
 * The dtype of a typed array.
 *
 * @example
 * ```ts
 * dtypeOf(new Float64Array(2)); // "float64"
 * ```
 */
export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  throw new ArgumentError("dtypeOf", "data must be a Float32Array or a Float64Array");
}

/**
 * Checks that a value names a supported dtype.
 *
 * @example
 * ```ts
 * checkDType("Conv2D", "float32"); // ok
 * ```
 */
export function checkDType(op: string, dtype: unknown): asserts dtype is DType {
  if (dtype !== "float32" && dtype !== "float64") {
    throw new ArgumentError(op, `unknown dtype ${String(dtype)} (expected float32 or float64)`);
  }
}
