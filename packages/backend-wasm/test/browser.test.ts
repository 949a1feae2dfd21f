// The backend in a real browser: Debian's Chromium (/usr/bin/chromium, installed by .ci/run when
// missing) driven by playwright-core, on a page bundled with esbuild from test/browser/page.ts and
// served from 127.0.0.1 with and without cross-origin isolation. With isolation the backend must
// start Web Workers (2 threads), split GEMMs and the fused conv kernels across them while the page's
// main thread spin-waits, and match both the TypeScript reference and the 1-thread backend bit for
// bit (and the same from a backend created inside a module Worker, which waits with Atomics.wait);
// without isolation it must fall back to 1 thread and still compute correctly. All pages load the
// kernels through the default path (fetch + compileStreaming of build/*.wasm next to the bundle).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import type { PageReport } from "./browser/page.js";

const CHROMIUM = process.env.UNETKIT_CHROMIUM ?? "/usr/bin/chromium";
const BUILD_DIR = fileURLToPath(new URL("../build/", import.meta.url));
const ENTRY = fileURLToPath(new URL("./browser/page.ts", import.meta.url));

const HTML = `<!doctype html><meta charset="utf-8"><title>unetkit backend-wasm</title><link rel="icon" href="data:,">
<script type="module" src="./bundle/page.js"></script>`;
/** A module worker running the same checks: a backend created off the main thread (it may Atomics.wait). */
const WORKER = `import "./page.js";
self.onmessage = async () => {
  try { self.postMessage(await globalThis.unetkitChecks()); } catch (e) { self.postMessage({ error: String(e && e.stack || e) }); }
};`;

let server: Server;
let origin: string;
let browser: Browser;
/** Paths the server answered, with their status. */
const served: { path: string; status: number }[] = [];

/**
 * Serves the page under /iso/ (with COOP same-origin + COEP require-corp: cross-origin isolated)
 * and /plain/ (no isolation headers): index.html, bundle/page.js, bundle/worker.js, and build/*.wasm from the
 * package's build directory, so the bundle's `new URL("../build/kernels*.wasm", import.meta.url)`
 * resolves to them just as a published package's dist/index.js does.
 */
function serve(bundle: Uint8Array): Promise<Server> {
  const s = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
      const m = /^\/(iso|plain)\/(index\.html|bundle\/page\.js|bundle\/worker\.js|build\/(kernels[a-z-]*\.wasm))$/.exec(path);
      let status = 404;
      let body: Uint8Array | string = "not found";
      let type = "text/plain";
      if (m) {
        if (m[2] === "index.html") [status, body, type] = [200, HTML, "text/html; charset=utf-8"];
        else if (m[2] === "bundle/page.js") [status, body, type] = [200, bundle, "text/javascript"];
        else if (m[2] === "bundle/worker.js") [status, body, type] = [200, WORKER, "text/javascript"];
        else if (m[3] && existsSync(BUILD_DIR + m[3])) [status, body, type] = [200, await readFile(BUILD_DIR + m[3]), "application/wasm"];
      }
      if (m?.[1] === "iso") {
        res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
        res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
      }
      served.push({ path, status });
      res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
      res.end(body);
    })().catch((e: unknown) => {
      res.writeHead(500).end(String(e));
    });
  });
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve(s)));
}

/**
 * Bundles the page, starts the server and launches Chromium, once; every test awaits it, so a
 * missing Chromium fails each test with the message below (never a skip).
 */
let started: Promise<void> | undefined;
const setup = () => (started ??= start());

async function start(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `browser test: Chromium not found at ${CHROMIUM}; install it with \`apt-get install -y chromium\` (the test command, tools/test.sh, does) or point UNETKIT_CHROMIUM at a Chromium binary`,
    );
  }
  const bundled = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    // workspace packages from their TypeScript sources, as the tests everywhere else
    conditions: ["@unetkit/source"],
    // the Node-only branches (fs, os, worker_threads) are dynamic imports never taken in a browser
    external: ["node:*"],
    logLevel: "silent",
  });
  server = await serve(bundled.outputFiles[0].contents);
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 20_000 });
}

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/**
 * Opens the page under `prefix`, runs its checks on the page's main thread (or, `inWorker`, in a
 * module Worker it starts), and returns the report; fails on any page error.
 */
async function runPage(prefix: "iso" | "plain", inWorker = false): Promise<PageReport> {
  await setup();
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 400) errors.push(`response ${r.status()}: ${r.url()}`);
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  try {
    await page.goto(`${origin}/${prefix}/index.html`);
    await page.waitForFunction(() => "unetkitChecks" in globalThis, undefined, { timeout: 10_000 });
    const report = inWorker
      ? await page.evaluate(
          () =>
            new Promise<PageReport>((resolve, reject) => {
              const worker = new Worker("./bundle/worker.js", { type: "module" });
              worker.onmessage = (e: MessageEvent<PageReport & { error?: string }>) =>
                e.data.error === undefined ? resolve(e.data) : reject(new Error(e.data.error));
              worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
              worker.postMessage(null);
            }),
        )
      : await page.evaluate(() => (globalThis as unknown as { unetkitChecks: () => Promise<PageReport> }).unetkitChecks());
    expect(errors).toEqual([]);
    return report;
  } finally {
    await page.close();
  }
}

