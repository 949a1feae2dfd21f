// vitest setup file (added by vitest.shared.ts when UNETKIT_BACKEND is set): runs a package's suite
// on the kernel backend it names. `UNETKIT_BACKEND=wasm` builds @unetkit/backend-wasm's .wasm if
// missing and makes the wasm backend active before each test file (threads: UNETKIT_WASM_THREADS,
// default 1; its fused multiply-add build, as the CLI runs it, unless UNETKIT_WASM_FMA=0). The package is imported by its path in this monorepo, so no package needs it as a
// dependency. `typescript` (the default) changes nothing.
const which = process.env.UNETKIT_BACKEND;
if (which === "wasm") {
  const { buildWasm } = await import("../packages/backend-wasm/scripts/build-wasm.mjs");
  buildWasm();
  const { enableRelaxedSimd, installForTests } = await import("../packages/backend-wasm/src/index.ts");
  if (process.env.UNETKIT_WASM_FMA !== "0" && !(await enableRelaxedSimd())) {
    throw new Error("UNETKIT_BACKEND=wasm: this engine has no WebAssembly relaxed SIMD (set UNETKIT_WASM_FMA=0 for the plain build)");
  }
  await installForTests();
} else if (which !== undefined && which !== "" && which !== "typescript") {
  throw new Error(`UNETKIT_BACKEND=${which}: expected "wasm" or "typescript"`);
}
