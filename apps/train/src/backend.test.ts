import { getBackend, setBackend, tsBackend } from "@unetkit/tensor";
import { afterEach, describe, expect, it } from "vitest";
import { chooseBackend } from "./backend.js";
import { UsageError } from "./usage-error.js";

afterEach(() => {
  const b = getBackend() as { dispose?: () => void };
  if (b !== tsBackend) b.dispose?.();
  setBackend(tsBackend);
});

describe("chooseBackend (--backend, --threads, --no-fma)", () => {
  it("--backend typescript activates the reference backend", async () => {
    expect(await chooseBackend({ backend: "typescript" })).toEqual({ name: "typescript" });
    expect(getBackend()).toBe(tsBackend);
  });

  it("wasm uses the fused multiply-add build by default (relaxed SIMD turned on in Node 20), --no-fma the plain one", async () => {
    const fused = await chooseBackend({ threads: "1" });
    expect(fused.name).toBe("wasm fma (1 thread)");
    expect(getBackend().name).toBe("wasm-simd-fma");
    (getBackend() as unknown as { dispose(): void }).dispose();
    const plain = await chooseBackend({ backend: "wasm", threads: "1", "no-fma": true });
    expect(plain.name).toBe("wasm (1 thread)");
    expect(getBackend().name).toBe("wasm-simd");
  });

  it("refuses unknown backends, bad thread counts and wasm-only flags on typescript with a UsageError", async () => {
    await expect(chooseBackend({ backend: "gpu" })).rejects.toThrow(UsageError);
    await expect(chooseBackend({ threads: "0" })).rejects.toThrow(/--threads must be an integer from 1 to 64/);
    await expect(chooseBackend({ backend: "typescript", threads: "2" })).rejects.toThrow(/--threads applies to the wasm backend only/);
    await expect(chooseBackend({ backend: "typescript", "no-fma": true })).rejects.toThrow(/--no-fma applies to the wasm backend only/);
  });
});
