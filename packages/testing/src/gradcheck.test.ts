import { ArgumentError, Rng, ShapeError, Tensor, matmul, randn } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assertGradcheck, formatGradcheckReport, gradcheck } from "./index.js";

const f64 = (shape: number[], seed: number) => randn(shape, new Rng(seed), { dtype: "float64" });

function map3(a: Tensor, b: Tensor, c: Tensor, f: (x: number, y: number, z: number) => number): Tensor {
  const out = new Tensor("float64", a.shape);
  for (let i = 0; i < out.size; i++) out.data[i] = f(a.data[i], b.data[i], c.data[i]);
  return out;
}

/** y = x * x * w elementwise, with its gradients; `wrong` breaks one thing on purpose. */
function squareTimes(x: Tensor, w: Tensor, wrong?: "factor" | "one-coordinate") {
  return {
    inputs: [x, w],
    names: ["x", "w"],
    forward: () => map3(x, x, w, (a, _, c) => a * a * c),
    backward: (dy: Tensor) => {
      const dx = map3(dy, x, w, (d, a, c) => (wrong === "factor" ? 1 : 2) * a * c * d);
      const dw = map3(dy, x, x, (d, a) => a * a * d);
      if (wrong === "one-coordinate") dw.data[1 * w.shape[1] + 2] += 0.1;
      return [dx, dw];
    },
  };
}

