import { enableRelaxedSimd, initDefaultBackend } from "@unetkit/backend-wasm";
import { getBackend, setBackend, tsBackend } from "@unetkit/tensor";
import { UsageError } from "./usage-error.js";

/** `--backend` and `--threads`, shared by every command. */
export const BACKEND_FLAGS = {
  backend: { type: "string", help: "wasm (default; falls back to typescript if it cannot load) or typescript" },
  threads: { type: "string", help: "wasm threads (default: the machine's cores)" },
  "no-fma": {
    type: "boolean",
    help: "wasm: use the plain SIMD GEMM (default: the fused multiply-add one, via WebAssembly relaxed SIMD, when the engine has it; Node 20 gets it by a V8 flag set at startup)",
  },
} as const;

/**
 * Activates the kernel backend a command asked for: the WebAssembly backend by default (falling
 * back to the TypeScript reference with the reason when it cannot load), or TypeScript. Returns a
 * one-line description for the run's output.
 */
export async function chooseBackend(values: Record<string, unknown>): Promise<{ name: string; note?: string }> {
  const kind = values.backend ?? "wasm";
  if (kind !== "wasm" && kind !== "typescript") throw new UsageError(`--backend must be wasm or typescript (got ${String(kind)})`);
  let threads: number | undefined;
  if (values.threads !== undefined) {
    threads = Number(values.threads);
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UsageError(`--threads must be an integer from 1 to 64 (got ${String(values.threads)})`);
    if (kind === "typescript") throw new UsageError("--threads applies to the wasm backend only");
  }
  if (kind === "typescript") {
    if (values["no-fma"] === true) throw new UsageError("--no-fma applies to the wasm backend only");
    setBackend(tsBackend);
    return { name: "typescript" };
  }
  // relaxed SIMD is standard WebAssembly (on by default from Node 22); Node 20 has it behind a flag
  const fma = values["no-fma"] === true ? false : await enableRelaxedSimd();
  const chosen = await initDefaultBackend({ fma, ...(threads === undefined ? {} : { threads }) });
  if (chosen.kind === "typescript") return { name: "typescript", note: `wasm backend unavailable (${chosen.reason}); using the TypeScript backend` };
  const b = chosen.backend;
  return { name: `wasm${b.fma ? " fma" : ""} (${b.threads} thread${b.threads === 1 ? "" : "s"})` };
}

/** The active backend's name (for reports). */
export function backendName(): string {
  return getBackend().name;
}
