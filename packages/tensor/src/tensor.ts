import { allocate, checkDType, dtypeOf, type DType, type TypedArray } from "./dtype.js";
import { ArgumentError, ShapeError } from "./errors.js";
import { formatShape, shapeSize, stridesOf, type Shape } from "./shape.js";

/**
 * A dense, contiguous, row-major tensor of `float32` (Float32Array) or `float64` (Float64Array).
 * Images are NCHW: `[batch, channels, height, width]`.
 *
 * A tensor owns one typed array; {@link Tensor.reshape} returns a view that shares it. Every other
 * op returns a new tensor unless its name ends in `InPlace`.
 *
 * @example
 * ```ts
 * const x = new Tensor("float32", [2, 3]);      // zeros
 * x.set(1.5, 0, 2);
 * x.get(0, 2);                                  // 1.5
 * x.reshape([3, 2]).shape;                      // [3, 2], same data
 * ```
 */
export class Tensor {
  /** Element type. */
  readonly dtype: DType;
  /** Sizes, outermost first. */
  readonly shape: Shape;
  /** The elements, row-major; length equals {@link Tensor.size}. */
  readonly data: TypedArray;
  /** Number of elements. */
  readonly size: number;

  /**
   * Creates a tensor over `data` (which must have exactly `product(shape)` elements and match the
   * dtype), or a zero-filled one when `data` is omitted. The data is used as is, not copied.
   */
  constructor(dtype: DType, shape: Shape, data?: TypedArray) {
    checkDType("Tensor", dtype);
    const size = shapeSize(shape, "Tensor");
    if (data === undefined) {
      data = allocate(dtype, size);
    } else {
      if (dtypeOf(data) !== dtype) {
        throw new ArgumentError("Tensor", `data is ${dtypeOf(data)} but dtype is ${dtype}`);
      }
      if (data.length !== size) {
        throw new ShapeError(
          "Tensor",
          `data has ${data.length} elements but shape ${formatShape(shape)} needs ${size}`,
        );
      }
    }
    this.dtype = dtype;
    this.shape = Object.freeze(shape.slice());
    this.data = data;
    this.size = size;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Row-major strides in elements. */
  get strides(): number[] {
    return stridesOf(this.shape);
  }

  /**
   * A view with another shape over the same data (no copy). One size may be `-1`, inferred from
   * the others.
   *
   * @example
   * ```ts
   * new Tensor("float32", [2, 3, 4]).reshape([6, -1]).shape; // [6, 4]
   * ```
   */
  reshape(shape: Shape): Tensor {
    const free = shape.indexOf(-1);
    let resolved = shape;
    if (free >= 0) {
      if (shape.indexOf(-1, free + 1) >= 0) {
        throw new ShapeError("reshape", `only one size may be -1 (got ${formatShape(shape)})`);
      }
      const known = shapeSize(shape.filter((_, i) => i !== free), "reshape");
      if (known === 0 || this.size % known !== 0) {
        throw new ShapeError(
          "reshape",
          `cannot reshape ${formatShape(this.shape)} (${this.size} elements) to ${formatShape(shape)}`,
        );
      }
      resolved = shape.map((d, i) => (i === free ? this.size / known : d));
    }
    const size = shapeSize(resolved, "reshape");
    if (size !== this.size) {
      throw new ShapeError(
        "reshape",
        `cannot reshape ${formatShape(this.shape)} (${this.size} elements) to ${formatShape(shape)} (${size} elements)`,
      );
    }
    return new Tensor(this.dtype, resolved, this.data);
  }

  /**
   * A copy with its own data.
   *
   * @example
   * ```ts
   * const y = x.clone(); y.data[0] = 1; // x unchanged
   * ```
   */
  clone(): Tensor {
    return new Tensor(this.dtype, this.shape, this.data.slice());
  }

  /**
   * This tensor converted to another dtype (a copy; `float64 -> float32` rounds to nearest).
   * Returns a copy even when the dtype is already the requested one.
   *
   * @example
   * ```ts
   * x.astype("float64").dtype; // "float64"
   * ```
   */
  astype(dtype: DType): Tensor {
    checkDType("astype", dtype);
    const out = allocate(dtype, this.size);
    out.set(this.data);
    return new Tensor(dtype, this.shape, out);
  }

  /** Flat row-major offset of a multi-index, checked against the shape. */
  offset(index: readonly number[]): number {
    if (index.length !== this.shape.length) {
      throw new ShapeError(
        "Tensor.get",
        `index [${index.join(",")}] has ${index.length} entries but the tensor ${formatShape(this.shape)} has rank ${this.shape.length}`,
      );
    }
    let off = 0;
    for (let i = 0; i < index.length; i++) {
      const k = index[i];
      const d = this.shape[i];
      if (!Number.isInteger(k) || k < 0 || k >= d) {
        throw new ShapeError(
          "Tensor.get",
          `index [${index.join(",")}] is out of bounds for shape ${formatShape(this.shape)}`,
        );
      }
      off = off * d + k;
    }
    return off;
  }

  /**
   * The element at a multi-index.
   *
   * @example
   * ```ts
   * fromArray([[1, 2], [3, 4]]).get(1, 0); // 3
   * ```
   */
  get(...index: number[]): number {
    return this.data[this.offset(index)];
  }

  /**
   * Sets the element at a multi-index.
   *
   * @example
   * ```ts
   * x.set(7, 0, 1);
   * ```
   */
  set(value: number, ...index: number[]): void {
    this.data[this.offset(index)] = value;
  }

  /**
   * The single value of a one-element tensor.
   *
   * @example
   * ```ts
   * sum(x).item();
   * ```
   */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError("item", `tensor of shape ${formatShape(this.shape)} has ${this.size} elements, not 1`);
    }
    return this.data[0];
  }

  /**
   * Fills every element with a value, in place; returns this tensor.
   *
   * @example
   * ```ts
   * new Tensor("float32", [3]).fill(2); // [2, 2, 2]
   * ```
   */
  fill(value: number): this {
    this.data.fill(value);
    return this;
  }

  /**
   * The elements as a plain, flat, row-major number array.
   *
   * @example
   * ```ts
   * fromArray([[1, 2], [3, 4]]).toArray(); // [1, 2, 3, 4]
   * ```
   */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /**
   * The elements as nested arrays following the shape (a number for a scalar).
   *
   * @example
   * ```ts
   * fromArray([[1, 2], [3, 4]]).toNested(); // [[1, 2], [3, 4]]
   * ```
   */
  toNested(): unknown {
    const build = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return this.data[off];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      const out: unknown[] = [];
      for (let i = 0; i < this.shape[dim]; i++) out.push(build(dim + 1, off + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** A short description: dtype and shape. */
  toString(): string {
    return `Tensor(${this.dtype}, ${formatShape(this.shape)})`;
  }
}

/**
 * Throws a {@link ShapeError} unless the tensor has the given rank; `what` names the argument.
 *
 * @example
 * ```ts
 * checkRank("Conv2D", "input", x, 4); // "Conv2D: input must be 4-D NCHW (got [3,8,8])"
 * ```
 */
export function checkRank(op: string, what: string, t: Tensor, rank: number): void {
  if (!(t instanceof Tensor)) {
    throw new ArgumentError(op, `${what} must be a Tensor`);
  }
  if (t.rank !== rank) {
    const hint = rank === 4 ? " NCHW" : "";
    throw new ShapeError(op, `${what} must be ${rank}-D${hint} (got ${formatShape(t.shape)})`);
  }
}
