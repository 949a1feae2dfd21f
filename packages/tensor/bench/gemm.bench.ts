/**
 * GEMM benchmark (not a test): GFLOP/s of kernel backends at 256x256x256 and at the convolution
 * shapes of a small U-Net, float32 and float64, with the plain i-k-j loop as the baseline.
 *
 *   pnpm --filter @unetkit/tensor bench                     # active backend + typescript + naive
 *   pnpm --filter @unetkit/tensor bench -- --backend typescript --runs 3
 *   UNETKIT_BENCH_BACKEND=typescript pnpm --filter @unetkit/tensor bench
 *
 * Flags: `--backend <name>` (repeatable; also UNETKIT_BENCH_BACKEND=a,b) keeps only those backends
 * ("naive" names the baseline); `--runs N` timed runs per cell (median reported, default 5);
 * `--quick` (forward shapes only, 3 runs); `--no-naive`; `--out <file>` (default
 * bench-results/gemm-ts.json at the repo root).
 *
 * Other backends plug in by calling {@link runGemmBench} with their backend (backend-wasm's own
 * bench imports `runGemmBench`, `defaultShapes` and `formatGemmTable` from this file, so keep their
 * signatures stable), or by preloading a module that calls `setBackend` before this script runs
 * (`tsx --conditions=@unetkit/source --import ./use-my-backend.mts bench/gemm.bench.ts`; the
 * preload must be an ES module, `.mts` or inside a `"type": "module"` package, or it gets its own
 * CommonJS copy of the registry): the active backend is always timed next to the TypeScript one.
 *
 * Shapes are M x K x N with op(A) = [M, K] and op(B) = [K, N], as the convolution's GEMMs:
 * forward `out[M,N] = cols[M,K] * W^T[K,N]`; the backward variants have the same flop count:
 * weight gradient `[K,N] = cols^T * dOut` (transA: m=K, k=M, n=N) and column gradient
 * `[M,K] = dOut * W` (transB: m=M, k=N, n=K).
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Rng, getBackend, tsBackend, type DType, type GemmArgs, type KernelBackend } from "../src/index.js";
import { gemmNaive } from "../src/gemm-naive.js";

/** The plain i-k-j loop, wrapped as a backend so it can be timed like the others. */
export const naiveBackend: KernelBackend = Object.freeze({
  name: "naive",
  dtypes: Object.freeze(["float32", "float64"] as const),
  gemm: gemmNaive,
});

/** One GEMM problem of the benchmark. */
export interface GemmShape {
  /** Short label, e.g. "conv fwd". */
  label: string;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
}

/** One measured cell. */
export interface GemmBenchRow {
  backend: string;
  dtype: DType;
  label: string;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  /**
   * Where A, B and C lived: `"arrays"`, ordinary typed arrays (a backend with its own memory copies
   * them in and C back out on every call, and that copy is timed); `"blocks"`, memory from the
   * backend's {@link KernelBackend.allocateBlock}, where arena tensors live during training (used in
   * place, no copy).
   */
  operands: "arrays" | "blocks";
  /** Median wall-clock time of one GEMM, milliseconds. */
  medianMs: number;
  /** 2*m*n*k / median wall time. */
  gflops: number;
  /** 2*m*n*k / median CPU time of this thread's process (less sensitive to other load). */
  gflopsCpu: number | null;
  runs: number;
  /** Largest |C - C_typescript| / max(|C_typescript|) against the TypeScript backend (0 for itself). */
  maxRelDiffVsTs: number;
}

