import { afterAll, beforeAll, expect } from "vitest";
import { enableRelaxedSimd } from "../src/load-module.js";
import { createWasmBackend, type WasmBackend } from "../src/wasm-backend.js";

/** The backends a test compares, on one build (plain SIMD or fused multiply-add). */
export interface BuildBackends {
  /** 1 thread, Winograd on (the default). */
  one: WasmBackend;
  /** 2 threads, Winograd on. */
  two: WasmBackend;
  /** 1 thread, `winograd: false`: always the direct kernels. */
  direct: WasmBackend;
}

/**
 * Registers the suite's `beforeAll` / `afterAll` that create and dispose the {@link BuildBackends} of
 * the plain SIMD and the fused multiply-add build, and returns the record they fill (read it inside
 * tests, not at module level). Node 20 has relaxed SIMD behind a V8 flag, so the fma build is
 * tested wherever it can run.
 *
 * @example
 * ```ts
 * const builds = useBothBuilds();
 * it("...", () => { const { one, two } = builds.fma; });
 * ```
 */
export function useBothBuilds(): Record<"plain" | "fma", BuildBackends> {
  const builds = {} as Record<"plain" | "fma", BuildBackends>;
  beforeAll(async () => {
    expect(await enableRelaxedSimd()).toBe(true);
    for (const fma of [false, true]) {
      builds[fma ? "fma" : "plain"] = {
        one: await createWasmBackend({ threads: 1, fma }),
        two: await createWasmBackend({ threads: 2, fma }),
        direct: await createWasmBackend({ threads: 1, fma, winograd: false }),
      };
    }
  });
  afterAll(() => {
    for (const b of Object.values(builds)) for (const backend of Object.values(b)) backend.dispose();
  });
  return builds;
}
