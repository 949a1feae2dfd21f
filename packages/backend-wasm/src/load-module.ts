/**
 * Which build of the kernels: `"single"` owns its memory; `"shared"` imports a shared memory for
 * threads; the `"relaxed"` variants are the same with relaxed SIMD (fused multiply-add in the GEMM),
 * for engines that support it (see {@link relaxedSimdSupported}).
 */
export type KernelsFlavor = "single" | "shared" | "relaxed" | "relaxed-shared";

const FILES: Record<KernelsFlavor, string> = {
  single: "kernels.wasm",
  shared: "kernels-shared.wasm",
  relaxed: "kernels-relaxed.wasm",
  "relaxed-shared": "kernels-relaxed-shared.wasm",
};

/** The URL of one build beside the package (literal `new URL` calls, so bundlers find the files). */
function kernelsUrl(flavor: KernelsFlavor): URL {
  switch (flavor) {
    case "single":
      return new URL("../build/kernels.wasm", import.meta.url);
    case "shared":
      return new URL("../build/kernels-shared.wasm", import.meta.url);
    case "relaxed":
      return new URL("../build/kernels-relaxed.wasm", import.meta.url);
    case "relaxed-shared":
      return new URL("../build/kernels-relaxed-shared.wasm", import.meta.url);
    default:
      throw new Error(`@unetkit/backend-wasm: unknown kernels flavor ${String(flavor)}`);
  }
}

/** A minimal module whose one function is `f32x4.relaxed_madd` on its three v128 parameters. */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // body
]);

/**
 * Whether this engine compiles relaxed SIMD (`f32x4.relaxed_madd`): on by default from V8 11.4
 * (Chrome 114, Node 22), behind `--experimental-wasm-relaxed-simd` in Node 20 (see
 * {@link enableRelaxedSimd}).
 *
 * @example
 * ```ts
 * relaxedSimdSupported(); // false on a bare Node 20, true on Node 22
 * ```
 */
export function relaxedSimdSupported(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(RELAXED_PROBE);
}

/**
 * Turns on relaxed SIMD in Node 20, where V8 ships it behind `--experimental-wasm-relaxed-simd`
 * (`v8.setFlagsFromString`, process-wide; call it at startup, before any other WebAssembly is
 * compiled). A no-op where the engine already has it, and in browsers. Returns
 * {@link relaxedSimdSupported} afterwards. Applications call this; the library never sets V8 flags
 * on its own.
 *
 * @example
 * ```ts
 * await enableRelaxedSimd();
 * const backend = await createWasmBackend(); // picks the fused multiply-add build
 * ```
 */
export async function enableRelaxedSimd(): Promise<boolean> {
  if (relaxedSimdSupported() || !isNode()) return relaxedSimdSupported();
  const v8 = await import("node:v8");
  v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  return relaxedSimdSupported();
}

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
 * const fused = await loadKernelsModule("relaxed"); // needs relaxedSimdSupported()
 * ```
 */
export async function loadKernelsModule(
  flavor: KernelsFlavor,
  source?: BufferSource | WebAssembly.Module,
): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source) return WebAssembly.compile(source);
  const url = kernelsUrl(flavor);
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
