/**
 * The unetkit benchmark (a script, never a test): SimpleUNet (base 16, batch 8, 64x64, 1 input
 * channel, 3 classes, nearest upsampling, BatchNorm) training step and inference on every unetkit
 * backend (TypeScript reference, WebAssembly on 1 and 2 threads) and on TensorFlow.js 4.22 (wasm
 * and cpu backends, the same architecture in tfjs-layers), timed in interleaved rounds in one
 * process; then GEMM GFLOP/s at the convolution shapes. Prints the tables and ratios and writes
 * everything to bench-results/bench.json at the repo root.
 *
 *   pnpm --filter @unetkit/bench bench               # full run (several minutes: tfjs cpu is slow)
 *   pnpm --filter @unetkit/bench bench -- --quick    # fewer runs
 *   pnpm --filter @unetkit/bench bench -- --help
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createWasmBackend, enableRelaxedSimd, type WasmBackend } from "@unetkit/backend-wasm";
import { tsBackend } from "@unetkit/tensor";
import { defaultShapes, formatGemmTable, runGemmBench, type GemmBenchRow } from "../../../packages/tensor/bench/gemm.bench.js";
import { buildWasm } from "../../../packages/backend-wasm/scripts/build-wasm.mjs";
import { formatConvKernelTable, profileConvKernels, type ConvKernelRow } from "./conv-profile.js";
import { median, runInterleaved, type Measurement, type Workload } from "./measure.js";
import { USAGE, parseOptions, sameCounts, type BenchOptions } from "./options.js";
import { computeRatios, formatGemmTarget, formatMeasurements, formatRatios, formatTargets, ISSUE_REFERENCES } from "./report.js";
import { runTfjsGemm, type TfjsGemmRow } from "./tfjs-gemm.js";
import { tfjsFacts, tfjsWorkloads } from "./tfjs-workloads.js";
import { unetkitWorkloads, type UnetkitBackendCase } from "./unetkit-workloads.js";
import { PROBLEM, makeBenchData } from "./workload-data.js";

const log = (line: string) => console.error(line);

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus[0]?.model ?? "unknown",
    cores: os.availableParallelism?.() ?? cpus.length,
    loadavg: os.loadavg(),
  };
}

/** GFLOP/s of each multi-thread wasm backend over the 1-thread one of the same build, per shape. */
function gemmSpeedups(rows: readonly GemmBenchRow[], backends: readonly WasmBackend[]): { shape: string; label: string; threads: number; speedup: number }[] {
  const out: { shape: string; label: string; threads: number; speedup: number }[] = [];
  const one = backends.find((b) => b.threads === 1);
  if (!one) return out;
  for (const r1 of rows.filter((r) => r.backend === one.name)) {
    for (const b of backends) {
      if (b === one || b.threads === 1 || b.fma !== one.fma) continue; // same build, more threads
      const r2 = rows.find((r) => r.backend === b.name && r.label === r1.label && r.operands === r1.operands && r.m === r1.m && r.k === r1.k && r.n === r1.n);
      if (r2) out.push({ shape: `${r1.m}x${r1.k}x${r1.n}`, label: `${r1.label}, ${r1.operands}`, threads: b.threads, speedup: r2.gflops / r1.gflops });
    }
  }
  return out;
}

/** The tfjs facts line: missing wasm kernels and the share of the step the cpu bridge took. */
function describeTfjs(info: Record<string, unknown>, ms: readonly Measurement[]): string {
  const missing = info.wasmKernelsMissing as string[];
  let line =
    `tfjs ${String(info.version)}: the wasm backend runs one thread in Node (its threaded build needs a browser); ` +
    `training kernels missing on wasm: ${missing.length ? missing.join(", ") : "none"}`;
  const step = ms.find((m) => m.id === "tfjs/wasm/train-b8");
  const perStep = step?.notes.conv2dBackpropFilterFallbackMs as number[] | undefined;
  if (step && perStep && perStep.length > 0) {
    const timed = perStep.slice(perStep.length - step.runs);
    line +=
      `; its Conv2DBackpropFilter fallback (${String(info.conv2dBackpropFilterFallback)}) took a median ${median(timed).toFixed(0)} ms ` +
      `of the ${step.medianMs.toFixed(0)} ms training step`;
  }
  return line;
}

