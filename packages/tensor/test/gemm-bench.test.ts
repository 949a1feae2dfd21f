import { describe, expect, it } from "vitest";
import { formatGemmTable, naiveBackend, runGemmBench } from "../bench/gemm.bench.js";
import { tsBackend, type KernelBackend } from "../src/index.js";

// The benchmark script itself (not its timings): it must time every backend on every shape and
// dtype, skip dtypes a backend does not run, and flag a backend whose results differ.
describe("runGemmBench", () => {
  const shapes = [
    { label: "tiny", m: 5, k: 7, n: 3, transA: false, transB: false },
    { label: "tiny dW", m: 7, k: 5, n: 3, transA: true, transB: false },
  ];

  it("returns one checked row per backend, shape and dtype", () => {
    const rows = runGemmBench([tsBackend, naiveBackend], { runs: 2, shapes });
    expect(rows.length).toBe(2 * 2 * 2);
    for (const r of rows) {
      expect(r.runs).toBe(2);
      expect(r.gflops).toBeGreaterThan(0);
      expect(r.maxRelDiffVsTs).toBeLessThan(r.dtype === "float32" ? 1e-6 : 1e-14);
    }
    expect(formatGemmTable(rows).split("\n").length).toBe(rows.length + 2);
  });

  it("skips dtypes a backend does not list and reports a wrong backend", () => {
    const broken: KernelBackend = {
      name: "broken",
      dtypes: ["float32"],
      gemm: (g) => {
        tsBackend.gemm(g);
        g.c[g.cOffset] += 1;
      },
    };
    const rows = runGemmBench([broken], { runs: 1, shapes: shapes.slice(0, 1) });
    expect(rows.map((r) => r.dtype)).toEqual(["float32"]);
    expect(rows[0].maxRelDiffVsTs).toBeGreaterThan(0.01);
  });
});
