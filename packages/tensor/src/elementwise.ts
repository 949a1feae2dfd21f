import { backendFor } from "./backend-registry.js";
import { broadcastShapes, broadcastStrides } from "./broadcast.js";
import type { TypedArray } from "./dtype.js";
import { ArgumentError, ShapeError } from "./errors.js";
import { formatShape, sameShape, type Shape } from "./shape.js";
import { Tensor } from "./tensor.js";

/** Kernel op codes (plain numbers so the kernel's switch stays monomorphic). */
const Op = { Add: 0, Sub: 1, Mul: 2, Div: 3, /** `a + alpha * b` */ Axpy: 4 } as const;
type Op = (typeof Op)[keyof typeof Op];

function checkTensor(op: string, what: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError(op, `${what} must be a Tensor`);
}

function checkScalar(op: string, what: string, s: unknown): asserts s is number {
  if (typeof s !== "number") throw new ArgumentError(op, `${what} must be a number (got ${typeof s})`);
}

function checkPair(op: string, a: Tensor, b: Tensor): void {
  checkTensor(op, "a", a);
  checkTensor(op, "b", b);
  if (a.dtype !== b.dtype) {
    throw new ArgumentError(
      op,
      `dtypes differ (${a.dtype} ${formatShape(a.shape)} and ${b.dtype} ${formatShape(b.shape)}); convert one with astype`,
    );
  }
}

/**
 * Merges adjacent axes that are contiguous for every operand so the loops run over as few, as long
 * axes as possible (a same-shape op becomes one flat loop).
 */
