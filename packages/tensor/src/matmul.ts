import { backendFor } from "./backend-registry.js";
import { ArgumentError, ShapeError } from "./errors.js";
import { formatShape } from "./shape.js";
import { checkRank, Tensor } from "./tensor.js";

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** Use the transpose of `a`. */
  transA?: boolean;
  /** Use the transpose of `b`. */
  transB?: boolean;
}

/**
 * Matrix product of two 2-D tensors of one dtype, `op(a) @ op(b)`, through the active backend's
 * GEMM. `a` is `[m, k]` (or `[k, m]` with `transA`), `b` is `[k, n]` (or `[n, k]` with `transB`);
 * the result is `[m, n]`.
 *
 * @example
 * ```ts
 * matmul(fromArray([[1, 2], [3, 4]]), fromArray([[5], [6]])).toArray(); // [17, 39]
 * ```
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  checkRank("matmul", "a", a, 2);
  checkRank("matmul", "b", b, 2);
  if (a.dtype !== b.dtype) {
    throw new ArgumentError("matmul", `dtypes differ (${a.dtype} and ${b.dtype})`);
  }
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (k !== kb) {
    throw new ShapeError(
      "matmul",
      `inner sizes differ: op(a) is [${m},${k}] and op(b) is [${kb},${n}] (a ${formatShape(a.shape)}${transA ? "^T" : ""}, b ${formatShape(b.shape)}${transB ? "^T" : ""})`,
    );
  }
  const out = new Tensor(a.dtype, [m, n]);
  backendFor(a.dtype).gemm({
    transA,
    transB,
    m,
    n,
    k,
    alpha: 1,
    a: a.data,
    aOffset: 0,
    lda: a.shape[1],
    b: b.data,
    bOffset: 0,
    ldb: b.shape[1],
    beta: 0,
    c: out.data,
    cOffset: 0,
    ldc: n,
  });
  return out;
}
