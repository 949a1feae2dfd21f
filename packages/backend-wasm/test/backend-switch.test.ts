import { getBackend } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";

// The repo-wide switch (vitest.shared.ts + tools/vitest-backend-setup.ts): with UNETKIT_BACKEND=wasm
// every test file starts on the wasm backend, otherwise on the TypeScript reference backend.
describe("UNETKIT_BACKEND test switch", () => {
  it("starts the test file on the backend the environment names", () => {
    if (process.env.UNETKIT_BACKEND === "wasm") expect(getBackend().name).toMatch(/^wasm-simd/);
    else expect(getBackend().name).toBe("typescript");
  });
});
