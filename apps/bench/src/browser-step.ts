/**
 * The SimpleUNet training step in a real browser (not a test): Debian's Chromium (`/usr/bin/chromium`,
 * or UNETKIT_CHROMIUM) driven by playwright-core, on a page bundled with esbuild from
 * src/browser/step-page.ts and served from 127.0.0.1 cross-origin isolated, so the wasm backend can
 * start Web Workers over shared memory. Times the step on 1 and 2 threads, on the page's main thread
 * and in a module Worker, and prints the medians:
 *
 *   npx tsx --conditions=@unetkit/source src/browser-step.ts [--steps 30] [--rounds 3]
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import type { StepReport } from "./browser/step-page.js";

const CHROMIUM = process.env.UNETKIT_CHROMIUM ?? "/usr/bin/chromium";
const ENTRY = fileURLToPath(new URL("./browser/step-page.ts", import.meta.url));
const WASM_DIR = fileURLToPath(new URL("../../../packages/backend-wasm/build/", import.meta.url));

async function main(argv: string[]): Promise<void> {
  let steps = 30;
  let rounds = 3;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--steps") steps = Number(argv[++i]);
    else if (argv[i] === "--rounds") rounds = Number(argv[++i]);
    else if (argv[i] !== "--") throw new Error(`browser-step: unknown argument ${argv[i]}`);
  }
  if (!(Number.isInteger(steps) && Number.isInteger(rounds) && rounds >= 1 && steps >= rounds && steps % rounds === 0)) {
    throw new Error(`browser-step: --steps must be a positive multiple of --rounds (got ${steps}, ${rounds})`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`browser-step: Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set UNETKIT_CHROMIUM)`);
  const bundled = await build({
    entryPoints: [ENTRY], bundle: true, format: "esm", platform: "browser", target: "es2022", write: false,
    conditions: ["@unetkit/source"], external: ["node:*"], logLevel: "silent",
  });
  const bundle = bundled.outputFiles[0].contents;
  const html = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="./bundle/page.js"></script>`;
  // the bundle's `new URL("../build/kernels*.wasm", import.meta.url)` resolves to /build/ next to /bundle/
  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
      const wasm = /^\/build\/(kernels[a-z-]*\.wasm)$/.exec(path);
      let body: Uint8Array | string = "not found";
      let type = "text/plain";
      let status = 200;
      if (path === "/index.html") [body, type] = [html, "text/html; charset=utf-8"];
      else if (path === "/bundle/page.js") [body, type] = [bundle, "text/javascript"];
      else if (wasm && existsSync(WASM_DIR + wasm[1])) [body, type] = [await readFile(WASM_DIR + wasm[1]), "application/wasm"];
      else status = 404;
      res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
      res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
      res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
      res.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${origin}/index.html`);
    await page.waitForFunction(() => "unetkitStep" in globalThis, undefined, { timeout: 20_000 });
    const reports: StepReport[] = [];
    reports.push(await page.evaluate(([s, r]) => (globalThis as unknown as { unetkitStep: (s: number, r: number) => Promise<StepReport> }).unetkitStep(s, r), [steps, rounds] as const));
    reports.push(
      await page.evaluate(
        ([s, r]) =>
          new Promise<StepReport>((resolve, reject) => {
            const worker = new Worker("./bundle/page.js", { type: "module" });
            worker.onmessage = (e: MessageEvent<StepReport & { error?: string }>) => (e.data.error === undefined ? resolve(e.data) : reject(new Error(e.data.error)));
            worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
            worker.postMessage({ steps: s, rounds: r });
          }),
        [steps, rounds] as const,
      ),
    );
    if (errors.length) throw new Error(`browser-step: page errors: ${errors.join("; ")}`);
    console.log(`Chromium: ${reports[0].userAgent}; cross-origin isolated: ${reports[0].crossOriginIsolated}; ${steps} timed steps per backend in ${rounds} alternating rounds`);
    console.log("SimpleUNet training step (batch 8, 64x64, base 16), wasm backend, median / min ms:");
    for (const r of reports) {
      const [one, two] = r.timings;
      console.log(
        `  ${r.inWorker ? "module Worker " : "page main thread"}: ${one.backend} ${one.medianMs.toFixed(1)} / ${one.minMs.toFixed(1)}, ` +
          `${two.backend} (${two.threads} threads) ${two.medianMs.toFixed(1)} / ${two.minMs.toFixed(1)}: ${(one.medianMs / two.medianMs).toFixed(2)}x; ` +
          `same training on both: ${r.parameterSums[0] === r.parameterSums[1]}`,
      );
    }
  } finally {
    await browser.close();
    server.close();
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
