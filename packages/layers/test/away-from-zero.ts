import { Rng, Tensor, randn, type Shape } from "@unetkit/tensor";

/** Random float64 normals pushed at least 0.05 away from 0 (the kink of ReLU and LeakyReLU). */
export function awayFromZero(shape: Shape, rng: Rng): Tensor {
  const x = randn(shape, rng, { dtype: "float64" });
  for (let i = 0; i < x.size; i++) x.data[i] += x.data[i] >= 0 ? 0.05 : -0.05;
  return x;
}

/** Bounds of a small random shape for fast-check: rank 1..4, sizes 1..4. */
export const smallShape = {
  minLength: 1,
  maxLength: 4,
  min: 1,
  max: 4,
} as const;