/** Options of {@link runGemmBench}. */
export interface GemmBenchOptions {
  /** Timed runs per cell (the median is reported). Default 5. */
  runs?: number;
  /** Shapes to run. Default {@link defaultShapes}(true). */
  shapes?: GemmShape[];
  /** Dtypes to run. Default both. */
  dtypes?: DType[];
  /** Called after each cell (for progress output). */
  onRow?: (row: GemmBenchRow) => void;
  /**
   * Also time float32 cells with the operands in blocks of the backend's own memory, for backends
   * that have {@link KernelBackend.allocateBlock} (a second row each, `operands: "blocks"`). Default true.
   */
  blocks?: boolean;
  /**
   * Untimed calls before each cell's timed runs: at least `calls` calls and at least `ms` ms of
   * calls (at most {@link WARMUP_MAX_CALLS}). Default {@link WARMUP_CALLS} and {@link WARMUP_MS}.
   */
  warmup?: { calls: number; ms: number };
}

/** The benchmark's shapes: 256^3 and the three conv shapes, with the backward variants when `backward`. */
export function defaultShapes(backward: boolean): GemmShape[] {
  const shapes: GemmShape[] = [{ label: "square", m: 256, k: 256, n: 256, transA: false, transB: false }];
  for (const [M, K, N] of [
    [32768, 144, 16],
    [2048, 288, 64],
    [8192, 576, 32],
  ]) {
    shapes.push({ label: "conv fwd", m: M, k: K, n: N, transA: false, transB: false });
    if (backward) {
      shapes.push({ label: "conv dW (A^T)", m: K, k: M, n: N, transA: true, transB: false });
      shapes.push({ label: "conv dCols (B^T)", m: M, k: N, n: K, transA: false, transB: true });
    }
  }
  return shapes;
}

