import type { GemmBenchRow } from "../../../packages/tensor/bench/gemm.bench.js";
import { TASKS, TASK_TITLES, type Measurement, type Task } from "./measure.js";

/** One headline ratio: how many times slower `slower` is than `faster` on a task. */
export interface Ratio {
  task: Task;
  label: string;
  /** Workload ids. */
  slower: string;
  faster: string;
  /** median wall(slower) / median wall(faster). */
  wall: number;
  /** median CPU(slower) / median CPU(faster) (meaningful when both run one thread). */
  cpu: number;
}

/** A reference figure quoted from issue 8 (measured earlier on this machine, not by this run). */
export interface ReferenceFigure {
  label: string;
  ms: number;
}

/** Issue 8's reference figures for the training step (batch 8), for the target lines. */
export const ISSUE_REFERENCES: readonly ReferenceFigure[] = [
  { label: "seed's NumPy style (1 thread)", ms: 310 },
  { label: "PyTorch 1.13 CPU, 1 thread", ms: 150 },
  { label: "PyTorch 1.13 CPU, 2 threads", ms: 95 },
];

const fmtMs = (ms: number) => (Number.isFinite(ms) ? (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2)) : "-");
const fmtX = (x: number) => (Number.isFinite(x) ? `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)}x` : "-");

function table(head: string[], rows: string[][], leftCols: number): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < leftCols ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** The fastest unetkit measurement of a task (by median wall time), if any. */
export function fastestUnetkit(ms: readonly Measurement[], task: Task): Measurement | undefined {
  return ms
    .filter((m) => m.framework === "unetkit" && m.task === task && Number.isFinite(m.medianMs))
    .sort((a, b) => a.medianMs - b.medianMs)[0];
}

/** One table per task: medians (wall and CPU), spread, runs, and each row vs unetkit's fastest. */
export function formatMeasurements(ms: readonly Measurement[]): string {
  const out: string[] = [];
  for (const task of TASKS) {
    const rows = ms.filter((m) => m.task === task);
    if (rows.length === 0) continue;
    const best = fastestUnetkit(ms, task);
    out.push(`${TASK_TITLES[task]}:`);
    out.push(
      table(
        ["framework", "backend", "threads", "median ms", "min ms", "max ms", "cpu ms (median)", "runs", "vs unetkit fastest"],
        rows.map((m) => [
          m.framework,
          m.backend,
          String(m.threads),
          fmtMs(m.medianMs),
          fmtMs(m.minMs),
          fmtMs(m.maxMs),
          fmtMs(m.medianCpuMs),
          `${m.runs}+${m.warmup}w`,
          best ? (m === best ? "fastest" : fmtX(m.medianMs / best.medianMs)) : "-",
        ]),
        2,
      ),
    );
    out.push("");
  }
  return out.join("\n");
}

function find(ms: readonly Measurement[], id: string): Measurement | undefined {
  return ms.find((m) => m.id === id && Number.isFinite(m.medianMs));
}

/**
 * The headline ratios for every task where both sides ran: TensorFlow.js wasm and cpu against
 * unetkit's wasm backend on one thread (same thread count: tfjs runs one thread in Node) and against
 * unetkit's fastest, tfjs cpu against unetkit's TypeScript backend (plain JavaScript on both
 * sides), and unetkit wasm 1 thread against 2 threads.
 */
export function computeRatios(ms: readonly Measurement[]): Ratio[] {
  const ratios: Ratio[] = [];
  const push = (task: Task, label: string, slowerId: string, fasterId: string) => {
    const s = find(ms, slowerId);
    const f = find(ms, fasterId);
    if (!s || !f || s === f) return;
    ratios.push({ task, label, slower: s.id, faster: f.id, wall: s.medianMs / f.medianMs, cpu: s.medianCpuMs / f.medianCpuMs });
  };
  for (const task of TASKS) {
    const best = fastestUnetkit(ms, task);
    push(task, "tfjs wasm / unetkit wasm 1 thread", `tfjs/wasm/${task}`, `unetkit/wasm-1t/${task}`);
    if (best) push(task, `tfjs wasm / unetkit fastest (${best.backend})`, `tfjs/wasm/${task}`, best.id);
    push(task, "tfjs cpu / unetkit wasm 1 thread", `tfjs/cpu/${task}`, `unetkit/wasm-1t/${task}`);
    if (best) push(task, `tfjs cpu / unetkit fastest (${best.backend})`, `tfjs/cpu/${task}`, best.id);
    push(task, "tfjs cpu / unetkit typescript (JS vs JS)", `tfjs/cpu/${task}`, `unetkit/typescript/${task}`);
    push(task, "unetkit typescript / unetkit wasm 1 thread", `unetkit/typescript/${task}`, `unetkit/wasm-1t/${task}`);
    push(task, "unetkit wasm 1 thread / 2 threads (2-thread speed-up)", `unetkit/wasm-1t/${task}`, `unetkit/wasm-2t/${task}`);
    push(task, "unetkit wasm plain SIMD / fma, 1 thread (fma speed-up)", `unetkit/wasm-plain-1t/${task}`, `unetkit/wasm-1t/${task}`);
  }
  return ratios;
}

