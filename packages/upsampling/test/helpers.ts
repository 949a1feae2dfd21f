import { Arena, Tensor, getBackend, slice, withArena, type DType } from "@unetkit/tensor";
import { expect } from "vitest";
import type { PlaneUpsample } from "../src/plane-upsample.js";
import type { InterpolateGeometry } from "../src/interpolate-size.js";
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

/** Values as comparable bits (-0 apart from 0). */
export const bits = (a: ArrayLike<number>) => Array.from(a, (v) => (Object.is(v, -0) ? "-0" : v));

/**
 * Checks an interpolating layer (x2) into and from channels 2..5 of a [2, 5, 10, 8] tensor against
 * its forward and its backward on a copy, on ordinary arrays and in an arena (the operands then lie
 * in the backend's memory where it has its own), and that forwardInto saves what backward needs.
 */
export function expectLayerSlices(up: PlaneUpsample<{ geometry: InterpolateGeometry }>): void {
  const x = randomTensor([2, 3, 5, 4], 7, "float32");
  const dOut = randomTensor([2, 5, 10, 8], 8, "float32");
  const y = up.forward(x);
  const dx = up.backward(slice(dOut, 1, 2, 5));
  const out = randomTensor([2, 5, 10, 8], 9, "float32");
  up.forwardInto(x, out, 2);
  expect(bits(slice(out, 1, 2, 5).data)).toEqual(bits(y.data));
  expect(bits(up.backward(slice(dOut, 1, 2, 5)).data)).toEqual(bits(dx.data));
  withArena(new Arena(getBackend()), () => {
    const inArena = randomTensor([2, 5, 10, 8], 9, "float32");
    up.forwardInto(randomTensor([2, 3, 5, 4], 7, "float32"), inArena, 2);
    expect(bits(slice(inArena, 1, 2, 5).data)).toEqual(bits(y.data));
    expect(bits(up.backwardFrom(randomTensor([2, 5, 10, 8], 8, "float32"), 2).data)).toEqual(bits(dx.data));
  });
}