const GEMM_NAMES = ["gemm 130x96x160", "gemm A^T 64x200x96 alpha 0.5 beta 1", "gemm B^T 100x90x120 beta -0.5", "gemm B^T 16x144x4096 (dW shape)"];
const CONV_NAMES = ["3x3 s1", "3x3 s2"].flatMap((label) => ["conv2dForward", "conv2dBackwardData", "conv2dBackwardWeight"].map((k) => `${k} ${label}`));

describe("wasm backend in Chromium", () => {
  it("cross-origin isolated: Web Worker threads, split GEMMs and conv kernels equal to 1 thread bit for bit and to TypeScript", async () => {
    served.length = 0;
    const report = await runPage("iso");
    expect(report.crossOriginIsolated).toBe(true);
    expect(report.callerCanWait).toBe(false); // so every split below was waited for by spinning
    expect(report.requestedTwoThreads).toBe(2);
    expect(report.defaultThreads).toBe(report.hardwareConcurrency);
    expect(report.name).toMatch(/^wasm-simd(-fma)?-2t$/);
    expect(report.comparisons.map((c) => c.name)).toEqual([...GEMM_NAMES, ...CONV_NAMES]);
    for (const c of report.comparisons) {
      expect({ name: c.name, ok: c.worstError <= 1 }).toEqual({ name: c.name, ok: true });
      expect({ name: c.name, sameBits: c.sameBitsAsOneThread }).toEqual({ name: c.name, sameBits: true });
    }
    // the GEMMs, the conv forward and input gradient (3 images over 2 threads), and the weight
    // gradients (16x144x1024 and 32x144x256 per image) are all big enough to split
    expect(report.comparisons.filter((c) => !c.split).map((c) => c.name)).toEqual([]);
    // loaded through the default fetch path: isolated, 1 thread runs on the shared build too (so
    // that tensors can live in its memory), and the single-threaded build is never fetched
    const shared = report.fma ? "kernels-relaxed-shared.wasm" : "kernels-shared.wasm";
    expect(served).toContainEqual({ path: `/iso/build/${shared}`, status: 200 });
    expect(served.filter((s) => s.path.endsWith(".wasm") && !/shared/.test(s.path))).toEqual([]);
    // tensors can live in the shared memory on 2 threads and on 1, and the kernels use them in place
    expect(report.blocks).toEqual([
      { threads: 2, available: true, sameBits: true },
      { threads: 1, available: true, sameBits: true },
    ]);
    // a deferred scope with the page's main thread spinning: two weight gradients and the work
    // items of two input gradients were queued, and the gradients are the bits of immediate ones
    expect(report.deferred).toEqual({ jobs: 4, sameBits: true });
  });

  it("cross-origin isolated, created inside a Worker: nested Web Workers, Atomics.wait, same results", async () => {
    const report = await runPage("iso", true);
    expect(report.crossOriginIsolated).toBe(true);
    expect(report.callerCanWait).toBe(true);
    expect(report.requestedTwoThreads).toBe(2);
    expect(report.blocks.map((b) => b.available && b.sameBits)).toEqual([true, true]);
    expect(report.deferred).toEqual({ jobs: 4, sameBits: true });
    expect(report.comparisons.map((c) => c.name)).toEqual([...GEMM_NAMES, ...CONV_NAMES]);
    for (const c of report.comparisons) {
      expect({ name: c.name, ok: c.worstError <= 1, sameBits: c.sameBitsAsOneThread, split: c.split }).toEqual({ name: c.name, ok: true, sameBits: true, split: true });
    }
  });

  it("not isolated: falls back to 1 thread (asked for 2 or by default) and still matches TypeScript", async () => {
    served.length = 0;
    const report = await runPage("plain");
    expect(report.crossOriginIsolated).toBe(false);
    expect(report.requestedTwoThreads).toBe(1);
    expect(report.defaultThreads).toBe(1);
    expect(report.name).toMatch(/^wasm-simd(-fma)?$/);
    expect(report.comparisons.map((c) => c.name)).toEqual([...GEMM_NAMES, ...CONV_NAMES]);
    for (const c of report.comparisons) {
      expect({ name: c.name, ok: c.worstError <= 1, split: c.split }).toEqual({ name: c.name, ok: true, split: false });
    }
    expect(served.filter((s) => s.path.endsWith(".wasm")).map((s) => s.status)).toContain(200);
    expect(served.some((s) => /shared/.test(s.path))).toBe(false);
    // no shared memory, so no blocks: an arena falls back to ordinary arrays
    expect(report.blocks).toEqual([{ threads: 1, available: false, sameBits: null }]);
    expect(report.deferred).toBe(null);
  });
});
