import type { FallbackMode } from "./tfjs-conv-filter-grad.js";
import type { RunCounts } from "./unetkit-workloads.js";

/** Command-line options of the benchmark (see {@link USAGE}). */
export interface BenchOptions {
  quick: boolean;
  /** Untimed runs before the timed ones, per workload. */
  warmup: number;
  /** Timed runs of every unetkit workload. */
  runs: number;
  /** Timed runs of every tfjs wasm workload. */
  tfjsWasmRuns: number;
  /** Timed runs of the tfjs cpu inference workloads. */
  tfjsCpuRuns: number;
  /** Timed runs of the tfjs cpu training step (minutes each; 0 skips it). No warm-up. */
  tfjsCpuTrainRuns: number;
  /** How tfjs wasm gets the Conv2DBackpropFilter kernel it lacks (see tfjs-conv-filter-grad.ts). */
  tfjsWasmFilterGrad: FallbackMode;
  /** Thread counts of the unetkit wasm backend to run. */
  wasmThreads: number[];
  /** Run the wasm backend's fused multiply-add (relaxed SIMD) build where the engine allows it. */
  fma: boolean;
  /** With `fma`, also run the plain SIMD build on 1 thread, for the comparison. */
  plainSimd: boolean;
  /**
   * Run the wasm backend's 3x3 stride-1 convolutions by Winograd F(2x2, 3x3) where it is faster (its
   * default); with it, the conv-kernel table also has a column for the direct kernels on 1 thread.
   */
  winograd: boolean;
  tfjs: boolean;
  tfjsCpu: boolean;
  /** Run the unetkit TypeScript backend's UNet workloads. */
  ts: boolean;
  /** Time the convolution kernels at the step's layer shapes (wasm backends). */
  conv: boolean;
  gemm: boolean;
  /** Timed runs per GEMM cell. */
  gemmRuns: number;
  /** Output JSON path (default bench-results/bench.json at the repo root). */
  out: string | null;
}

/** The usage text printed by `--help`. */
export const USAGE = `unetkit benchmark: SimpleUNet (base 16, 64x64, 3 classes) training step and inference
on unetkit's backends and on TensorFlow.js, then GEMM GFLOP/s at the conv shapes.

  pnpm --filter @unetkit/bench bench [-- options]

  --quick               fewer runs: warm-up 1, unetkit 3, tfjs wasm 2, tfjs cpu inference 1 and no tfjs
                        cpu training step, GEMM 3 runs on the forward shapes
  --warmup N            untimed runs per workload (default 2; tfjs at most 1)
  --runs N              timed runs per unetkit workload (default 9)
  --tfjs-wasm-runs N    timed runs per tfjs wasm workload (default 5)
  --tfjs-cpu-runs N     timed runs per tfjs cpu inference workload (default 3)
  --tfjs-cpu-train-runs N  timed tfjs cpu training steps, no warm-up (default 1; 0 skips; minutes each:
                        its Conv2DBackpropFilter kernel reads every element through TensorBuffer.get)
  --tfjs-wasm-dw MODE   how tfjs wasm gets the Conv2DBackpropFilter kernel it lacks: wasm-ops (default;
                        pad + slice + matMul per filter tap on the wasm backend) or cpu (tfjs's cpu kernel)
  --wasm-threads LIST   unetkit wasm thread counts, comma-separated (default 1,2; empty: no wasm)
  --no-fma              run the wasm backend's plain SIMD build (default: its fused multiply-add build,
                        WebAssembly relaxed SIMD, turned on by a V8 flag in Node 20 as the CLI does)
  --no-plain-simd       with the fma build, skip the extra plain-SIMD 1-thread row
  --no-winograd         run the wasm backend's 3x3 convolutions with the direct kernels only (default:
                        Winograd F(2x2, 3x3) where faster, plus a direct-kernel 1-thread column in the
                        conv-kernel table for the comparison)
  --no-ts               skip the unetkit TypeScript backend's UNet workloads
  --no-tfjs             skip TensorFlow.js entirely
  --no-tfjs-cpu         skip the tfjs cpu backend (the slow one)
  --no-conv             skip the table of convolution kernels at the step's layer shapes
  --no-gemm             skip the GEMM table
  --gemm-runs N         timed runs per GEMM cell (default 5)
  --out FILE            JSON output (default bench-results/bench.json at the repo root)
`;

