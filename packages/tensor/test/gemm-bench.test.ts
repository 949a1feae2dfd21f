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

  it("times a backend with its own memory twice, with array operands and with block operands", () => {
    const handed: Float32Array[] = [];
    const freed: Float32Array[] = [];
    const seen: ("arrays" | "blocks")[] = [];
    const blocks = new Set<ArrayBufferLike>();
    const withMemory: KernelBackend = {
      name: "with-memory",
      dtypes: ["float32"],
      gemm: (g) => {
        seen.push(blocks.has(g.a.buffer) && blocks.has(g.b.buffer) && blocks.has(g.c.buffer) ? "blocks" : "arrays");
        tsBackend.gemm(g);
      },
      allocateBlock: (n) => {
        const b = new Float32Array(n);
        blocks.add(b.buffer);
        handed.push(b);
        return b;
      },
      freeBlock: (b) => {
        freed.push(b);
      },
    };
    const rows = runGemmBench([withMemory, tsBackend], { runs: 2, shapes: shapes.slice(0, 1), dtypes: ["float32", "float64"], warmup: { calls: 1, ms: 0 } });
    expect(rows.map((r) => `${r.backend}/${r.dtype}/${r.operands}`)).toEqual([
      "with-memory/float32/arrays",
      "with-memory/float32/blocks",
      "typescript/float32/arrays",
      "typescript/float64/arrays",
    ]);
    for (const r of rows) expect(r.maxRelDiffVsTs).toBeLessThan(r.dtype === "float32" ? 1e-6 : 1e-14);
    expect(seen).toEqual([...Array(3).fill("arrays"), ...Array(3).fill("blocks")]);
    expect(handed.length).toBe(3);
    expect(freed).toEqual(handed);
    expect(formatGemmTable(rows).split("\n")[0]).toContain("operands");
    expect(runGemmBench([withMemory], { runs: 1, shapes: shapes.slice(0, 1), dtypes: ["float32"], blocks: false }).map((r) => r.operands)).toEqual(["arrays"]);
  });

  it("warms each cell up for at least the given calls and time before timing it (a wasm function runs as baseline code at first)", () => {
    const times: number[] = [];
    const counting: KernelBackend = { name: "counting", dtypes: ["float32"], gemm: (g) => (times.push(performance.now()), tsBackend.gemm(g)) };
    runGemmBench([counting], { runs: 2, shapes: shapes.slice(0, 1), dtypes: ["float32"] });
    // the default: at least 5 warm-up calls and 50 ms of them (or 200 calls, for shapes this small), then 2 timed runs
    const warm = times.length - 2;
    expect(warm).toBeGreaterThanOrEqual(5);
    expect({ warm, capped: warm === 200 || times[warm - 1] - times[0] >= 45 }).toEqual({ warm, capped: true });
    times.length = 0;
    runGemmBench([counting], { runs: 3, shapes: shapes.slice(0, 1), dtypes: ["float32"], warmup: { calls: 4, ms: 0 } });
    expect(times.length).toBe(4 + 3);
    expect(() => runGemmBench([counting], { shapes: shapes.slice(0, 1), warmup: { calls: 0, ms: 0 } })).toThrow(/warmup needs calls >= 1/);
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
