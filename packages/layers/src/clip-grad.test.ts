import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, Rng, Tensor, randn } from "@unetkit/tensor";
import { clipGradNorm, clipGradValue } from "./clip-grad.js";
import { Parameter } from "./parameter.js";
import { fixture, maxRelError } from "../test/loss-helpers.js";

const fx = fixture("clip-grad");

function params(): Parameter[] {
  return [0, 1, 2].map((j) => {
    const g = fx.tensors[`grad_${j}`];
    const p = new Parameter(new Tensor("float64", g.shape));
    p.grad.data.set(g.data);
    return p;
  });
}

describe("clipGradNorm / clipGradValue: torch.nn.utils fixtures", () => {
  const cases = fx.meta.cases as Record<string, { normType: number | "inf"; maxNorm: number }>;
  for (const [key, { normType, maxNorm }] of Object.entries(cases)) {
    it(`clip_grad_norm_ (${key})`, () => {
      const ps = params();
      const total = clipGradNorm(ps, maxNorm, { normType: normType === "inf" ? Infinity : normType });
      expect(maxRelError(total, fx.tensors[`${key}_total`])).toBeLessThan(1e-13);
      ps.forEach((p, j) => expect(maxRelError(p.grad, fx.tensors[`${key}_grad_${j}`])).toBeLessThan(1e-13));
    });
  }

  it("clip_grad_value_", () => {
    const ps = params();
    clipGradValue(ps, 1.5);
    ps.forEach((p, j) => expect(Array.from(p.grad.data)).toEqual(Array.from(fx.tensors[`value_grad_${j}`].data)));
  });
});

describe("clipGradNorm: properties and errors", () => {
  it("leaves the norm at most maxNorm and keeps directions; no change under the bound", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 0.01, max: 20, noNaN: true }), (seed, maxNorm) => {
        const rng = new Rng(seed);
        const ps = [new Parameter(randn([3, 2], rng, { dtype: "float64" })), new Parameter(randn([4], rng, { dtype: "float64" }))];
        for (const p of ps) rng.fillNormal(p.grad.data, 0, 2);
        const before = ps.map((p) => Array.from(p.grad.data));
        const total = clipGradNorm(ps, maxNorm);
        const after = Math.sqrt(ps.reduce((a, p) => a + p.grad.toArray().reduce((s, v) => s + v * v, 0), 0));
        expect(after).toBeLessThanOrEqual(maxNorm + 1e-12);
        const ratio = Math.min(1, maxNorm / (total + 1e-6));
        ps.forEach((p, j) => p.grad.data.forEach((v, i) => expect(v).toBeCloseTo(before[j][i] * ratio, 12)));
        if (total < maxNorm) ps.forEach((p, j) => expect(Array.from(p.grad.data)).toEqual(before[j]));
      }),
      { numRuns: 50 },
    );
  });

  it("skips frozen parameters and refuses bad arguments and non-finite norms", () => {
    const a = new Parameter(new Tensor("float64", [2]));
    const frozen = new Parameter(new Tensor("float64", [2]));
    frozen.requiresGrad = false;
    a.grad.data.set([3, 4]);
    frozen.grad.data.set([30, 40]);
    expect(clipGradNorm([a, frozen], 1)).toBe(5);
    expect(frozen.grad.toArray()).toEqual([30, 40]);
    expect(() => clipGradNorm([a], -1)).toThrow(ArgumentError);
    expect(() => clipGradNorm([a], 1, { normType: 0 })).toThrow(/normType/);
    expect(() => clipGradValue([a], Number.NaN)).toThrow(/clipValue/);
    expect(() => clipGradNorm([{} as Parameter], 1)).toThrow(/not a Parameter/);
    a.grad.data[0] = Number.POSITIVE_INFINITY;
    expect(() => clipGradNorm([a], 1)).toThrow("clipGradNorm: the total norm of order 2 of the gradients of 1 parameters is Infinity");
    expect(clipGradNorm([a], 1, { errorIfNonfinite: false })).toBe(Infinity);
  });
});
