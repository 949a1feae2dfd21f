import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Tensor } from "@unetkit/tensor";
import { checkFinite } from "./loss.js";

describe("checkFinite", () => {
  it("names the first non-finite value and its position, anywhere in the tensor, and passes finite ones (-0, extremes)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 23 }),
        fc.constantFrom("float32", "float64"),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity)), { maxLength: 3 }),
        fc.integer(),
        (n, dtype, bad, seed) => {
          const t = new Tensor(dtype as "float32" | "float64", [1, n]);
          const finite = [0, -0, 1, -2.5, 3.4e38, -3.4e38, 1e-45, -1e-300];
          for (let i = 0; i < n; i++) t.data[i] = finite[Math.abs(seed + i * 7) % finite.length];
          for (const [at, v] of bad) t.data[at % n] = v;
          const first = t.data.findIndex((v) => !Number.isFinite(v));
          if (first < 0) {
            expect(() => checkFinite("op", "logits", t)).not.toThrow();
          } else {
            expect(() => checkFinite("op", "logits", t)).toThrow(`op: logits hold a non-finite value (${t.data[first]}) at [0,${first}] (logits [1,${n}])`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
