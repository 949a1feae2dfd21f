import { ArgumentError, tsBackend, type GemmArgs } from "@unetkit/tensor";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { useBothBuilds } from "../test/both-builds.js";
import { relaxedSimdSupported } from "./load-module.js";
import { createWasmBackend, type WasmBackend } from "./wasm-backend.js";

/** The backends of the build under test (set by each build's describe block). */
let one: WasmBackend;
let two: WasmBackend;
const builds = useBothBuilds();

/** Deterministic values in [-1, 1) from a seed (xorshift), so a failing case can be replayed. */
function filled(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let s = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  aOff: number;
  bOff: number;
  cOff: number;
  padA: number;
  padB: number;
  padC: number;
  seed: number;
}

/** Builds GEMM arguments (A, B, C with offsets, padded leading dimensions and trailing slack). */
function makeArgs(t: Case): GemmArgs {
  const lda = (t.transA ? t.m : t.k) + t.padA;
  const ldb = (t.transB ? t.k : t.n) + t.padB;
  const ldc = t.n + t.padC;
  const aRows = t.transA ? t.k : t.m;
  const bRows = t.transB ? t.n : t.k;
  const a = filled(t.aOff + aRows * lda + 3, t.seed);
  const b = filled(t.bOff + bRows * ldb + 3, t.seed + 1);
  const c = filled(t.cOff + t.m * ldc + 3, t.seed + 2);
  return {
    transA: t.transA, transB: t.transB, m: t.m, n: t.n, k: t.k, alpha: t.alpha,
    a, aOffset: t.aOff, lda, b, bOffset: t.bOff, ldb, beta: t.beta, c, cOffset: t.cOff, ldc,
  };
}

const withC = (args: GemmArgs): GemmArgs => ({ ...args, c: args.c.slice() });

const caseArb = (maxDim: number) =>
  fc.record({
    m: fc.integer({ min: 1, max: maxDim }),
    n: fc.integer({ min: 1, max: maxDim }),
    k: fc.integer({ min: 1, max: maxDim }),
    transA: fc.boolean(),
    transB: fc.boolean(),
    alpha: fc.constantFrom(1, -1, 0.5, 2.25, 0),
    beta: fc.constantFrom(0, 1, -0.5, 3),
    aOff: fc.integer({ min: 0, max: 5 }),
    bOff: fc.integer({ min: 0, max: 5 }),
    cOff: fc.integer({ min: 0, max: 5 }),
    padA: fc.integer({ min: 0, max: 3 }),
    padB: fc.integer({ min: 0, max: 3 }),
    padC: fc.integer({ min: 0, max: 3 }),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  });

/**
 * Compares against the TypeScript backend: every element of C, inside the matrix within a
 * tolerance scaled by the size of the terms summed (|alpha| k max|A| max|B| + |beta| max|C|, values
 * are in [-1, 1)), outside it (gaps between rows, slack) exactly unchanged.
 */
function expectMatchesTs(backend: WasmBackend, t: Case): void {
  const args = makeArgs(t);
  const want = withC(args);
  const got = withC(args);
  tsBackend.gemm(want);
  backend.gemm(got);
  const tol = 1e-6 * (Math.abs(t.alpha) * t.k + Math.abs(t.beta) + 1);
  for (let i = 0; i < got.c.length; i++) {
    const row = Math.floor((i - t.cOff) / args.ldc);
    const col = i - t.cOff - row * args.ldc;
    const inside = i >= t.cOff && row < t.m && col < t.n;
    if (inside) {
      if (!(Math.abs(got.c[i] - want.c[i]) <= tol)) {
        throw new Error(`C[${row},${col}] = ${got.c[i]}, TypeScript ${want.c[i]} (tol ${tol}) for ${JSON.stringify(t)}`);
      }
    } else if (got.c[i] !== args.c[i]) {
      throw new Error(`element ${i} outside C changed (${args.c[i]} -> ${got.c[i]}) for ${JSON.stringify(t)}`);
    }
  }
}

