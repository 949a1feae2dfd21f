import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GemmArgs } from "./backend.js";
import { gemmNaive } from "./gemm-naive.js";
import { ArgumentError, Rng, gemmTs, tsBackend, type DType } from "./index.js";

interface Case {
  dtype: DType;
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
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

function build(cs: Case): { args: GemmArgs; cBefore: Float64Array } {
  const { dtype, transA, transB, m, n, k } = cs;
  const rng = new Rng(cs.seed);
  const Arr = dtype === "float32" ? Float32Array : Float64Array;
  const aRows = transA ? k : m;
  const aCols = transA ? m : k;
  const bRows = transB ? n : k;
  const bCols = transB ? k : n;
  const lda = aCols + cs.padA || 1;
  const ldb = bCols + cs.padB || 1;
  const ldc = n + cs.padC || 1;
  const a = rng.fillUniform(new Arr(cs.aOff + aRows * lda + 3), -1, 1);
  const b = rng.fillUniform(new Arr(cs.bOff + bRows * ldb + 3), -1, 1);
  const c = rng.fillUniform(new Arr(cs.cOff + m * ldc + 3), -1, 1);
  if (cs.beta === 0) {
    // beta = 0 must ignore whatever C holds, NaN included
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[cs.cOff + i * ldc + j] = NaN;
  }
  const args: GemmArgs = {
    transA,
    transB,
    m,
    n,
    k,
    alpha: cs.alpha,
    a,
    aOffset: cs.aOff,
    lda,
    b,
    bOffset: cs.bOff,
    ldb,
    beta: cs.beta,
    c,
    cOffset: cs.cOff,
    ldc,
  };
  return { args, cBefore: Float64Array.from(c) };
}

/** Brute-force triple loop in float64, plus a bound on the rounding error of each entry. */
function bruteForce(g: GemmArgs, cBefore: Float64Array): { want: Float64Array; bound: Float64Array } {
  const want = Float64Array.from(cBefore);
  const bound = new Float64Array(cBefore.length);
  const A = (i: number, p: number) => (g.transA ? g.a[g.aOffset + p * g.lda + i] : g.a[g.aOffset + i * g.lda + p]);
  const B = (p: number, j: number) => (g.transB ? g.b[g.bOffset + j * g.ldb + p] : g.b[g.bOffset + p * g.ldb + j]);
  for (let i = 0; i < g.m; i++) {
    for (let j = 0; j < g.n; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < g.k; p++) {
        s += A(i, p) * B(p, j);
        abs += Math.abs(A(i, p) * B(p, j));
      }
      const ci = g.cOffset + i * g.ldc + j;
      const old = g.beta === 0 ? 0 : g.beta * cBefore[ci];
      want[ci] = g.alpha * s + old;
      bound[ci] = Math.abs(g.alpha) * abs + Math.abs(old);
    }
  }
  return { want, bound };
}

function check(cs: Case, gemm: (g: GemmArgs) => void): void {
  const { args, cBefore } = build(cs);
  const { want, bound } = bruteForce(args, cBefore);
  gemm(args);
  // float32: products are exact in float64, the result is rounded per k-block and stored
  const eps = cs.dtype === "float32" ? 2e-6 : 1e-14;
  const c = args.c;
  for (let i = 0; i < c.length; i++) {
    const inBlock =
      i >= cs.cOff && Math.floor((i - cs.cOff) / args.ldc) < cs.m && (i - cs.cOff) % args.ldc < cs.n;
    if (!inBlock) {
      expect(c[i], `element ${i} outside C's m x n block must be untouched`).toBe(cBefore[i]);
      continue;
    }
    const err = Math.abs(c[i] - want[i]);
    if (!(err <= eps * (bound[i] + 1) * Math.max(1, Math.ceil(cs.k / 64)))) {
      throw new Error(`C[${i}] = ${c[i]}, want ${want[i]} (err ${err}, bound ${bound[i]}) for ${JSON.stringify(cs)}`);
    }
  }
}