describe("gradcheck", () => {
  it("passes on correct gradients of y = x*x*w over random shapes (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1e6 }), (m, n, seed) => {
        const report = gradcheck({ ...squareTimes(f64([m, n], seed), f64([m, n], seed + 1)), seed });
        expect(report.ok, formatGradcheckReport(report)).toBe(true);
        expect(report.checked).toBe(2 * m * n);
        expect(report.failed).toBe(0);
        expect(report.maxRelError).toBeLessThanOrEqual(1e-5);
      }),
      { numRuns: 40 },
    );
  });

  it("passes on correct gradients of a matrix product (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 1e6 }),
        (m, k, n, seed) => {
          const a = f64([m, k], seed);
          const b = f64([k, n], seed + 7);
          const report = assertGradcheck({
            inputs: [a, b],
            names: ["a", "b"],
            forward: () => matmul(a, b),
            // dA = dY B^T, dB = A^T dY
            backward: (dy) => [matmul(dy, b, { transB: true }), matmul(a, dy, { transA: true })],
            seed,
          });
          expect(report.worst).not.toBeNull();
        },
      ),
      { numRuns: 40 },
    );
  });

  it("fails on a backward wrong at one coordinate and reports that coordinate", () => {
    const x = f64([3, 4], 1);
    const w = f64([3, 4], 2);
    const report = gradcheck(squareTimes(x, w, "one-coordinate"));
    expect(report.ok).toBe(false);
    expect(report.failed).toBe(1);
    expect(report.worst?.input).toBe("w");
    expect(report.worst?.index).toEqual([1, 2]);
    expect(report.worst!.analytic - report.worst!.numeric).toBeCloseTo(0.1, 6);
    expect(report.perInput.map((p) => p.name)).toEqual(["x", "w"]);
    expect(report.perInput[0].maxRelError).toBeLessThan(1e-6);
    expect(report.perInput[1].maxRelError).toBeGreaterThan(1e-3);
  });

  it("fails on a backward off by a factor of 2 in every coordinate of one input", () => {
    const x = f64([2, 3], 3);
    const w = f64([2, 3], 4);
    const report = gradcheck(squareTimes(x, w, "factor"));
    expect(report.ok).toBe(false);
    expect(report.failed).toBe(6);
    expect(report.worst?.input).toBe("x");
    expect(report.maxRelError).toBeCloseTo(0.5, 5); // |a - n| / max(|a|, |n|) with a = n / 2
  });

  it("fails on a NaN gradient", () => {
    const x = f64([2, 2], 5);
    const w = f64([2, 2], 6);
    const base = squareTimes(x, w);
    const report = gradcheck({
      ...base,
      backward: (dy) => {
        const g = base.backward(dy);
        g[0].data[3] = Number.NaN;
        return g;
      },
    });
    expect(report.ok).toBe(false);
    expect(report.maxRelError).toBe(Number.POSITIVE_INFINITY);
    expect(report.worst).toMatchObject({ input: "x", index: [1, 1] });
  });

  it("assertGradcheck throws a readable report when not ok", () => {
    const x = f64([3, 4], 1);
    const w = f64([3, 4], 2);
    expect(() => assertGradcheck(squareTimes(x, w, "one-coordinate"))).toThrow(
      /gradcheck FAILED: 1 of 24 coordinates out of tolerance[\s\S]*worst: w\[1,2\] analytic/,
    );
    expect(assertGradcheck(squareTimes(x, w)).ok).toBe(true);
  });

  it("restores the inputs bit for bit, also when forward throws", () => {
    const x = f64([4, 5], 9);
    const w = f64([4, 5], 10);
    const x0 = x.data.slice();
    const w0 = w.data.slice();
    gradcheck(squareTimes(x, w));
    expect(x.data).toEqual(x0);
    expect(w.data).toEqual(w0);
    let calls = 0;
    const base = squareTimes(x, w);
    expect(() =>
      gradcheck({
        ...base,
        forward: () => {
          if (++calls === 4) throw new Error("boom");
          return base.forward();
        },
      }),
    ).toThrow("boom");
    expect(x.data).toEqual(x0);
  });

  it("samples maxChecksPerInput coordinates per input, reproducibly from the seed", () => {
    const x = f64([2, 3], 11);
    const w = f64([2, 3], 12);
    const run = (seed: number) => gradcheck({ ...squareTimes(x, w, "one-coordinate"), maxChecksPerInput: 5, seed });
    const a = run(3);
    expect(a.checked).toBe(5 + 5);
    expect(a.perInput.map((p) => p.checked)).toEqual([5, 5]);
    expect(run(3)).toEqual(a);
    // Distinct coordinates, and every coordinate gets sampled by some seed.
    const seen = new Set<number>();
    for (let seed = 0; seed < 40; seed++) {
      const big = f64([7, 9], 13);
      const calls: number[] = [];
      const r = gradcheck({
        inputs: [big],
        forward: () => {
          calls.push(big.data.findIndex((v, i) => v !== f64([7, 9], 13).data[i]));
          return big.clone();
        },
        backward: (dy) => [dy.clone()],
        maxChecksPerInput: 10,
        seed,
      });
      expect(r.ok).toBe(true);
      const perturbed = calls.filter((i) => i >= 0);
      expect(perturbed).toHaveLength(20); // two evaluations per checked coordinate
      const distinct = new Set(perturbed);
      expect(distinct.size).toBe(10);
      for (const i of distinct) seen.add(i);
    }
    expect(seen.size).toBe(63);
    // 5 of w's 6 coordinates: across seeds, the wrong one is sometimes sampled and sometimes not.
    const verdicts = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((s) => run(s).ok));
    expect(verdicts).toEqual(new Set([true, false]));
  });

  it("refuses float32 inputs, wrong gradient counts or shapes, and bad tolerances", () => {
    const x = f64([2, 2], 1);
    const w = f64([2, 2], 2);
    const base = squareTimes(x, w);
    expect(() => gradcheck({ ...base, inputs: [x.astype("float32"), w] })).toThrow(ArgumentError);
    expect(() => gradcheck({ ...base, inputs: [x.astype("float32"), w] })).toThrow(/^gradcheck: input x is float32 \[2,2\]/);
    expect(() => gradcheck({ ...base, backward: (dy) => base.backward(dy).slice(0, 1) })).toThrow(
      /backward returned 1 gradients for 2 inputs/,
    );
    expect(() => gradcheck({ ...base, backward: (dy) => [base.backward(dy)[0], f64([4], 0)] })).toThrow(ShapeError);
    expect(() => gradcheck({ ...base, backward: (dy) => [base.backward(dy)[0], f64([4], 0)] })).toThrow(
      /gradient of w has shape \[4\] but the input is \[2,2\]/,
    );
    expect(() => gradcheck({ ...base, eps: 0 })).toThrow(/eps must be a positive number/);
    expect(() => gradcheck({ ...base, maxChecksPerInput: 0 })).toThrow(/maxChecksPerInput/);
    expect(() => gradcheck({ ...base, names: ["x"] })).toThrow(/names has 1 entries for 2 inputs/);
    expect(() => gradcheck({ ...base, inputs: [] })).toThrow(/non-empty/);
    expect(() => gradcheck({ ...base, forward: () => base.forward().astype("float32") })).toThrow(
      /forward\(\) output is float32/,
    );
  });
});
