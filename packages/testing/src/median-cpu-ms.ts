/** Options of {@link medianCpuMs}. */
export interface MedianCpuMsOptions {
  /** CPU milliseconds the timed calls may fill (default 1000); at least 5 calls are timed. */
  budgetMs?: number;
  /** Untimed calls first (default 3). */
  warmupCalls?: number;
  /** Keep warming up until this many CPU milliseconds have passed too (default 0). */
  warmupMs?: number;
  /** At most this many timed calls (default 100). */
  maxSamples?: number;
}

/** CPU milliseconds this process has used so far (user + system, all threads). */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Median CPU milliseconds per call of `fn`, for the packages' benchmarks: warm-up calls, then timed
 * calls until about `budgetMs` of CPU time is used. CPU time rather than wall time, so other load on
 * the machine does not inflate the figures (for one-thread work). Never for timed tests.
 *
 * @example
 * ```ts
 * const ms = medianCpuMs(() => layer.forward(x), { budgetMs: 1500, warmupMs: 300 });
 * ```
 */
export function medianCpuMs(fn: () => void, options: MedianCpuMsOptions = {}): number {
  const { budgetMs = 1000, warmupCalls = 3, warmupMs = 0, maxSamples = 100 } = options;
  const warm = cpuMs();
  for (let i = 0; i < warmupCalls || cpuMs() - warm < warmupMs; i++) fn();
  const samples: number[] = [];
  const start = cpuMs();
  while (samples.length < 5 || (cpuMs() - start < budgetMs && samples.length < maxSamples)) {
    const t0 = cpuMs();
    fn();
    samples.push(cpuMs() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

/**
 * One line of a benchmark table: every cell right-aligned to its column's width, two spaces apart.
 *
 * @example
 * ```ts
 * formatRow(["shape", 1.5], [8, 6]); // "   shape     1.5"
 * ```
 */
export function formatRow(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells.map((c, i) => String(c).padStart(widths[i])).join("  ");
}
