import type { GemmArgs } from "./backend.js";

/**
 * The plain GEMM, `C = alpha * op(A) * op(B) + beta * C` on row-major data (see {@link GemmArgs}),
 * loop order i-p-j. Internal (not exported from the package): the oracle the blocked
 * {@link gemmTs} is tested against and the baseline of the GEMM benchmark.
 *
 * @example
 * ```ts
 * gemmNaive({ transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 1, a, aOffset: 0, lda: 2,
 *          b, bOffset: 0, ldb: 2, beta: 0, c, cOffset: 0, ldc: 2 });
 * ```
 */
export function gemmNaive(args: GemmArgs): void {
  const { transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc } = args;
  for (let i = 0; i < m; i++) {
    const cRow = cOffset + i * ldc;
    if (beta === 0) for (let j = 0; j < n; j++) c[cRow + j] = 0;
    else if (beta !== 1) for (let j = 0; j < n; j++) c[cRow + j] *= beta;
    if (alpha === 0) continue;
    for (let p = 0; p < k; p++) {
      const av = alpha * (transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p]);
      if (!transB) {
        const bRow = bOffset + p * ldb;
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bRow + j];
      } else {
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bOffset + j * ldb + p];
      }
    }
  }
}
