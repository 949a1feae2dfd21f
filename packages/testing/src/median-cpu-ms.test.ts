import { describe, expect, it } from "vitest";
import { formatRow, medianCpuMs } from "./median-cpu-ms.js";

describe("medianCpuMs", () => {
  it("warms up, then times at least 5 and at most maxSamples calls", () => {
    let calls = 0;
    const ms = medianCpuMs(() => void calls++, { budgetMs: 0, warmupCalls: 2 });
    expect(calls).toBe(7);
    expect(ms).toBeGreaterThanOrEqual(0);
    calls = 0;
    medianCpuMs(() => void calls++, { budgetMs: 1e6, warmupCalls: 0, maxSamples: 12 });
    expect(calls).toBe(12);
  });
});

describe("formatRow", () => {
  it("right-aligns every cell to its width", () => {
    expect(formatRow(["shape", 1.5], [8, 6])).toBe("   shape     1.5");
  });
});
