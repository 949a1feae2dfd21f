/**
 * GEMM benchmark of the wasm backend (not a test): GFLOP/s of the TypeScript backend, the wasm
 * backend on 1 thread and on 2 threads, float32, at 256^3 and the conv shapes (forward and the two
 * backward variants), median of `--runs` timed runs (default 7) after a warm-up; wall-clock and
 * CPU-time GFLOP/s (the CPU figure is less sensitive to other processes on the machine). Writes
 * bench-results/gemm-wasm.json at the repo root.
 *
 *   pnpm --filter @unetkit/backend-wasm bench [-- --runs 9] [--quick] [--no-ts]
 *
 * Uses `runGemmBench` of @unetkit/tensor's GEMM benchmark, so both print the same table.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { tsBackend, type KernelBackend } from "@unetkit/tensor";
import { defaultShapes, formatGemmTable, runGemmBench } from "../../tensor/bench/gemm.bench.js";
import { buildWasm } from "../scripts/build-wasm.mjs";
import { createWasmBackend } from "../src/index.js";

async function main(argv: string[]): Promise<void> {
  let runs = 7;
  let quick = false;
  let withTs = true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--runs") runs = Number(argv[++i]);
    else if (argv[i] === "--quick") quick = true;
    else if (argv[i] === "--no-ts") withTs = false;
    else if (argv[i] !== "--") throw new Error(`gemm-wasm bench: unknown argument ${argv[i]}`);
  }
  buildWasm();
  const one = await createWasmBackend({ threads: 1 });
  const two = await createWasmBackend({ threads: 2 });
  const backends: KernelBackend[] = [one, two];
  if (withTs) backends.push(tsBackend);
  console.log(`wasm GEMM benchmark: node ${process.version}, float32, ${runs} timed runs per cell (median)`);
  const rows = runGemmBench(backends, {
    runs,
    dtypes: ["float32"],
    shapes: defaultShapes(!quick),
    onRow: (r) => console.error(`  ${r.backend} ${r.m}x${r.k}x${r.n} ${r.label}: ${r.gflops.toFixed(2)} GFLOP/s (cpu ${r.gflopsCpu?.toFixed(2)})`),
  });
  one.dispose();
  two.dispose();
  console.log(formatGemmTable(rows));
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
  const out = resolve(root, "bench-results", "gemm-wasm.json");
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ benchmark: "gemm-wasm", date: new Date().toISOString(), node: process.version, runs, rows }, null, 2) + "\n");
  renameSync(tmp, out);
  console.log(`wrote ${out}`);
}

void main(process.argv.slice(2));
