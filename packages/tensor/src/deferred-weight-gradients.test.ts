import { describe, expect, it } from "vitest";
import { tsBackend, withBackend } from "./backend-registry.js";
import type { KernelBackend } from "./backend.js";
import { withDeferredWeightGradients } from "./deferred-weight-gradients.js";

/** A backend that records its scope calls (the kernels are the TypeScript ones). */
function recording(endThrows = false): KernelBackend & { log: string[] } {
  const log: string[] = [];
  return {
    ...tsBackend,
    name: "recording",
    log,
    beginDeferred: () => void log.push("begin"),
    endDeferred: () => {
      log.push("end");
      if (endThrows) throw new Error("end failed");
    },
  };
}

describe("withDeferredWeightGradients", () => {
  it("opens the active backend's scope around fn, closes it after, and returns fn's result", () => {
    const b = recording();
    const result = withBackend(b, () => withDeferredWeightGradients(() => (b.log.push("fn"), 42)));
    expect(result).toBe(42);
    expect(b.log).toEqual(["begin", "fn", "end"]);
  });

  it("closes the scope when fn throws, and reports fn's error even if closing fails too", () => {
    const b = recording();
    expect(() => withBackend(b, () => withDeferredWeightGradients(() => { throw new Error("fn failed"); }))).toThrow("fn failed");
    expect(b.log).toEqual(["begin", "end"]);
    const c = recording(true);
    expect(() => withBackend(c, () => withDeferredWeightGradients(() => { throw new Error("fn failed"); }))).toThrow("fn failed");
    expect(c.log).toEqual(["begin", "end"]);
  });

  it("reports a failure to close after fn succeeded", () => {
    const b = recording(true);
    expect(() => withBackend(b, () => withDeferredWeightGradients(() => 1))).toThrow("end failed");
  });

  it("just runs fn on a backend without the scope", () => {
    expect(withBackend(tsBackend, () => withDeferredWeightGradients(() => "ran"))).toBe("ran");
  });
});
