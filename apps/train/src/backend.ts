import { initDefaultBackend } from "@unetkit/backend-wasm";
import { getBackend, setBackend, tsBackend } from "@unetkit/tensor";
import { UsageError } from "./usage-error.js";

/** `--backend` and `--threads`, shared by every command. */
export const BACKEND_FLAGS = {
  backend: { type: "string", help: "wasm (default; falls back to typescript if it cannot load) or typescript" },
  threads: { type: "string", help: "wasm threads (default: the machine's cores)" },
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
    setBackend(tsBackend);
    return { name: "typescript" };
  }
  const chosen = await initDefaultBackend(threads === undefined ? {} : { threads });
  if (chosen.kind === "typescript") return { name: "typescript", note: `wasm backend unavailable (${chosen.reason}); using the TypeScript backend` };
  return { name: `wasm (${chosen.backend.threads} thread${chosen.backend.threads === 1 ? "" : "s"})` };
}

/** The active backend's name (for reports). */
export function backendName(): string {
  return getBackend().name;
}