function cpuMs(): number | null {
  if (typeof process === "undefined" || typeof process.cpuUsage !== "function") return null;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

function makeArgs(shape: GemmShape, dtype: DType, seed: number): GemmArgs {
  const { m, k, n, transA, transB } = shape;
  const Arr = dtype === "float32" ? Float32Array : Float64Array;
  const rng = new Rng(seed);
  const a = rng.fillUniform(new Arr(m * k), -1, 1);
  const b = rng.fillUniform(new Arr(k * n), -1, 1);
  return {
    transA,
    transB,
    m,
    n,
    k,
    alpha: 1,
    a,
    aOffset: 0,
    lda: transA ? m : k,
    b,
    bOffset: 0,
    ldb: transB ? k : n,
    beta: 0,
    c: new Arr(m * n),
    cOffset: 0,
    ldc: n,
  };
}

/** Copies of `args`' A and B, and a C, in blocks of the backend's memory; null when it has no room. */
function blockArgs(backend: KernelBackend, args: GemmArgs): { args: GemmArgs; free: () => void } | null {
  const taken: Float32Array[] = [];
  const free = () => {
    for (const t of taken) backend.freeBlock?.(t);
  };
  const copy = (src: GemmArgs["a"] | null, length: number): Float32Array | null => {
    const block = backend.allocateBlock?.(length) ?? null;
    if (!block) return null;
    taken.push(block);
    if (src) block.set(src.subarray(0, length));
    else block.fill(0);
    return block;
  };
  const a = copy(args.a, args.a.length);
  const b = copy(args.b, args.b.length);
  const c = copy(null, args.c.length);
  if (!a || !b || !c) {
    free();
    return null;
  }
  return { args: { ...args, a, b, c }, free };
}

/**
 * Warm-up of a cell: at least this many calls and this many ms of calls (at most
 * {@link WARMUP_MAX_CALLS}). A WebAssembly function first runs as baseline code (V8's Liftoff) and
 * is optimised in the background once it is hot: the wasm backend's gemm took 6.3 ms per
 * 256x256x256 call for its first 4 calls, then 1.25 ms. With one warm-up call, the first cells of
 * the table timed the baseline code.
 */
const WARMUP_CALLS = 5;
const WARMUP_MS = 50;
const WARMUP_MAX_CALLS = 200;

/** Warm-up calls (see {@link WARMUP_MS}), the check against the reference C, then `runs` timed calls. */
function timeCell(
  backend: KernelBackend, shape: GemmShape, dtype: DType, args: GemmArgs, refC: GemmArgs["c"], refMax: number, runs: number,
  operands: GemmBenchRow["operands"], warmup: { calls: number; ms: number },
): GemmBenchRow {
  const wall: number[] = [];
  const cpu: number[] = [];
  // warm-up (JIT tiers, buffer growth)
  const w0 = performance.now();
  for (let i = 0; i < WARMUP_MAX_CALLS && (i < warmup.calls || performance.now() - w0 < warmup.ms); i++) backend.gemm(args);
  let diff = 0;
  for (let i = 0; i < refC.length; i++) diff = Math.max(diff, Math.abs(args.c[i] - refC[i]));
  for (let r = 0; r < runs; r++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    backend.gemm(args);
    const t1 = performance.now();
    const c1 = cpuMs();
    wall.push(t1 - t0);
    if (c0 !== null && c1 !== null) cpu.push(c1 - c0);
  }
  const flops = 2 * shape.m * shape.n * shape.k;
  const ms = median(wall);
  const cpuMedian = cpu.length ? median(cpu) : null;
  return {
    backend: backend.name,
    dtype,
    label: shape.label,
    m: shape.m,
    k: shape.k,
    n: shape.n,
    transA: shape.transA,
    transB: shape.transB,
    operands,
    medianMs: ms,
    gflops: flops / ms / 1e6,
    gflopsCpu: cpuMedian && cpuMedian > 0 ? flops / cpuMedian / 1e6 : null,
    runs,
    maxRelDiffVsTs: refMax > 0 ? diff / refMax : diff,
  };
}

/**
 * Times `gemm` of every backend on every shape and dtype (warm-up runs, then `runs` timed runs;
 * the median is reported) and checks each result against the TypeScript backend's. Backends that
 * do not list a dtype are skipped for it. A backend with its own memory gets a second float32 row
 * with the operands in its blocks (see {@link GemmBenchRow.operands}). Returns one row per cell.
 *
 * @example
 * ```ts
 * const rows = runGemmBench([getBackend(), tsBackend], { runs: 3 });
 * console.log(formatGemmTable(rows));
 * ```
 */
export function runGemmBench(backends: KernelBackend[], options: GemmBenchOptions = {}): GemmBenchRow[] {
  const runs = options.runs ?? 5;
  const warmup = options.warmup ?? { calls: WARMUP_CALLS, ms: WARMUP_MS };
  if (!(Number.isInteger(warmup.calls) && warmup.calls >= 1 && warmup.ms >= 0)) {
    throw new Error(`runGemmBench: warmup needs calls >= 1 (an integer) and ms >= 0 (got ${JSON.stringify(warmup)})`);
  }
  const shapes = options.shapes ?? defaultShapes(true);
  const dtypes = options.dtypes ?? ["float32", "float64"];
  const unique = backends.filter((b, i) => backends.findIndex((o) => o.name === b.name) === i);
  const rows: GemmBenchRow[] = [];
  for (const dtype of dtypes) {
    for (const shape of shapes) {
      const args = makeArgs(shape, dtype, 1234);
      const ref = makeArgs(shape, dtype, 1234);
      tsBackend.gemm(ref);
      let refMax = 0;
      for (let i = 0; i < ref.c.length; i++) refMax = Math.max(refMax, Math.abs(ref.c[i]));
      for (const backend of unique) {
        if (!backend.dtypes.includes(dtype)) continue;
        const inBlocks = options.blocks !== false && dtype === "float32" && backend.allocateBlock && backend.freeBlock ? blockArgs(backend, args) : null;
        for (const [operands, cell] of [["arrays", args], ...(inBlocks ? [["blocks", inBlocks.args] as const] : [])] as const) {
          const row = timeCell(backend, shape, dtype, cell, ref.c, refMax, runs, operands, warmup);
          rows.push(row);
          options.onRow?.(row);
        }
        if (inBlocks) inBlocks.free();
      }
    }
  }
  return rows;
}

/** Formats rows as a fixed-width text table. */
export function formatGemmTable(rows: GemmBenchRow[]): string {
  const head = ["backend", "dtype", "shape", "operands", "M x K x N", "ms (median)", "GFLOP/s", "GFLOP/s (cpu)", "rel diff vs ts"];
  const body = rows.map((r) => [
    r.backend,
    r.dtype,
    r.label,
    r.operands,
    `${r.m} x ${r.k} x ${r.n}`,
    r.medianMs.toFixed(1),
    r.gflops.toFixed(2),
    r.gflopsCpu === null ? "-" : r.gflopsCpu.toFixed(2),
    r.maxRelDiffVsTs.toExponential(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

function parseArgs(argv: string[]): { backends: string[]; runs: number; quick: boolean; naive: boolean; out: string | null } {
  const opts = { backends: [] as string[], runs: 5, quick: false, naive: true, out: null as string | null };
  const env = typeof process !== "undefined" ? process.env.UNETKIT_BENCH_BACKEND : undefined;
  if (env) opts.backends.push(...env.split(",").map((s) => s.trim()).filter(Boolean));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--backend") opts.backends.push(argv[++i]);
    else if (a === "--runs") opts.runs = Number(argv[++i]);
    else if (a === "--quick") opts.quick = true;
    else if (a === "--no-naive") opts.naive = false;
    else if (a === "--out") opts.out = argv[++i];
    else if (a === "--") continue;
    else throw new Error(`gemm.bench: unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new Error("gemm.bench: --runs must be a positive integer");
  if (opts.quick) opts.runs = Math.min(opts.runs, 3);
  return opts;
}

/** Command-line entry: runs the benchmark, prints the table and writes the JSON results. */
export function main(argv: string[]): void {
  const opts = parseArgs(argv);
  let backends: KernelBackend[] = [getBackend(), tsBackend];
  if (opts.naive) backends.push(naiveBackend);
  if (opts.backends.length) {
    const known = new Map(backends.map((b) => [b.name, b]));
    known.set(naiveBackend.name, naiveBackend);
    backends = opts.backends.map((name) => {
      const b = known.get(name);
      if (!b) throw new Error(`gemm.bench: unknown backend ${name} (have ${[...known.keys()].join(", ")})`);
      return b;
    });
  }
  backends = backends.filter((b, i) => backends.findIndex((o) => o.name === b.name) === i);
  const timed = backends.filter((b) => b !== naiveBackend);
  const shapes = defaultShapes(!opts.quick);
  console.log(`GEMM benchmark: node ${process.version}, ${opts.runs} timed runs per cell (median), backends ${backends.map((b) => b.name).join(", ")}`);
  const rows = runGemmBench(timed, { runs: opts.runs, shapes, onRow: (r) => console.error(`  ${r.backend} ${r.dtype} ${r.m}x${r.k}x${r.n} ${r.label}: ${r.gflops.toFixed(2)} GFLOP/s`) });
  if (backends.includes(naiveBackend)) {
    // the baseline only on the forward shapes, fewer runs: it is slow
    rows.push(
      ...runGemmBench([naiveBackend], {
        runs: Math.min(3, opts.runs),
        shapes: shapes.filter((s) => !s.transA && !s.transB),
        onRow: (r) => console.error(`  naive ${r.dtype} ${r.m}x${r.k}x${r.n}: ${r.gflops.toFixed(2)} GFLOP/s`),
      }),
    );
  }
  console.log(formatGemmTable(rows));
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
  const out = opts.out ? resolve(opts.out) : resolve(root, "bench-results", "gemm-ts.json");
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(
    tmp,
    JSON.stringify({ benchmark: "gemm", date: new Date().toISOString(), node: process.version, runs: opts.runs, rows }, null, 2) + "\n",
  );
  renameSync(tmp, out);
  console.log(`wrote ${out}`);
}

if (typeof process !== "undefined" && process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2));
}
