import { Tensor, fromArray, type DType } from "@unetkit/tensor";
import { loadFixture, relativeError, type Fixture } from "@unetkit/testing";
import { expect } from "vitest";

/** Loads `test/fixtures/<name>.json` (written by tools/fixtures/layers.py). */
export function layerFixture(name: string): Fixture {
  return loadFixture(new URL(`./fixtures/${name}.json`, import.meta.url));
}

/** A fixture tensor by name, failing clearly when the fixture lacks it. */
export function tensorOf(fx: Fixture, name: string, dtype: DType = "float32"): Tensor {
  const t = fx.tensors[name];
  if (!t) throw new Error(`fixture has no tensor "${name}" (has ${Object.keys(fx.tensors).join(", ")})`);
  return t.dtype === dtype ? t : t.astype(dtype);
}

/** An integer fixture entry (indices, counts) as a float tensor. */
export function intsOf(fx: Fixture, name: string, dtype: DType = "float32"): Tensor {
  const e = fx.ints[name];
  if (!e) throw new Error(`fixture has no integer entry "${name}"`);
  return fromArray(e.data, { shape: e.shape, dtype });
}

/** Every entry whose name starts with `prefix`, keyed by the rest (integer entries as floats). */
export function stateOf(fx: Fixture, prefix: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(fx.tensors)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = t;
  for (const k of Object.keys(fx.ints)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = intsOf(fx, k);
  return out;
}

/** The bar for float32 against PyTorch: worst relative error under 1e-4. */
export function expectMatches(actual: Tensor, expected: Tensor, label: string, tol = 1e-4): void {
  expect(actual.shape, `${label}: shape`).toEqual(expected.shape);
  const err = relativeError(actual, expected);
  expect(err, `${label}: worst relative error ${err}`).toBeLessThan(tol);
}
