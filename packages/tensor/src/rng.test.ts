import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FormatError, Rng, globalRng, manualSeed, type RngState } from "./index.js";

function draws(rng: Rng): number[] {
  return [rng.uniform(), rng.normal(), rng.normal(), rng.normal(), rng.int(0, 1000), rng.uniform(-3, 5), rng.bernoulli(0.5) ? 1 : 0];
}

describe("Rng", () => {
  it("the same seed gives the same sequence; different seeds differ", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        expect(draws(new Rng(seed))).toEqual(draws(new Rng(seed)));
        expect(new Rng(seed).permutation(20)).toEqual(new Rng(seed).permutation(20));
        expect(draws(new Rng(seed))).not.toEqual(draws(new Rng(seed + 1)));
      }),
      { numRuns: 100 },
    );
  });

  it("is pinned: seed 42 gives these numbers on every machine", () => {
    // Recorded once from this implementation; a change here changes every seeded data set and model.
    const rng = new Rng(42);
    const got = [rng.uniform(), rng.uniform(), rng.int(0, 100), rng.normal()];
    const again = new Rng(42);
    expect([again.uniform(), again.uniform(), again.int(0, 100), again.normal()]).toEqual(got);
    expect(got.map((v) => v.toPrecision(12))).toMatchInlineSnapshot(`
      [
        "0.368336644350",
        "0.128887654200",
        "90.0000000000",
        "0.135672605394",
      ]
    `);
  });

  it("getState / fromState continue exactly, through JSON and with a pending normal", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 20 }), (seed, warm) => {
        const a = new Rng(seed);
        for (let i = 0; i < warm; i++) a.normal(); // odd counts leave a spare normal pending
        const state = JSON.parse(JSON.stringify(a.getState())) as RngState;
        const b = Rng.fromState(state);
        const c = a.clone();
        const ra = draws(a);
        expect(draws(b)).toEqual(ra);
        expect(draws(c)).toEqual(ra);
      }),
      { numRuns: 100 },
    );
  });

  it("fromState refuses malformed states", () => {
    const good = new Rng(1).getState();
    expect(() => Rng.fromState({ ...good, kind: "mt19937" as "xoroshiro128plus" })).toThrow(FormatError);
    expect(() => Rng.fromState({ ...good, words: [1, 2, 3] })).toThrow(/Rng.fromState: not a valid xoroshiro128plus state/);
    expect(() => Rng.fromState({ ...good, words: [1, 2, 3, 1.5] })).toThrow(FormatError);
    expect(() => Rng.fromState({ ...good, spare: NaN })).toThrow(FormatError);
    expect(() => Rng.fromState(null as unknown as RngState)).toThrow(FormatError);
  });

  it("permutation is a permutation; shuffle keeps the elements", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 200 }), (seed, n) => {
        const p = new Rng(seed).permutation(n);
        expect(p.length).toBe(n);
        expect(p.slice().sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
      { numRuns: 100 },
    );
    expect(() => new Rng(0).permutation(-1)).toThrow(/Rng.permutation: n must be a non-negative integer/);
  });

  it("permutations of 3 are roughly uniform", () => {
    const rng = new Rng(7);
    const counts = new Map<string, number>();
    const n = 6000;
    for (let i = 0; i < n; i++) {
      const k = rng.permutation(3).join("");
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c - n / 6)).toBeLessThan(150); // ~5 sigma
  });

  it("normal draws have about the requested mean and std; uniform draws stay in range", () => {
    const rng = new Rng(123);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = rng.normal(2, 3);
      s += v;
      s2 += v * v;
    }
    const mean = s / n;
    const std = Math.sqrt(s2 / n - mean * mean);
    expect(Math.abs(mean - 2)).toBeLessThan(0.05); // standard error 3/sqrt(n) = 0.0067
    expect(Math.abs(std - 3)).toBeLessThan(0.05);
    const u = rng.fillUniform(new Float64Array(100_000), -1, 1);
    let lo = Infinity;
    let hi = -Infinity;
    let us = 0;
    for (const v of u) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      us += v;
    }
    expect(lo).toBeGreaterThanOrEqual(-1);
    expect(hi).toBeLessThan(1);
    expect(Math.abs(us / u.length)).toBeLessThan(0.02);
  });

  it("int covers [low, high) and refuses bad bounds", () => {
    const rng = new Rng(5);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const v = rng.int(-2, 3);
      expect(v).toBeGreaterThanOrEqual(-2);
      expect(v).toBeLessThan(3);
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([-1, -2, 0, 1, 2].sort());
    expect(() => rng.int(3, 3)).toThrow(/Rng.int: need integers low < high/);
    expect(() => new Rng(1.5)).toThrow(/Rng: seed must be a safe integer/);
  });

  it("fork gives a reproducible independent stream", () => {
    const a = new Rng(9).fork();
    const b = new Rng(9).fork();
    expect(draws(a)).toEqual(draws(b));
    const parent = new Rng(9);
    const child = parent.fork();
    expect(draws(child)).not.toEqual(draws(parent));
  });

  it("manualSeed resets the global generator", () => {
    manualSeed(11);
    const x = draws(globalRng());
    manualSeed(11);
    expect(draws(globalRng())).toEqual(x);
  });
});

describe("Rng seeding", () => {
  it("the first draws of consecutive seeds are spread over [0, 1), not stuck near 1", () => {
    const firsts = Array.from({ length: 2000 }, (_, seed) => new Rng(seed).uniform());
    const mean = firsts.reduce((a, b) => a + b, 0) / firsts.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(firsts.filter((u) => u > 0.99).length).toBeLessThan(60);
    const firstNormals = Array.from({ length: 2000 }, (_, seed) => Math.abs(new Rng(seed).normal()));
    expect(firstNormals.filter((z) => z > 3).length).toBeLessThan(20);
  });
});

describe("Rng seeds", () => {
  it("different safe-integer seeds give different streams (adjacent, negative, beyond 32 bits)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 33 }), (seed, delta) => {
        const a = new Rng(seed);
        const b = new Rng(seed + delta);
        expect([a.uniform(), a.uniform()]).not.toEqual([b.uniform(), b.uniform()]);
      }),
      { numRuns: 500 },
    );
    for (const [x, y] of [[-1, 0], [0, 2 ** 32], [-1, 2 ** 32 - 1], [5, -6]]) {
      expect(new Rng(x).uniform()).not.toBe(new Rng(y).uniform());
    }
  });
});
