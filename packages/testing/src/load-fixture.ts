import { readFileSync } from "node:fs";
import { FormatError, Tensor, fromArray } from "@unetkit/tensor";

/** A golden fixture written by a `tools/fixtures/*.py` script: tensors, labels and metadata. */
export interface Fixture {
  /** Metadata the script recorded (the torch version, the layer's options, ...). */
  meta: Record<string, unknown>;
  /** Float tensors by name, in the dtype they were saved in. */
  tensors: Record<string, Tensor>;
  /** Integer tensors (labels, indices) by name, as plain arrays with their shape. */
  ints: Record<string, { shape: number[]; data: number[] }>;
}

/**
 * Reads a JSON fixture written by `tools/fixtures/common.py` (`save(...)`) and validates it:
 * every entry needs a shape of non-negative integers, exactly that many values, and a dtype of
 * `float32`, `float64` (returned as tensors) or `int64` (returned as plain arrays in `ints`). A file
 * that cannot be read or parsed, or breaks these rules, is refused with a `FormatError`.
 *
 * @example
 * ```ts
 * const fx = loadFixture(new URL("../test/fixtures/conv2d.json", import.meta.url));
 * fx.tensors.weight.shape; // [8, 4, 3, 3]
 * ```
 */
export function loadFixture(path: string | URL): Fixture {
  const op = "loadFixture";
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new FormatError(op, `cannot read ${String(path)}: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== "object" || !("tensors" in raw)) {
    throw new FormatError(op, `${String(path)} is not a fixture (no "tensors")`);
  }
  const obj = raw as { meta?: Record<string, unknown>; tensors: Record<string, unknown> };
  const tensors: Record<string, Tensor> = {};
  const ints: Fixture["ints"] = {};
  for (const [name, entry] of Object.entries(obj.tensors)) {
    const e = entry as { shape?: unknown; dtype?: unknown; data?: unknown };
    if (!Array.isArray(e.shape) || !Array.isArray(e.data)) {
      throw new FormatError(op, `${String(path)}: entry ${name} needs shape and data arrays`);
    }
    const shape = e.shape as number[];
    const data = e.data as number[];
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new FormatError(op, `${String(path)}: entry ${name} has an invalid shape ${JSON.stringify(shape)}`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) {
      throw new FormatError(
        op,
        `${String(path)}: entry ${name} has ${data.length} values but shape [${shape.join(",")}] needs ${size}`,
      );
    }
    const integer = e.dtype === "int64";
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (typeof v !== "number" || (integer && !Number.isInteger(v))) {
        throw new FormatError(op, `${String(path)}: entry ${name} value ${i} is not ${integer ? "an integer" : "a number"}`);
      }
    }
    if (e.dtype === "int64") {
      ints[name] = { shape, data };
    } else if (e.dtype === "float32" || e.dtype === "float64") {
      tensors[name] = fromArray(data, { shape, dtype: e.dtype });
    } else {
      throw new FormatError(op, `${String(path)}: entry ${name} has unknown dtype ${String(e.dtype)}`);
    }
  }
  return { meta: obj.meta ?? {}, tensors, ints };
}
