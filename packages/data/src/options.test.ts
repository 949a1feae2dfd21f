import { ArgumentError, Rng } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkInt, checkKeys, checkPair, mixSeed } from "./options.js";

describe("option helpers", () => {
  it("mixSeed is deterministic, 32-bit, and separates neighbouring inputs", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 1e6 }), (seed, k) => {
        const a = mixSeed(seed, k);
        expect(a).toBe(mixSeed(seed, k));
        expect(a).toBe(a | 0);
        expect(a).not.toBe(mixSeed(seed, k + 1));
        expect(a).not.toBe(mixSeed(seed + 1, k));
      }),
      { numRuns: 200 },
    );
    // High bits of a large safe-integer seed matter.
    expect(mixSeed(2 ** 40)).not.toBe(mixSeed(0));
  });

  it("checkers name the option", () => {
    expect(checkInt("op", "n", 3, 0)).toBe(3);
    expect(() => checkInt("op", "n", 3.5)).toThrow(/op: n must be an integer/);
    expect(() => checkPair("op", "r", [3, 1], true)).toThrow(/r must have min <= max/);
    expect(() => checkPair("op", "r", [1], true)).toThrow(ArgumentError);
    expect(() => checkKeys("op", { a: 1, b: 2 }, ["a"])).toThrow(/unknown option "b"/);
  });
});
