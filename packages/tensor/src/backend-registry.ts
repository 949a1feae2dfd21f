import type { KernelBackend } from "./backend.js";
import type { DType } from "./dtype.js";
import { ArgumentError } from "./errors.js";
import { gemmTs } from "./gemm-ts.js";

/**
 * The TypeScript reference backend: every kernel in plain TypeScript, float32 and float64. It is
 * always available and is what other backends are tested against.
 */
export const tsBackend: KernelBackend = Object.freeze({
  name: "typescript",
  dtypes: Object.freeze(["float32", "float64"] as const),
  gemm: gemmTs,
});

let active: KernelBackend = tsBackend;

/**
 * Makes a backend the active one for every op in this process (or browser tab). Returns the one it
 * replaces.
 *
 * @example
 * ```ts
 * const previous = setBackend(wasmBackend);
 * ```
 */
export function setBackend(backend: KernelBackend): KernelBackend {
  if (!backend || typeof backend.gemm !== "function" || !Array.isArray(backend.dtypes)) {
    throw new ArgumentError("setBackend", "not a KernelBackend (needs name, dtypes and gemm)");
  }
  const previous = active;
  active = backend;
  return previous;
}

/** The active backend. */
export function getBackend(): KernelBackend {
  return active;
}

/**
 * The backend that runs kernels for a dtype: the active one if it supports the dtype, otherwise the
 * TypeScript reference backend (float64 always runs there unless a backend claims it).
 *
 * @example
 * ```ts
 * backendFor("float64").name; // "typescript"
 * ```
 */
export function backendFor(dtype: DType): KernelBackend {
  return active.dtypes.includes(dtype) ? active : tsBackend;
}

/**
 * Runs `fn` with `backend` active and restores the previous one afterwards (also on throw). For
 * tests that run one suite on every backend.
 *
 * @example
 * ```ts
 * withBackend(tsBackend, () => conv.forward(x));
 * ```
 */
export function withBackend<T>(backend: KernelBackend, fn: () => T): T {
  const previous = setBackend(backend);
  try {
    return fn();
  } finally {
    setBackend(previous);
  }
}
