import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, Rng, Tensor, manualSeed, randn } from "@unetkit/tensor";
import { Dropout } from "./dropout.js";

describe("Dropout", () => {
  it("zeroes a fraction about p and scales the rest by 1/(1-p); backward uses the same mask", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.integer({ min: 0, max: 1000 }), (p, seed) => {
        const drop = new Dropout(p, { rng: new Rng(seed) });
        const x = new Tensor("float64", [4000]).fill(1);
        const y = drop.forward(x);
        let zeros = 0;
        let worstScale = 0;
        for (const v of y.data) {
          if (v === 0) zeros++;
          else worstScale = Math.max(worstScale, Math.abs(v - 1 / (1 - p)));
        }
        expect(worstScale).toBeLessThan(1e-12);
        expect(Math.abs(zeros / 4000 - p)).toBeLessThan(0.05);
        const dy = randn([4000], new Rng(seed + 1), { dtype: "float64" });
        const dx = drop.backward(dy);
        let mismatches = 0;
        for (let i = 0; i < 4000; i++) if (dx.data[i] !== dy.data[i] * y.data[i]) mismatches++;
        expect(mismatches).toBe(0);
      }),
      { numRuns: 10 },
    );
  });

  it("is reproducible from the seed and from manualSeed", () => {
    const x = randn([2, 3, 4], new Rng(0));
    const a = new Dropout(0.5, { rng: new Rng(9) }).forward(x).toArray();
    const b = new Dropout(0.5, { rng: new Rng(9) }).forward(x).toArray();
    expect(a).toEqual(b);
    manualSeed(3);
    const c = new Dropout(0.5).forward(x).toArray();
    manualSeed(3);
    const d = new Dropout(0.5).forward(x).toArray();
    expect(c).toEqual(d);
    expect(c).not.toEqual(a);
  });

  it("is the identity in eval mode and with p = 0; p = 1 drops everything", () => {
    const x = randn([3, 3], new Rng(1));
    const drop = new Dropout(0.5).eval();
    expect(drop.forward(x)).toBe(x);
    const dy = randn([3, 3], new Rng(2));
    expect(drop.backward(dy)).toBe(dy);
    expect(new Dropout(0).forward(x)).toBe(x);
    expect(new Dropout(1, { rng: new Rng(0) }).forward(x).toArray().every((v) => v === 0)).toBe(true);
  });

  it("refuses p outside [0, 1] and backward without forward", () => {
    expect(() => new Dropout(1.5)).toThrow(ArgumentError);
    expect(() => new Dropout(-0.1)).toThrow(/Dropout: dropout probability has to be between 0 and 1/);
    expect(() => new Dropout().backward(new Tensor("float32", [1]))).toThrow(/Dropout: backward called without a matching forward/);
  });
});