/** The ratios as a table (wall-clock and CPU-time ratio). */
export function formatRatios(ratios: readonly Ratio[]): string {
  if (ratios.length === 0) return "";
  return table(
    ["task", "ratio", "wall", "cpu"],
    ratios.map((r) => [r.task, r.label, fmtX(r.wall), r.label.includes("2 threads") ? "(n/a)" : fmtX(r.cpu)]),
    2,
  );
}

/**
 * Issue 8's targets on the training step, checked against this run: at least 10x faster than tfjs
 * wasm, faster than the seed's NumPy style, within 2x of PyTorch (the issue's reference figures; the
 * PyTorch script under tools/ measures it again), two threads at least 1.6x one thread.
 */
export function formatTargets(ms: readonly Measurement[]): string {
  const lines: string[] = [];
  const best = fastestUnetkit(ms, "train-b8");
  const one = find(ms, "unetkit/wasm-1t/train-b8");
  const two = find(ms, "unetkit/wasm-2t/train-b8");
  const tfw = find(ms, "tfjs/wasm/train-b8");
  const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
  if (best && tfw) {
    const r = tfw.medianMs / best.medianMs;
    lines.push(`- >= 10x faster than tfjs wasm: ${fmtX(r)} (${best.backend} ${fmtMs(best.medianMs)} ms vs ${fmtMs(tfw.medianMs)} ms): ${verdict(r >= 10)}`);
  }
  if (best) {
    const numpy = ISSUE_REFERENCES[0];
    lines.push(`- faster than the ${numpy.label} (~${numpy.ms} ms, issue's figure): ${fmtMs(best.medianMs)} ms: ${verdict(best.medianMs < numpy.ms)}`);
  }
  if (one) {
    const ref = ISSUE_REFERENCES[1];
    const r = one.medianMs / ref.ms;
    lines.push(`- within 2x of ${ref.label} (~${ref.ms} ms, issue's figure): wasm 1 thread ${fmtMs(one.medianMs)} ms = ${fmtX(r)}: ${verdict(r <= 2)}`);
  }
  if (two) {
    const ref = ISSUE_REFERENCES[2];
    const r = two.medianMs / ref.ms;
    lines.push(`- within 2x of ${ref.label} (~${ref.ms} ms, issue's figure): wasm 2 threads ${fmtMs(two.medianMs)} ms = ${fmtX(r)}: ${verdict(r <= 2)}`);
  }
  if (one && two) {
    const r = one.medianMs / two.medianMs;
    lines.push(`- 2 threads >= 1.6x one thread: ${fmtX(r)}: ${verdict(r >= 1.6)}`);
  }
  if (lines.length === 0) return "";
  return ["Issue 8 targets (training step, medians of this run; PyTorch: run tools/bench_torch.py for today's figure):", ...lines].join("\n");
}

/**
 * Issue 8's GEMM target, at least 25 GFLOP/s on one thread at the convolution shapes, checked
 * against this run's rows of `backend` (a 1-thread wasm backend): per shape, GFLOP/s with the
 * operands in blocks of its memory (as arena tensors are during training) and with ordinary arrays
 * (copied in and out on every call, the copy timed).
 */
export function formatGemmTarget(rows: readonly GemmBenchRow[], backend: string): string {
  const mine = rows.filter((r) => r.backend === backend);
  const key = (r: GemmBenchRow) => `${r.label} ${r.m}x${r.k}x${r.n}`;
  const keys = [...new Set(mine.map(key))];
  if (keys.length === 0) return "";
  const at = (k: string, operands: GemmBenchRow["operands"]) => mine.find((r) => key(r) === k && r.operands === operands);
  const cells = keys.map((k) => {
    const blocks = at(k, "blocks");
    const arrays = at(k, "arrays");
    return { k, best: Math.max(blocks?.gflops ?? 0, arrays?.gflops ?? 0), text: `${k} ${blocks ? blocks.gflops.toFixed(1) : "-"} / ${arrays ? arrays.gflops.toFixed(1) : "-"}` };
  });
  const met = cells.filter((c) => c.best >= 25).length;
  return [
    `GEMM target, >= 25 GFLOP/s on 1 thread at the conv shapes (${backend}; GFLOP/s with operands in blocks / in arrays):`,
    ...cells.map((c) => `- ${c.text}: ${c.best >= 25 ? "met" : "NOT met"}`),
    `met at ${met} of ${cells.length} shapes`,
  ].join("\n");
}
