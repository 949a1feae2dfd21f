/**
 * The base class of every error unetkit throws on purpose. `op` names the operation or layer that
 * refused its input (`"Conv2D"`, `"concat"`, `"readSafetensors"`), and the message starts with it.
 *
 * @example
 * ```ts
 * try { add(a, b); } catch (e) { if (e instanceof UnetkitError) console.log(e.op); }
 * ```
 */
export class UnetkitError extends Error {
  /** The operation or layer that threw. */
  readonly op: string;
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = "UnetkitError";
    this.op = op;
  }
}

/**
 * Thrown when shapes do not fit together: wrong rank, mismatched sizes, a channel count that does
 * not match a weight. The message shows the shapes involved.
 *
 * @example
 * ```ts
 * throw new ShapeError("add", "shapes differ ([2,3] and [3,2])");
 * ```
 */
export class ShapeError extends UnetkitError {
  constructor(op: string, message: string) {
    super(op, message);
    this.name = "ShapeError";
  }
}

/**
 * Thrown when an argument other than a shape is invalid: a non-integer size, a negative stride, a
 * label out of range, a NaN where a finite number is required, an unknown option.
 *
 * @example
 * ```ts
 * throw new ArgumentError("Conv2D", "stride must be a positive integer (got 0)");
 * ```
 */
export class ArgumentError extends UnetkitError {
  constructor(op: string, message: string) {
    super(op, message);
    this.name = "ArgumentError";
  }
}

/**
 * Thrown when serialized data (a safetensors file, a checkpoint, a state dict) is corrupt,
 * truncated, hostile or does not match what it should hold.
 *
 * @example
 * ```ts
 * throw new FormatError("readSafetensors", "header length 9e15 exceeds the file size 120");
 * ```
 */
export class FormatError extends UnetkitError {
  constructor(op: string, message: string) {
    super(op, message);
    this.name = "FormatError";
  }
}
