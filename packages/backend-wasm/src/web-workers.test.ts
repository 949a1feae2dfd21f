import { describe, expect, it } from "vitest";
import { webWorkerSource } from "./web-worker-source.js";
import { atomicsWaitAllowed, defaultWebThreads, webThreadsAvailable } from "./web-workers.js";
import { WORKER_SOURCE } from "./worker-source.js";

// The Web Worker path itself runs in Chromium (test/browser.test.ts); these check the parts that
// can be checked in Node, so a change to worker-source.ts that breaks the derivation shows here too.
describe("web workers (Node side)", () => {
  it("derives a browser worker source that parses, has no Node APIs, and keeps the Node loop verbatim", () => {
    const src = webWorkerSource();
    expect(() => new Function(src)).not.toThrow();
    expect(src).not.toMatch(/require\(|workerData|parentPort/);
    expect(src).toContain("self.onmessage");
    const loop = WORKER_SOURCE.slice(WORKER_SOURCE.indexOf("for (;;)"));
    expect(src).toContain(loop);
  });

  it("reports Node as able to block in Atomics.wait and as no browser context", () => {
    expect(atomicsWaitAllowed()).toBe(true);
    expect(webThreadsAvailable()).toBe(false);
    expect(defaultWebThreads()).toBeGreaterThanOrEqual(1);
  });
});
