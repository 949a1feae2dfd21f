import { getBackend, setBackend, tsBackend } from "@unetkit/tensor";
import { afterEach, describe, expect, it } from "vitest";
import { initDefaultBackend } from "./init-default-backend.js";
import { installForTests } from "./install-for-tests.js";

afterEach(() => {
  setBackend(tsBackend);
});

describe("initDefaultBackend", () => {
  it("activates the wasm backend when it loads", async () => {
    const chosen = await initDefaultBackend({ threads: 1 });
    expect(chosen.kind).toBe("wasm");
    expect(getBackend()).toBe(chosen.backend);
    expect(getBackend().dtypes).toEqual(["float32"]);
    if (chosen.kind === "wasm") chosen.backend.dispose();
  });

  it("falls back to the TypeScript backend with a reason instead of throwing", async () => {
    const chosen = await initDefaultBackend({ threads: 1, module: new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]) });
    expect(chosen.kind).toBe("typescript");
    expect(getBackend()).toBe(tsBackend);
    if (chosen.kind === "typescript") expect(chosen.reason.length).toBeGreaterThan(0);
  });
});

describe("installForTests", () => {
  it("installs one wasm backend and re-installs it when replaced", async () => {
    const first = await installForTests({ threads: 1 });
    expect(getBackend()).toBe(first);
    setBackend(tsBackend);
    const second = await installForTests({ threads: 1 });
    expect(second).toBe(first);
    expect(getBackend()).toBe(first);
  });
});
