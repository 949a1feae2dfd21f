import { Tensor, type DType } from "@unetkit/tensor";
import { Rng } from "@unetkit/tensor";

/** A float64 tensor of standard normal draws from a seeded generator. */
export function randomTensor(shape: number[], seed: number, dtype: DType = "float64"): Tensor {
  const t = new Tensor(dtype, shape);
  new Rng(seed).fillNormal(t.data);
  return t;
}

/** The inner product of two tensors of the same size, in float64. */
export function dot(a: Tensor, b: Tensor): number {
  if (a.size !== b.size) throw new Error(`dot: sizes differ (${a.size} and ${b.size})`);
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i] * b.data[i];
  return s;
}

/** Relative difference of two scalars, with a floor of 1 on the scale. */
export function scalarRelDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));
}
