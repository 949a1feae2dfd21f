import { getBackend } from "./backend-registry.js";

/**
 * Runs `fn` in a scope of the active backend where convolution weight gradients may finish on
 * another thread while `fn` goes on (see {@link KernelBackend.beginDeferred}); returns `fn`'s
 * result once every one of them is in its `dW`. On a backend without the scope (the TypeScript
 * backend, or the wasm backend on one thread) it just runs `fn`. Inside `fn`, the input, output
 * gradient and weight gradient of every convolution backward must be left as they are until the
 * scope ends: a backward pass over a network's layers keeps that rule by itself, as long as
 * nothing reads a parameter's gradient before the pass returns. If `fn` throws, the scope still
 * ends (the gradients are then unspecified, as after any failed backward) and `fn`'s error is
 * rethrown.
 *
 * @example
 * ```ts
 * const dx = withDeferredWeightGradients(() => model.backward(dLogits)); // every grad is in place here
 * ```
 */
export function withDeferredWeightGradients<T>(fn: () => T): T {
  const backend = getBackend();
  if (backend.beginDeferred === undefined || backend.endDeferred === undefined) return fn();
  backend.beginDeferred();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    try {
      backend.endDeferred();
    } catch {
      // fn's error is the one to report
    }
    throw e;
  }
  backend.endDeferred();
  return result;
}