function coalesce(shape: Shape, strides: number[][]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (d === 1) continue; // size-1 axes contribute nothing to the walk
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[i] * d)) {
      outShape[last] *= d;
      for (let k = 0; k < strides.length; k++) outStrides[k][last] = strides[k][i];
    } else {
      outShape.push(d);
      for (let k = 0; k < strides.length; k++) outStrides[k].push(strides[k][i]);
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** `out[i] = a[i'] (op) b[i'']` over a contiguous output with broadcast strides for a and b. */
function binaryKernel(
  op: Op,
  alpha: number,
  out: TypedArray,
  outShape: Shape,
  a: TypedArray,
  aStrides: number[],
  b: TypedArray,
  bStrides: number[],
): void {
  const size = out.length;
  if (size === 0) return;
  const c = coalesce(outShape, [aStrides, bStrides]);
  const rank = c.shape.length;
  const n = rank === 0 ? 1 : c.shape[rank - 1];
  const sa = rank === 0 ? 0 : c.strides[0][rank - 1];
  const sb = rank === 0 ? 0 : c.strides[1][rank - 1];
  const outer = size / n;
  const counter = new Array<number>(Math.max(0, rank - 1)).fill(0);
  let ia = 0;
  let ib = 0;
  let io = 0;
  for (let row = 0; row < outer; row++) {
    switch (op) {
      case Op.Add:
        for (let j = 0, pa = ia, pb = ib; j < n; j++, pa += sa, pb += sb) out[io + j] = a[pa] + b[pb];
        break;
      case Op.Sub:
        for (let j = 0, pa = ia, pb = ib; j < n; j++, pa += sa, pb += sb) out[io + j] = a[pa] - b[pb];
        break;
      case Op.Mul:
        for (let j = 0, pa = ia, pb = ib; j < n; j++, pa += sa, pb += sb) out[io + j] = a[pa] * b[pb];
        break;
      case Op.Div:
        for (let j = 0, pa = ia, pb = ib; j < n; j++, pa += sa, pb += sb) out[io + j] = a[pa] / b[pb];
        break;
      case Op.Axpy:
        for (let j = 0, pa = ia, pb = ib; j < n; j++, pa += sa, pb += sb) out[io + j] = a[pa] + alpha * b[pb];
        break;
    }
    io += n;
    // advance the outer multi-index (odometer), innermost outer axis first
    for (let d = rank - 2; d >= 0; d--) {
      ia += c.strides[0][d];
      ib += c.strides[1][d];
      if (++counter[d] < c.shape[d]) break;
      counter[d] = 0;
      ia -= c.strides[0][d] * c.shape[d];
      ib -= c.strides[1][d] * c.shape[d];
    }
  }
}

/**
 * The same-shape case of {@link binaryKernel}: one flat loop per op, no strides or odometer (a small
 * function V8 optimises after a few calls; `out` may be `a`). Same arithmetic, same results.
 */
function flatKernel(op: Op, alpha: number, out: TypedArray, a: TypedArray, b: TypedArray): void {
  const n = out.length;
  switch (op) {
    case Op.Add:
      for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
      break;
    case Op.Sub:
      for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
      break;
    case Op.Mul:
      for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
      break;
    case Op.Div:
      for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
      break;
    case Op.Axpy:
      for (let i = 0; i < n; i++) out[i] = a[i] + alpha * b[i];
      break;
  }
}

/** {@link flatKernel} into `out`, except a sum, which goes to the backend's `add` kernel where it has one (same results). */
function sameShapeKernel(op: Op, alpha: number, out: Tensor, a: Tensor, b: Tensor): void {
  const kernels = backendFor(out.dtype);
  if (op === Op.Add && kernels.add) kernels.add({ a: a.data, b: b.data, out: out.data });
  else flatKernel(op, alpha, out.data, a.data, b.data);
}

function binary(name: string, op: Op, a: Tensor, b: Tensor | number, alpha = 1): Tensor {
  checkTensor(name, "a", a);
  if (typeof b === "number") {
    const out = new Tensor(a.dtype, a.shape);
    scalarKernel(op, out.data, a.data, b);
    return out;
  }
  checkPair(name, a, b);
  if (sameShape(a.shape, b.shape)) {
    const out = new Tensor(a.dtype, a.shape);
    sameShapeKernel(op, alpha, out, a, b);
    return out;
  }
  const shape = broadcastShapes(a.shape, b.shape, name);
  const out = new Tensor(a.dtype, shape);
  binaryKernel(op, alpha, out.data, shape, a.data, broadcastStrides(a.shape, shape), b.data, broadcastStrides(b.shape, shape));
  return out;
}

function binaryInPlace(name: string, op: Op, a: Tensor, b: Tensor | number, alpha = 1): Tensor {
  checkTensor(name, "a", a);
  if (typeof b === "number") {
    scalarKernel(op, a.data, a.data, b);
    return a;
  }
  checkPair(name, a, b);
  if (sameShape(a.shape, b.shape)) {
    sameShapeKernel(op, alpha, a, a, b);
    return a;
  }
  const shape = broadcastShapes(a.shape, b.shape, name);
  if (!sameShape(shape, a.shape)) {
    throw new ShapeError(
      name,
      `b ${formatShape(b.shape)} broadcasts a ${formatShape(a.shape)} to ${formatShape(shape)}, but an in-place op cannot change a's shape`,
    );
  }
  binaryKernel(op, alpha, a.data, shape, a.data, broadcastStrides(a.shape, shape), b.data, broadcastStrides(b.shape, shape));
  return a;
}

function scalarKernel(op: Op, out: TypedArray, a: TypedArray, s: number): void {
  const n = out.length;
  switch (op) {
    case Op.Add:
      for (let i = 0; i < n; i++) out[i] = a[i] + s;
      break;
    case Op.Sub:
      for (let i = 0; i < n; i++) out[i] = a[i] - s;
      break;
    case Op.Mul:
      for (let i = 0; i < n; i++) out[i] = a[i] * s;
      break;
    case Op.Div:
      for (let i = 0; i < n; i++) out[i] = a[i] / s;
      break;
    case Op.Axpy:
      throw new ArgumentError("axpy", "internal: scalar axpy is not defined");
  }
}

/**
 * Elementwise sum `a + b` as a new tensor. `b` may be a number, a tensor of the same shape, or any
 * tensor that broadcasts with `a` by PyTorch's rules (the result has the broadcast shape). Both
 * tensors must have one dtype (no implicit promotion; use `astype`).
 *
 * @example
 * ```ts
 * add(fromArray([[1, 2], [3, 4]]), fromArray([10, 20])).toArray(); // [11, 22, 13, 24]
 * add(x, 1); // x + 1
 * ```
 */
export function add(a: Tensor, b: Tensor | number): Tensor {
  return binary("add", Op.Add, a, b);
}

/**
 * Elementwise difference `a - b` (broadcasting as {@link add}).
 *
 * @example
 * ```ts
 * sub(fromArray([5, 7]), fromArray([1, 2])).toArray(); // [4, 5]
 * ```
 */
export function sub(a: Tensor, b: Tensor | number): Tensor {
  return binary("sub", Op.Sub, a, b);
}

/**
 * Elementwise product `a * b` (broadcasting as {@link add}).
 *
 * @example
 * ```ts
 * mul(fromArray([2, 3]), fromArray([4, 5])).toArray(); // [8, 15]
 * ```
 */
export function mul(a: Tensor, b: Tensor | number): Tensor {
  return binary("mul", Op.Mul, a, b);
}

/**
 * Elementwise quotient `a / b` (broadcasting as {@link add}; IEEE division, so `x / 0` is ±Infinity
 * or NaN as in PyTorch).
 *
 * @example
 * ```ts
 * div(fromArray([1, 3]), fromArray([2, 4])).toArray(); // [0.5, 0.75]
 * ```
 */
export function div(a: Tensor, b: Tensor | number): Tensor {
  return binary("div", Op.Div, a, b);
}

/**
 * `t * s` for a number `s`, as a new tensor of the same shape and dtype.
 *
 * @example
 * ```ts
 * scale(fromArray([1, 2]), 0.5).toArray(); // [0.5, 1]
 * ```
 */
export function scale(t: Tensor, s: number): Tensor {
  checkScalar("scale", "s", s);
  return binary("scale", Op.Mul, t, s);
}

/**
 * `a += b` in place; returns `a`. `b` is a number, a tensor of `a`'s shape, or a tensor that
 * broadcasts to `a`'s shape (the result must keep `a`'s shape, as PyTorch's `add_`).
 *
 * @example
 * ```ts
 * addInPlace(grad, update); // grad now holds grad + update
 * ```
 */
export function addInPlace(a: Tensor, b: Tensor | number): Tensor {
  return binaryInPlace("addInPlace", Op.Add, a, b);
}

/**
 * `a -= b` in place; returns `a` (broadcasting as {@link addInPlace}).
 *
 * @example
 * ```ts
 * subInPlace(weights, step);
 * ```
 */
export function subInPlace(a: Tensor, b: Tensor | number): Tensor {
  return binaryInPlace("subInPlace", Op.Sub, a, b);
}

/**
 * `a *= b` in place; returns `a` (broadcasting as {@link addInPlace}).
 *
 * @example
 * ```ts
 * mulInPlace(x, mask);
 * ```
 */
export function mulInPlace(a: Tensor, b: Tensor | number): Tensor {
  return binaryInPlace("mulInPlace", Op.Mul, a, b);
}

/**
 * `t *= s` in place for a number `s`; returns `t`.
 *
 * @example
 * ```ts
 * scaleInPlace(grad, 1 / batchSize);
 * ```
 */
export function scaleInPlace(t: Tensor, s: number): Tensor {
  checkScalar("scaleInPlace", "s", s);
  return binaryInPlace("scaleInPlace", Op.Mul, t, s);
}

/**
 * `y += alpha * x` in place (BLAS axpy); returns `y`. `x` has `y`'s shape or broadcasts to it; one
 * dtype. The SGD step `w -= lr * g` is `axpyInPlace(w, -lr, g)`.
 *
 * @example
 * ```ts
 * axpyInPlace(velocity, 0.1, grad); // velocity += 0.1 * grad
 * ```
 */
export function axpyInPlace(y: Tensor, alpha: number, x: Tensor): Tensor {
  checkScalar("axpyInPlace", "alpha", alpha);
  checkTensor("axpyInPlace", "x", x);
  return binaryInPlace("axpyInPlace", Op.Axpy, y, x, alpha);
}
