import { Tensor } from "@unetkit/tensor";
import { assertGradcheck, loadFixture, relativeError, type Fixture } from "@unetkit/testing";
import type { Labels } from "../src/labels.js";

/** Reads packages/layers/test/fixtures/<name>.json. */
export function fixture(name: string): Fixture {
  return loadFixture(new URL(`./fixtures/${name}.json`, import.meta.url));
}

/** Integer labels of a fixture as Labels. */
export function fixtureLabels(fx: Fixture, name: string): Labels {
  const e = fx.ints[name];
  if (!e) throw new Error(`fixture has no int entry ${name}`);
  return { shape: e.shape, data: Int32Array.from(e.data) };
}

/**
 * The worst elementwise relative error of `actual` against the reference `expected`
 * (`relativeError` of @unetkit/testing: denominators floored at 1e-3 of the largest reference
 * value). A number is compared as a one-element tensor.
 */
export function maxRelError(actual: Tensor | number, expected: Tensor | number): number {
  const e = typeof expected === "number" ? new Tensor("float64", [1], Float64Array.of(expected)) : expected;
  const a = typeof actual === "number" ? new Tensor("float64", e.shape, Float64Array.of(actual)) : actual;
  return relativeError(a, typeof expected === "number" ? e : e.reshape(a.shape.length === e.shape.length ? e.shape : a.shape));
}

/**
 * Checks `grad` = d f / d x of a scalar loss of a float64 tensor with `assertGradcheck` (float64
 * central differences, rtol 1e-6, atol 1e-8; throws a report naming the worst coordinate) and
 * returns the largest relative error it saw.
 */
export function lossGradError(f: (x: Tensor) => number, grad: Tensor, x: Tensor): number {
  const report = assertGradcheck({
    inputs: [x],
    names: ["logits"],
    forward: () => new Tensor("float64", [1], Float64Array.of(f(x))),
    backward: (dy) => {
      const g = new Tensor("float64", grad.shape);
      for (let i = 0; i < g.size; i++) g.data[i] = grad.data[i] * dy.data[0];
      return [g];
    },
    rtol: 1e-6,
    atol: 1e-8,
  });
  return report.maxRelError;
}
