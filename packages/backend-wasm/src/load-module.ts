/** Which build of the kernels: `"single"` owns its memory; `"shared"` imports a shared memory for threads. */
export type KernelsFlavor = "single" | "shared";

const FILES: Record<KernelsFlavor, string> = { single: "kernels.wasm", shared: "kernels-shared.wasm" };

/** True when running in Node.js (not a browser or a web worker). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === "string";
}

/**
 * Compiles one build of the kernels module. In Node it reads `build/<file>.wasm` beside the package
 * (`new URL("../build/...", import.meta.url)`, the same relative path from `src/` and `dist/`; from a
 * source checkout with no build yet it runs `scripts/build-wasm.mjs` first); in a
 * browser it streams it with `fetch` (bundlers that understand `new URL(..., import.meta.url)` copy
 * the file). Pass `source` (bytes or a compiled module) to bypass both.
 *
 * @example
 * ```ts
 * const module = await loadKernelsModule("single");
 * ```
 */
export async function loadKernelsModule(
  flavor: KernelsFlavor,
  source?: BufferSource | WebAssembly.Module,
): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source) return WebAssembly.compile(source);
  const url = flavor === "single" ? new URL("../build/kernels.wasm", import.meta.url) : new URL("../build/kernels-shared.wasm", import.meta.url);
  if (isNode()) {
    const { readFile } = await import("node:fs/promises");
    let bytes: Uint8Array;
    try {
      bytes = await readFile(url).catch(async (e: unknown) => {
        // running from a source checkout before any build: compile the .wasm now (the build script
        // is not in the published package, where the .wasm ships instead)
        if ((e as { code?: string }).code !== "ENOENT") throw e;
        const script = new URL("../scripts/build-wasm.mjs", import.meta.url).href;
        const built = await import(/* @vite-ignore */ script).catch(() => null);
        if (!built) throw e;
        built.buildWasm();
        return readFile(url);
      });
    } catch (e) {
      throw new Error(
        `@unetkit/backend-wasm: cannot read ${FILES[flavor]} (${(e as Error).message}); ` +
          "build it with `node packages/backend-wasm/scripts/build-wasm.mjs` (or `pnpm --filter @unetkit/backend-wasm build`)",
      );
    }
    return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  }
  const response = fetch(url);
  if (typeof WebAssembly.compileStreaming === "function") {
    try {
      return await WebAssembly.compileStreaming(response);
    } catch {
      // wrong MIME type from the server: fall back to bytes
    }
  }
  const r = await response;
  if (!r.ok) throw new Error(`@unetkit/backend-wasm: fetching ${url.href} failed with ${r.status}`);
  return WebAssembly.compile(await r.arrayBuffer());
}
