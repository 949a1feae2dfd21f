import { setBackend, tsBackend, type KernelBackend } from "@unetkit/tensor";
import { createWasmBackend, type WasmBackend, type WasmBackendOptions } from "./wasm-backend.js";

/** What {@link initDefaultBackend} chose. */
export type DefaultBackendResult =
  | { kind: "wasm"; backend: WasmBackend }
  | { kind: "typescript"; backend: KernelBackend; reason: string };

/**
 * Makes the fastest available backend the active one: the wasm backend when WebAssembly SIMD loads
 * here (float32 then runs in wasm, float64 stays on TypeScript), otherwise the TypeScript backend.
 * Never throws for an unavailable wasm: the reason is returned. Call `dispose()` on a returned wasm
 * backend to stop its worker threads (they never keep the process alive).
 *
 * @example
 * ```ts
 * const chosen = await initDefaultBackend({ threads: 2 });
 * if (chosen.kind === "typescript") console.warn(`wasm unavailable: ${chosen.reason}`);
 * ```
 */
export async function initDefaultBackend(options: WasmBackendOptions = {}): Promise<DefaultBackendResult> {
  let backend: WasmBackend;
  try {
    backend = await createWasmBackend(options);
  } catch (e) {
    setBackend(tsBackend);
    return { kind: "typescript", backend: tsBackend, reason: e instanceof Error ? e.message : String(e) };
  }
  setBackend(backend);
  return { kind: "wasm", backend };
}
