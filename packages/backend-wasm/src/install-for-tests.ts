import { getBackend, setBackend } from "@unetkit/tensor";
import { createWasmBackend, type WasmBackend } from "./wasm-backend.js";

let installed: WasmBackend | undefined;

/**
 * Makes the wasm backend the active one for a test run, so a package's whole suite runs its
 * float32 kernels in wasm. Unlike {@link initDefaultBackend} it throws when wasm cannot load (a suite
 * asked to run on wasm must not silently run on TypeScript). Threads: `UNETKIT_WASM_THREADS`
 * (default 1). Used by the repo's vitest setup when `UNETKIT_BACKEND=wasm`; idempotent.
 *
 * @example
 * ```ts
 * // vitest setupFile
 * await installForTests();
 * ```
 */
export async function installForTests(options: { threads?: number } = {}): Promise<WasmBackend> {
  if (installed && getBackend() === installed) return installed;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const threads = options.threads ?? (env?.UNETKIT_WASM_THREADS ? Number(env.UNETKIT_WASM_THREADS) : 1);
  installed ??= await createWasmBackend({ threads });
  setBackend(installed);
  return installed;
}