const caseArb = (maxM: number, maxN: number, maxK: number) =>
  fc.record({
    dtype: fc.constantFrom<DType>("float32", "float64"),
    transA: fc.boolean(),
    transB: fc.boolean(),
    m: fc.integer({ min: 0, max: maxM }),
    n: fc.integer({ min: 0, max: maxN }),
    k: fc.integer({ min: 0, max: maxK }),
    alpha: fc.constantFrom(1, 0, -1, 0.5, 2.25),
    beta: fc.constantFrom(0, 1, -0.5, 3),
    aOff: fc.integer({ min: 0, max: 5 }),
    bOff: fc.integer({ min: 0, max: 5 }),
    cOff: fc.integer({ min: 0, max: 5 }),
    padA: fc.integer({ min: 0, max: 3 }),
    padB: fc.integer({ min: 0, max: 3 }),
    padC: fc.integer({ min: 0, max: 3 }),
    seed: fc.integer({ min: 0, max: 1 << 30 }),
  });

describe("gemmTs (blocked) against a brute-force triple loop", () => {
  it("small and odd sizes, transposes, alpha/beta, offsets, leading dims, both dtypes", () => {
    fc.assert(
      fc.property(caseArb(13, 13, 13), (cs) => check(cs, gemmTs)),
      { numRuns: 400 },
    );
  });

  it("sizes across the block edges (k > 256, m > 96, ragged tiles)", () => {
    fc.assert(
      fc.property(caseArb(200, 23, 600), (cs) => check(cs, gemmTs)),
      { numRuns: 40 },
    );
  });

  it("n beyond one column block (n > 2048)", () => {
    check(
      { dtype: "float32", transA: false, transB: true, m: 3, n: 2101, k: 5, alpha: 1, beta: 0, aOff: 1, bOff: 2, cOff: 3, padA: 1, padB: 0, padC: 2, seed: 1 },
      gemmTs,
    );
    check(
      { dtype: "float64", transA: true, transB: false, m: 5, n: 2053, k: 3, alpha: -2, beta: 0.5, aOff: 0, bOff: 0, cOff: 0, padA: 0, padB: 1, padC: 0, seed: 2 },
      gemmTs,
    );
  });

  it("the naive oracle agrees too", () => {
    fc.assert(
      fc.property(caseArb(9, 9, 9), (cs) => check(cs, gemmNaive)),
      { numRuns: 100 },
    );
  });

  it("is the reference backend's gemm and gives exact small products", () => {
    expect(tsBackend.gemm).toBe(gemmTs);
    const a = new Float32Array([1, 2, 3, 4]);
    const b = new Float32Array([5, 6, 7, 8]);
    const c = new Float32Array(4);
    gemmTs({ transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 1, a, aOffset: 0, lda: 2, b, bOffset: 0, ldb: 2, beta: 0, c, cOffset: 0, ldc: 2 });
    expect(Array.from(c)).toEqual([19, 22, 43, 50]);
  });

  it("refuses out-of-range offsets, short leading dimensions and mixed dtypes", () => {
    const base = (): GemmArgs => ({
      transA: false,
      transB: false,
      m: 2,
      n: 2,
      k: 3,
      alpha: 1,
      a: new Float32Array(6),
      aOffset: 0,
      lda: 3,
      b: new Float32Array(6),
      bOffset: 0,
      ldb: 2,
      beta: 0,
      c: new Float32Array(4),
      cOffset: 0,
      ldc: 2,
    });
    expect(() => gemmTs(base())).not.toThrow();
    expect(() => gemmTs({ ...base(), aOffset: 1 })).toThrow(/gemm: a stored 2x3 with lda 3 from offset 1 needs 7 elements, array has 6/);
    expect(() => gemmTs({ ...base(), lda: 2 })).toThrow(/lda = 2 must be an integer >= 3/);
    expect(() => gemmTs({ ...base(), transB: true })).toThrow(ArgumentError);
    expect(() => gemmTs({ ...base(), c: new Float64Array(4) })).toThrow(/one dtype/);
    expect(() => gemmTs({ ...base(), m: -1 })).toThrow(/m must be a non-negative integer/);
    expect(() => gemmTs({ ...base(), ldc: 1 })).toThrow(/ldc = 1/);
  });
});