function positiveInt(flag: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min) throw new Error(`bench: ${flag} needs an integer >= ${min} (got ${value})`);
  return n;
}

/** Parses the command line; throws on an unknown flag or a bad value. Returns null for `--help`. */
export function parseOptions(argv: readonly string[]): BenchOptions | null {
  const o: BenchOptions = {
    quick: false,
    warmup: 2,
    runs: 9,
    tfjsWasmRuns: 5,
    tfjsCpuRuns: 3,
    tfjsCpuTrainRuns: 1,
    tfjsWasmFilterGrad: "wasm-ops",
    wasmThreads: [1, 2],
    fma: true,
    conv: true,
    plainSimd: true,
    winograd: true,
    tfjs: true,
    tfjsCpu: true,
    ts: true,
    gemm: true,
    gemmRuns: 5,
    out: null,
  };
  const set = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    set.add(a);
    if (a === "--") continue;
    else if (a === "--help" || a === "-h") return null;
    else if (a === "--quick") o.quick = true;
    else if (a === "--warmup") o.warmup = positiveInt(a, argv[++i], 0);
    else if (a === "--runs") o.runs = positiveInt(a, argv[++i]);
    else if (a === "--tfjs-wasm-runs") o.tfjsWasmRuns = positiveInt(a, argv[++i]);
    else if (a === "--tfjs-cpu-runs") o.tfjsCpuRuns = positiveInt(a, argv[++i]);
    else if (a === "--tfjs-cpu-train-runs") o.tfjsCpuTrainRuns = positiveInt(a, argv[++i], 0);
    else if (a === "--tfjs-wasm-dw") {
      const v = argv[++i];
      if (v !== "wasm-ops" && v !== "cpu") throw new Error(`bench: --tfjs-wasm-dw must be wasm-ops or cpu (got ${v})`);
      o.tfjsWasmFilterGrad = v;
    } else if (a === "--gemm-runs") o.gemmRuns = positiveInt(a, argv[++i]);
    else if (a === "--wasm-threads") {
      const v = argv[++i] ?? "";
      o.wasmThreads = v.trim() === "" ? [] : v.split(",").map((s) => positiveInt(a, s.trim()));
    } else if (a === "--no-ts") o.ts = false;
    else if (a === "--no-fma") o.fma = false;
    else if (a === "--no-conv") o.conv = false;
    else if (a === "--no-plain-simd") o.plainSimd = false;
    else if (a === "--no-winograd") o.winograd = false;
    else if (a === "--no-tfjs") o.tfjs = false;
    else if (a === "--no-tfjs-cpu") o.tfjsCpu = false;
    else if (a === "--no-gemm") o.gemm = false;
    else if (a === "--out") o.out = argv[++i] ?? null;
    else throw new Error(`bench: unknown argument ${a}\n\n${USAGE}`);
  }
  if (o.quick) {
    // explicit counts win over --quick
    if (!set.has("--warmup")) o.warmup = 1;
    if (!set.has("--runs")) o.runs = 3;
    if (!set.has("--tfjs-wasm-runs")) o.tfjsWasmRuns = 2;
    if (!set.has("--tfjs-cpu-runs")) o.tfjsCpuRuns = 1;
    if (!set.has("--tfjs-cpu-train-runs")) o.tfjsCpuTrainRuns = 0;
    if (!set.has("--gemm-runs")) o.gemmRuns = 3;
  }
  return o;
}

/** The same warm-up and run counts for the three tasks of one framework/backend. */
export function sameCounts(warmup: number, runs: number): Record<"train-b8" | "infer-b1" | "infer-b8", RunCounts> {
  const c = { warmup, runs };
  return { "train-b8": c, "infer-b1": c, "infer-b8": c };
}