describe.each(["plain", "fma"] as const)("wasm gemm, %s SIMD build", (build) => {
  beforeAll(() => {
    ({ one, two } = builds[build]);
  });

  it("works with its kernels detached from the object (ops may call `const k = b.im2col ?? ts; k(args)`)", () => {
    const t: Case = { m: 5, n: 7, k: 3, transA: false, transB: false, alpha: 1, beta: 0, aOff: 0, bOff: 0, cOff: 0, padA: 0, padB: 0, padC: 0, seed: 21 };
    const args = makeArgs(t);
    const want = withC(args);
    tsBackend.gemm(want);
    const gemm = one.gemm;
    gemm(args);
    for (let i = 0; i < t.m * t.n; i++) expect(Math.abs(args.c[i] - want.c[i])).toBeLessThan(1e-5);
  });

  it("is float32 only and names its thread count and build", () => {
    expect(one.dtypes).toEqual(["float32"]);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(one.name).not.toBe(two.name);
    expect(one.fma).toBe(build === "fma");
    expect(two.fma).toBe(build === "fma");
    expect(one.name.includes("fma")).toBe(build === "fma");
  });

  it("matches the TypeScript GEMM on small shapes (transposes, alpha, beta, offsets, leading dims)", () => {
    fc.assert(
      fc.property(caseArb(23), (t) => {
        expectMatchesTs(one, t);
        expectMatchesTs(two, t);
      }),
      { numRuns: 300 },
    );
  });

  it("matches the TypeScript GEMM across the block edges (k > 256, n > 1024, m > 128)", () => {
    fc.assert(
      fc.property(
        fc.record({
          m: fc.integer({ min: 120, max: 140 }),
          n: fc.integer({ min: 1, max: 1100 }),
          k: fc.integer({ min: 250, max: 520 }),
        }),
        caseArb(1),
        ({ m, n, k }, rest) => {
          expectMatchesTs(one, { ...rest, m, n, k });
        },
      ),
      { numRuns: 6 },
    );
  });

  it("with 512 rows or more (tiles by quarters of the rows): the TypeScript GEMM, and the bits of the same rows computed in small pieces", () => {
    fc.assert(
      fc.property(
        // m past QUARTERS_MIN_M (also per thread on 2 threads), not always a multiple of 4 (the rows past
        // the quarters), n across a panel edge, k across KC
        fc.record({ m: fc.integer({ min: 512, max: 1400 }), n: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 300 }) }),
        caseArb(1),
        ({ m, n, k }, rest) => {
          const t = { ...rest, m, n, k, transA: false };
          expectMatchesTs(one, t);
          // the same C from calls of at most 100 rows each (below the quarters' threshold): the same sums, bit for bit
          const args = makeArgs(t);
          const whole = withC(args);
          one.gemm(whole);
          const pieces = withC(args);
          for (let r0 = 0; r0 < m; r0 += 100) {
            const rows = Math.min(100, m - r0);
            one.gemm({ ...pieces, m: rows, aOffset: args.aOffset + r0 * args.lda, cOffset: args.cOffset + r0 * args.ldc });
          }
          // and on 2 threads (each takes a share of the rows and tiles its own quarters)
          const split = withC(args);
          two.gemm(split);
          let differing = 0;
          for (let i = 0; i < whole.c.length; i++) if (!Object.is(whole.c[i], pieces.c[i]) || !Object.is(whole.c[i], split.c[i])) differing++;
          expect(differing).toBe(0);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("with A transposed, at most 32 columns and a long k (each block's sums in parts, kept between row sweeps): the TypeScript GEMM, and the bits of the same columns computed in one sweep", () => {
    fc.assert(
      fc.property(
        // m sometimes across the row block (1024) and not always a multiple of 4; k across a part (64),
        // a block (256) and a last block of at most one part; n within a column block of sums (32), not
        // always a multiple of the panel (8)
        fc.record({
          m: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1020, max: 1100 })),
          n: fc.integer({ min: 1, max: 32 }),
          k: fc.integer({ min: 129, max: 700 }),
          extra: fc.integer({ min: 1, max: 12 }),
        }),
        caseArb(1),
        ({ m, n, k, extra }, rest) => {
          const t = { ...rest, m, n, k, transA: true };
          expectMatchesTs(one, t);
          // the reference: the same A, B and C with B widened past 32 columns, which runs each block's
          // sums in one sweep; its first n columns must be the same bits
          const wide = 33 + extra - 1;
          const w = makeArgs({ ...t, n: wide });
          const reference = withC(w);
          one.gemm(reference);
          // the narrow call reads the same arrays: B's first n columns (rows when transposed), C's first n
          const narrow = withC({ ...w, n });
          one.gemm(narrow);
          const split = withC({ ...w, n });
          two.gemm(split);
          let differing = 0;
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < wide; j++) {
              const at = w.cOffset + i * w.ldc + j;
              const want = j < n ? reference.c[at] : w.c[at];
              if (!Object.is(narrow.c[at], want) || !Object.is(split.c[at], want)) differing++;
            }
          }
          expect(differing).toBe(0);
        },
      ),
      { numRuns: 20 },
    );
  });

  it("with A transposed, at most 32 columns and A of 4 MB or more with unpadded rows (each part's micro-kernels also read the next part ahead): the TypeScript GEMM, and the bits of the same GEMM on padded rows (not read ahead) and on 2 threads", () => {
    fc.assert(
      fc.property(
        // A (k x m floats) just past 4 MB, or a little more than one KC block (256) past it, so that
        // the last parts (the last one short of 64 rows when k is not a multiple) have no next part
        // or a short one; m not always a multiple of 4 (an edge tile of plain micro-kernels), n not
        // always a multiple of 8
        fc.record({
          m: fc.integer({ min: 100, max: 300 }),
          n: fc.integer({ min: 1, max: 32 }),
          extraK: fc.integer({ min: 0, max: 300 }),
        }),
        caseArb(1),
        ({ m, n, extraK }, rest) => {
          const k = Math.ceil((4 << 20) / 4 / m) + extraK;
          const t = { ...rest, m, n, k, transA: true, aOff: 0, padA: 0 };
          expectMatchesTs(one, t);
          const touched = withC(makeArgs(t));
          one.gemm(touched);
          const split = withC(makeArgs(t));
          two.gemm(split);
          // the same A with one float of padding after each row
          const args = makeArgs(t);
          const lda = m + 1;
          const a = new Float32Array(k * lda);
          for (let p = 0; p < k; p++) a.set(args.a.subarray(p * m, (p + 1) * m), p * lda);
          const padded = withC({ ...args, a, lda });
          one.gemm(padded);
          let differing = 0;
          for (let i = 0; i < touched.c.length; i++) {
            if (!Object.is(touched.c[i], padded.c[i]) || !Object.is(split.c[i], padded.c[i])) differing++;
          }
          expect(differing).toBe(0);
        },
      ),
      { numRuns: 6 },
    );
  });

  it("matches the TypeScript GEMM for A * B^T with m < n and a long k (computed as C^T = B A^T), with the bits of the unswapped GEMM", () => {
    fc.assert(
      fc.property(
        fc.record({ m: fc.integer({ min: 1, max: 20 }), dn: fc.integer({ min: 1, max: 150 }), extraK: fc.integer({ min: 0, max: 900 }) }),
        caseArb(1),
        ({ m, dn, extraK }, rest) => {
          const n = m + dn;
          const t = { ...rest, m, n, k: 4 * n + extraK, transA: false, transB: true };
          expectMatchesTs(one, t);
          expectMatchesTs(two, t);
          // and bit-identical across thread counts
          const args = makeArgs(t);
          const a1 = withC(args);
          const a2 = withC(args);
          one.gemm(a1);
          two.gemm(a2);
          let differing = 0;
          for (let i = 0; i < a1.c.length; i++) if (!Object.is(a1.c[i], a2.c[i])) differing++;
          expect(differing).toBe(0);
          // and the bits of the same rows computed without the swap: A widened to n rows (m >= n), on
          // the same C (with beta != 0 and k past a block, the order of adding C * beta matters)
          const tall = makeArgs({ ...t, m: n });
          const rows = withC({ ...tall, m });
          one.gemm(rows);
          const unswapped = withC(tall);
          one.gemm(unswapped);
          for (let i = 0; i < m * tall.ldc; i++) if (!Object.is(rows.c[tall.cOffset + i], unswapped.c[tall.cOffset + i])) differing++;
          expect(differing).toBe(0);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("with beta = 0 ignores NaN in C, as BLAS", () => {
    const t: Case = { m: 9, n: 13, k: 5, transA: false, transB: false, alpha: 1, beta: 0, aOff: 0, bOff: 0, cOff: 0, padA: 0, padB: 0, padC: 0, seed: 7 };
    const args = makeArgs(t);
    args.c.fill(NaN);
    one.gemm(args);
    const want = withC(args);
    want.c.fill(0);
    tsBackend.gemm(want);
    for (let i = 0; i < t.m * t.n; i++) expect(Math.abs(args.c[i] - want.c[i])).toBeLessThan(1e-5);
  });

  it("with k = 0 or alpha = 0 scales C by beta", () => {
    for (const [k, alpha] of [[0, 1], [4, 0]]) {
      const t: Case = { m: 5, n: 6, k, transA: false, transB: true, alpha, beta: 0.5, aOff: 0, bOff: 0, cOff: 1, padA: 1, padB: 1, padC: 2, seed: 3 };
      const args = makeArgs(t);
      const before = args.c.slice();
      args.a.fill(NaN); // not read
      one.gemm(args);
      for (let i = 0; i < t.m; i++) {
        for (let j = 0; j < t.n; j++) {
          const at = 1 + i * args.ldc + j;
          expect(args.c[at]).toBe(Math.fround(before[at] * 0.5));
        }
      }
    }
  });

  it("gives bit-identical results on 1 and 2 threads (the split does not change any sum)", () => {
    fc.assert(
      fc.property(
        // 2mnk >= 2^21: above the size where the backend starts splitting
        fc.record({ m: fc.integer({ min: 64, max: 300 }), n: fc.integer({ min: 64, max: 300 }), k: fc.integer({ min: 256, max: 600 }) }),
        caseArb(1),
        ({ m, n, k }, rest) => {
          const t = { ...rest, m, n, k, alpha: rest.alpha || 1 };
          const args = makeArgs(t);
          const a1 = withC(args);
          const a2 = withC(args);
          const before = two.stats().parallelGemms;
          one.gemm(a1);
          two.gemm(a2);
          expect(two.stats().parallelGemms).toBe(before + 1); // big enough to be split
          let differing = 0;
          for (let i = 0; i < a1.c.length; i++) if (!Object.is(a1.c[i], a2.c[i])) differing++;
          expect(differing).toBe(0);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("grows its memory for large operands and keeps working afterwards", () => {
    const small: Case = { m: 3, n: 4, k: 5, transA: false, transB: false, alpha: 1, beta: 0, aOff: 0, bOff: 0, cOff: 0, padA: 0, padB: 0, padC: 0, seed: 11 };
    const before = one.memoryBytes();
    expectMatchesTs(one, { ...small, m: 700, n: 9, k: 2100 });
    expect(one.memoryBytes()).toBeGreaterThan(before);
    expectMatchesTs(one, small);
  });

  it("refuses float64 and out-of-range arguments with an ArgumentError naming gemm", () => {
    const t: Case = { m: 2, n: 2, k: 2, transA: false, transB: false, alpha: 1, beta: 0, aOff: 0, bOff: 0, cOff: 0, padA: 0, padB: 0, padC: 0, seed: 5 };
    const args = makeArgs(t);
    const f64 = { ...args, a: Float64Array.from(args.a), b: Float64Array.from(args.b), c: Float64Array.from(args.c) };
    expect(() => one.gemm(f64)).toThrow(ArgumentError);
    expect(() => one.gemm(f64)).toThrow(/gemm: .*float32/);
    expect(() => one.gemm({ ...args, aOffset: 100 })).toThrow(/gemm: /);
    expect(() => one.gemm({ ...args, lda: 1 })).toThrow(ArgumentError);
  });

  // last in the block: its wide operands grow the memory, which the test above measures
  it("with k past one block and all of B's blocks packed at once (each row tile over every block in turn): the bits of the block-by-block order", () => {
    fc.assert(
      fc.property(
        fc.record({ m: fc.integer({ min: 1, max: 700 }), n: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 257, max: 600 }) }),
        caseArb(1),
        ({ m, n, k }, rest) => {
          const t = { ...rest, m, n, k, transA: false };
          // the reference: B widened to 1030 columns, whose first 1024-column block is too large to pack
          // whole, so it runs block by block; its first n columns must be the same bits
          const w = makeArgs({ ...t, n: 1030 });
          const reference = withC(w);
          one.gemm(reference);
          const narrow = withC({ ...w, n });
          one.gemm(narrow);
          let differing = 0;
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < 1030; j++) {
              const at = w.cOffset + i * w.ldc + j;
              if (!Object.is(narrow.c[at], j < n ? reference.c[at] : w.c[at])) differing++;
            }
          }
          expect(differing).toBe(0);
          expectMatchesTs(one, t);
        },
      ),
      { numRuns: 8 },
    );
  });
});

describe("the relaxed SIMD (fma) build", () => {
  it("really fuses: a long dot product rounds differently from the plain build (both within float32 error of the exact sum)", () => {
    const k = 4096;
    const a = filled(k, 91);
    const b = filled(k, 92);
    const exact = a.reduce((s, v, i) => s + v * b[i], 0);
    const run = (backend: WasmBackend) => {
      const c = new Float32Array(1);
      backend.gemm({ transA: false, transB: false, m: 1, n: 1, k, alpha: 1, a, aOffset: 0, lda: k, b, bOffset: 0, ldb: 1, beta: 0, c, cOffset: 0, ldc: 1 });
      return c[0];
    };
    const plain = run(builds.plain.one);
    const fused = run(builds.fma.one);
    expect(fused).not.toBe(plain);
    expect(Math.abs(fused - exact)).toBeLessThan(1e-3);
    expect(Math.abs(plain - exact)).toBeLessThan(1e-3);
  });

  it("is the default where the engine has relaxed SIMD, and `fma: true` without it is refused", async () => {
    expect(relaxedSimdSupported()).toBe(true);
    const auto = await createWasmBackend({ threads: 1 });
    expect(auto.fma).toBe(true);
    auto.dispose();
    const v8 = await import("node:v8");
    v8.setFlagsFromString("--no-experimental-wasm-relaxed-simd");
    try {
      expect(relaxedSimdSupported()).toBe(false);
      const plain = await createWasmBackend({ threads: 1 });
      expect(plain.fma).toBe(false);
      plain.dispose();
      await expect(createWasmBackend({ threads: 1, fma: true })).rejects.toThrow(/createWasmBackend: fma: true needs WebAssembly relaxed SIMD/);
    } finally {
      v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
    }
    expect(relaxedSimdSupported()).toBe(true);
  });
});

describe("createWasmBackend", () => {
  it("rejects a bad thread count", async () => {
    await expect(createWasmBackend({ threads: 0 })).rejects.toThrow(ArgumentError);
    await expect(createWasmBackend({ threads: 1.5 })).rejects.toThrow(/threads/);
  });

  it("keeps computing on the calling thread when a worker thread dies", async () => {
    const b = await createWasmBackend({ threads: 2 });
    const worker = (b as unknown as { workers: { terminate(): Promise<number> }[] }).workers[0];
    await worker.terminate();
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the exit event arrive
    const t: Case = { m: 128, n: 128, k: 300, transA: false, transB: false, alpha: 1, beta: 0, aOff: 0, bOff: 0, cOff: 0, padA: 0, padB: 0, padC: 0, seed: 13 };
    expectMatchesTs(b, t);
    expect(b.stats().parallelGemms).toBe(0);
    b.dispose();
  });

  it("dispose is idempotent and the backend refuses work afterwards", async () => {
    const b = await createWasmBackend({ threads: 2 });
    const t: Case = { m: 64, n: 64, k: 300, transA: false, transB: false, alpha: 1, beta: 0, aOff: 0, bOff: 0, cOff: 0, padA: 0, padB: 0, padC: 0, seed: 9 };
    expectMatchesTs(b, t);
    b.dispose();
    b.dispose();
    expect(() => b.gemm(makeArgs(t))).toThrow(/disposed/);
  });
});