async function main(argv: string[]): Promise<void> {
  const opts: BenchOptions | null = parseOptions(argv);
  if (!opts) {
    console.log(USAGE);
    return;
  }
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
  const out = opts.out ? resolve(opts.out) : resolve(root, "bench-results", "bench.json");
  const startMachine = machine();
  console.log(
    `unetkit bench: SimpleUNet base ${PROBLEM.baseChannels}, batch ${PROBLEM.batch}, ${PROBLEM.size}x${PROBLEM.size}, ` +
      `${PROBLEM.inChannels} -> ${PROBLEM.numClasses} channels; node ${process.version}, ${String(startMachine.cpu)}, ` +
      `${String(startMachine.cores)} cores, load average ${(startMachine.loadavg as number[]).map((l) => l.toFixed(2)).join(" ")}`,
  );

  // --- backends ---------------------------------------------------------------------------------
  const unetkitBackends: UnetkitBackendCase[] = [];
  if (opts.ts) unetkitBackends.push({ key: "typescript", label: "typescript", threads: 1, backend: tsBackend });
  const wasmBackends: WasmBackend[] = [];
  let wasmError: string | null = null;
  if (opts.wasmThreads.length > 0) {
    try {
      if (buildWasm()) log("built packages/backend-wasm/build/*.wasm");
      // the fused multiply-add build where the engine has relaxed SIMD (Node 20: a V8 flag, as the CLI does)
      const fma = opts.fma && (await enableRelaxedSimd());
      for (const threads of opts.wasmThreads) {
        const backend = await createWasmBackend({ threads, fma, winograd: opts.winograd });
        wasmBackends.push(backend);
        unetkitBackends.push({ key: `wasm-${threads}t`, label: `wasm${fma ? " fma" : ""} ${threads} thread${threads === 1 ? "" : "s"}`, threads, backend });
      }
      if (fma && opts.plainSimd) {
        const backend = await createWasmBackend({ threads: 1, fma: false, winograd: opts.winograd });
        wasmBackends.push(backend);
        unetkitBackends.push({ key: "wasm-plain-1t", label: "wasm plain SIMD 1 thread", threads: 1, backend });
      }
    } catch (e) {
      wasmError = e instanceof Error ? e.message : String(e);
      log(`unetkit wasm backend unavailable, running without it: ${wasmError}`);
    }
  }

  // --- workloads --------------------------------------------------------------------------------
  const data = makeBenchData();
  const workloads: Workload[] = [];
  for (const b of unetkitBackends) workloads.push(...unetkitWorkloads(b, data, sameCounts(opts.warmup, opts.runs)));
  let tfjsInfo: Record<string, unknown> | null = null;
  if (opts.tfjs) {
    const tfWarmup = Math.min(opts.warmup, 1);
    workloads.push(...(await tfjsWorkloads("wasm", data, sameCounts(tfWarmup, opts.tfjsWasmRuns), opts.tfjsWasmFilterGrad)));
    if (opts.tfjsCpu) {
      const counts = sameCounts(tfWarmup, opts.tfjsCpuRuns);
      counts["train-b8"] = { warmup: 0, runs: opts.tfjsCpuTrainRuns };
      workloads.push(...(await tfjsWorkloads("cpu", data, counts)).filter((w) => w.runs > 0));
    }
  }
  log(`running ${workloads.length} workloads: warm-ups, then interleaved timed rounds`);
  const t0 = performance.now();
  const measurements: Measurement[] = await runInterleaved(workloads, { log });
  const unetSeconds = (performance.now() - t0) / 1000;
  if (opts.tfjs) tfjsInfo = tfjsFacts();

  // sanity: the two implementations are the same network
  const paramCounts = Object.fromEntries(
    measurements.filter((m) => m.task === "train-b8").map((m) => [m.id, m.notes.parameters as number]),
  );
  const distinct = new Set(Object.values(paramCounts));
  if (distinct.size > 1) throw new Error(`bench: the models differ in trainable parameters: ${JSON.stringify(paramCounts)}`);

  console.log("");
  console.log(formatMeasurements(measurements));
  const ratios = computeRatios(measurements);
  console.log("Ratios (median / median; > 1 means the first is slower):");
  console.log(formatRatios(ratios));
  console.log("");
  const targets = formatTargets(measurements);
  if (targets) console.log(`${targets}\n`);
  if (tfjsInfo) console.log(`${describeTfjs(tfjsInfo, measurements)}\n`);

  // --- convolution kernels at the layer shapes of the step ----------------------------------------
  const convRows: ConvKernelRow[] = [];
  if (opts.conv && wasmBackends.length > 0) {
    const steps = opts.quick ? 3 : 7;
    log(`conv kernels: ${steps} timed training steps per wasm backend`);
    for (const b of wasmBackends) convRows.push(...profileConvKernels(b, data, { warmup: 1, steps }));
    if (opts.winograd) {
      // the same build's direct kernels on 1 thread, for the Winograd comparison
      const direct = await createWasmBackend({ threads: 1, fma: wasmBackends[0].fma, winograd: false });
      convRows.push(...profileConvKernels(direct, data, { warmup: 1, steps }));
      direct.dispose();
    }
    console.log("Convolution kernels inside the training step (median ms per step, GFLOP/s = 2 B Cout Cin kh kw outH outW / time):");
    console.log(formatConvKernelTable(convRows));
    console.log("");
  }

  // --- GEMM -------------------------------------------------------------------------------------
  let gemmRows: GemmBenchRow[] = [];
  let tfjsGemmRows: TfjsGemmRow[] = [];
  let gemmThreadSpeedups: ReturnType<typeof gemmSpeedups> = [];
  if (opts.gemm) {
    const shapes = defaultShapes(!opts.quick);
    log(`GEMM: ${shapes.length} shapes x ${1 + wasmBackends.length} backends, ${opts.gemmRuns} timed runs per cell`);
    gemmRows = runGemmBench([tsBackend, ...wasmBackends], {
      runs: opts.gemmRuns,
      dtypes: ["float32"],
      shapes,
      onRow: (r) => log(`  ${r.backend} ${r.m}x${r.k}x${r.n} ${r.label}: ${r.gflops.toFixed(2)} GFLOP/s`),
    });
    if (opts.tfjs) {
      const fwd = shapes.filter((s) => !s.transA && !s.transB);
      tfjsGemmRows = await runTfjsGemm("wasm", fwd, opts.gemmRuns);
      if (opts.tfjsCpu) tfjsGemmRows.push(...(await runTfjsGemm("cpu", fwd, Math.min(3, opts.gemmRuns))));
    }
    console.log("GEMM, float32 (C = op(A) op(B), M x K x N; GFLOP/s = 2MKN / median time):");
    console.log(formatGemmTable(gemmRows));
    const fastestOne = wasmBackends.find((b) => b.threads === 1 && b.fma) ?? wasmBackends.find((b) => b.threads === 1);
    if (fastestOne) console.log(formatGemmTarget(gemmRows, fastestOne.name));
    gemmThreadSpeedups = gemmSpeedups(gemmRows, wasmBackends);
    if (gemmThreadSpeedups.length) {
      console.log(
        `wasm GEMM speed-up over 1 thread (wall clock): ${gemmThreadSpeedups.map((s) => `${s.shape} ${s.label} ${s.threads}t ${s.speedup.toFixed(2)}x`).join("; ")}`,
      );
    }
    if (tfjsGemmRows.length) {
      console.log(
        `tf.matMul for comparison: ${tfjsGemmRows.map((r) => `${r.backend} ${r.m}x${r.k}x${r.n} ${r.gflops.toFixed(2)} GFLOP/s`).join("; ")}`,
      );
    }
    console.log("");
  }

  const wasmStats = Object.fromEntries(wasmBackends.map((b) => [b.name, { threads: b.threads, ...b.stats(), memoryBytes: b.memoryBytes() }]));
  for (const b of wasmBackends) b.dispose();

  const result = {
    benchmark: "unetkit-bench",
    date: new Date().toISOString(),
    machine: { ...startMachine, loadavgAtStart: startMachine.loadavg, loadavgAtEnd: os.loadavg() },
    options: opts,
    problem: { ...PROBLEM, upsample: "nearest", batchNorm: true, padding: "same", data: "uniform random images and labels, seed 2024" },
    notes: {
      timing:
        "warm-ups first, then timed runs in interleaved rounds; medians of wall-clock ms and of process CPU ms (all threads) per step",
      tfjsLayout: "tfjs runs channels-last (NHWC); unetkit runs NCHW",
      wasmError,
      unetSeconds,
    },
    tfjs: tfjsInfo,
    measurements,
    ratios,
    issueReferences: ISSUE_REFERENCES,
    convKernels: convRows,
    gemm: gemmRows,
    gemmThreadSpeedups,
    tfjsGemm: tfjsGemmRows,
    wasmStats,
  };
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(result, null, 2) + "\n");
  renameSync(tmp, out);
  console.log(`wrote ${out}`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
