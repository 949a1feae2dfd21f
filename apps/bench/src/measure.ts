/**
 * Timing machinery of the benchmark: workloads, interleaved rounds, medians of wall-clock and CPU
 * time. Nothing here knows about a framework.
 */

/** What a workload computes. */
export type Task = "train-b8" | "infer-b1" | "infer-b8";

/** The tasks in table order. */
export const TASKS: readonly Task[] = ["train-b8", "infer-b1", "infer-b8"];

/** One line of the table's legend per task. */
export const TASK_TITLES: Record<Task, string> = {
  "train-b8": "training step, batch 8 (forward + cross-entropy + backward + SGD momentum 0.9)",
  "infer-b1": "inference, batch 1 (eval mode)",
  "infer-b8": "inference, batch 8 (eval mode)",
};

/**
 * One timed thing: a task on one framework/backend/thread count. `activate` makes its backend the
 * active one (not timed); `step` runs one iteration synchronously and returns the loss for
 * training steps (recorded as a sanity check, not timed separately).
 */
export interface Workload {
  /** `framework/backend/task`, e.g. `unetkit/wasm-2t/train-b8`. */
  readonly id: string;
  readonly framework: "unetkit" | "tfjs";
  /** Backend label as printed, e.g. `typescript`, `wasm 1 thread`. */
  readonly backend: string;
  /** Threads the backend computes on. */
  readonly threads: number;
  readonly task: Task;
  /** Untimed runs first. */
  readonly warmup: number;
  /** Timed runs (the median is reported). */
  readonly runs: number;
  activate(): Promise<void>;
  step(): number | void;
  /** Extra facts recorded in the JSON after the runs (e.g. tfjs tensor counts). */
  notes?(): Record<string, unknown>;
}

/** The measured figures of one workload. */
export interface Measurement {
  id: string;
  framework: Workload["framework"];
  backend: string;
  threads: number;
  task: Task;
  warmup: number;
  runs: number;
  /** Median wall-clock milliseconds per step. */
  medianMs: number;
  minMs: number;
  maxMs: number;
  /**
   * Median process CPU milliseconds per step (`process.cpuUsage`, all threads of this process:
   * for one-thread backends it is the time the step really computed, less sensitive than wall time
   * to other processes on the machine; for two threads it adds both threads' time).
   */
  medianCpuMs: number;
  /** Every timed run, wall-clock ms, in order. */
  wallMs: number[];
  /** Every timed run, process CPU ms, in order. */
  cpuMs: number[];
  /** Losses of the timed training steps (empty for inference). */
  losses: number[];
  notes: Record<string, unknown>;
}

/** Median of a non-empty list (mean of the middle two for even lengths). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of an empty list");
  const s = xs.slice().sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

function cpuNowMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Options of {@link runInterleaved}. */
export interface RunOptions {
  /** Called before each workload's warm-up and after each timed run (progress on stderr). */
  log?: (line: string) => void;
}

/**
 * Runs every workload's warm-ups (one workload after the other), then the timed runs in rounds:
 * round `r` runs one timed step of every workload that has more than `r` runs, in list order, so
 * that slow drifts in the machine's load (other processes) touch every workload alike.
 */
export async function runInterleaved(workloads: readonly Workload[], options: RunOptions = {}): Promise<Measurement[]> {
  const log = options.log ?? (() => {});
  const results = workloads.map(
    (w): Measurement => ({
      id: w.id,
      framework: w.framework,
      backend: w.backend,
      threads: w.threads,
      task: w.task,
      warmup: w.warmup,
      runs: w.runs,
      medianMs: NaN,
      minMs: NaN,
      maxMs: NaN,
      medianCpuMs: NaN,
      wallMs: [],
      cpuMs: [],
      losses: [],
      notes: {},
    }),
  );
  for (const w of workloads) {
    await w.activate();
    const t0 = performance.now();
    for (let i = 0; i < w.warmup; i++) w.step();
    log(`  warm-up ${w.id}: ${w.warmup} run(s), ${((performance.now() - t0) / Math.max(1, w.warmup)).toFixed(0)} ms each`);
  }
  const rounds = Math.max(0, ...workloads.map((w) => w.runs));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < workloads.length; i++) {
      const w = workloads[i];
      if (r >= w.runs) continue;
      await w.activate();
      const c0 = cpuNowMs();
      const t0 = performance.now();
      const loss = w.step();
      const t1 = performance.now();
      const c1 = cpuNowMs();
      const m = results[i];
      m.wallMs.push(t1 - t0);
      m.cpuMs.push(c1 - c0);
      if (typeof loss === "number") m.losses.push(loss);
    }
    log(`  round ${r + 1}/${rounds} done`);
  }
  for (let i = 0; i < workloads.length; i++) {
    const m = results[i];
    if (m.wallMs.length > 0) {
      m.medianMs = median(m.wallMs);
      m.minMs = Math.min(...m.wallMs);
      m.maxMs = Math.max(...m.wallMs);
      m.medianCpuMs = median(m.cpuMs);
    }
    m.notes = workloads[i].notes?.() ?? {};
  }
  return results;
}
