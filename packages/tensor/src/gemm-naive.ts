import type { GemmArgs } from "./backend.js";

/**
 * Reference TypeScript GEMM, `C = alpha * op(A) * op(B) + beta * C` on row-major data (see
 * {@link GemmArgs}). Loop order i-p-j over rows of C so the innermost loop runs along contiguous
 * rows of B and C.
 *
 * @example
 * ```ts
 * gemmTs({ transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 1, a, aOffset: 0, lda: 2,
 *          b, bOffset: 0, ldb: 2, beta: 0, c, cOffset: 0, ldc: 2 });
 * ```
 */
export function gemmTs(args: GemmArgs): void {
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
