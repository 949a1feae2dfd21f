import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, Rng, ShapeError, Tensor, fromArray, ones, randn } from "@unetkit/tensor";
import { CrossEntropyLoss, crossEntropyLoss } from "./cross-entropy-loss.js";
import { labels } from "./labels.js";
import { fixture, fixtureLabels, lossGradError, maxRelError } from "../test/loss-helpers.js";

describe("crossEntropyLoss: PyTorch fixtures", () => {
  const cases = ["nc", "nc_weight_ignore", "nchw", "nchw_weight_ignore", "nchw_smoothing"];
  for (const name of cases) {
    it(`matches F.cross_entropy (${name}) in float64 and float32`, () => {
      const fx = fixture(`loss-ce-${name}`);
      const y = fixtureLabels(fx, "labels");
      const t = fx.tensors;
      for (const dtype of ["float64", "float32"] as const) {
        const tol = dtype === "float64" ? 1e-12 : 1e-6;
        const opts = {
          weight: t.weight?.astype(dtype),
          ignoreIndex: fx.meta.ignoreIndex as number,
          labelSmoothing: fx.meta.labelSmoothing as number,
        };
        const logits = t.logits.astype(dtype);
        for (const reduction of ["mean", "sum"] as const) {
          const r = crossEntropyLoss(logits, y, { ...opts, reduction });
          expect(r.grad.dtype).toBe(dtype);
          expect(maxRelError(r.loss, t[`${reduction}_loss`])).toBeLessThan(tol);
          expect(maxRelError(r.grad, t[`${reduction}_grad`])).toBeLessThan(tol);
        }
        const none = crossEntropyLoss(logits, y, { ...opts, reduction: "none" });
        expect(none.losses.shape).toEqual(t.none_losses.shape);
        expect(maxRelError(none.losses, t.none_losses)).toBeLessThan(tol);
        const g = none.backward(t.none_upstream.astype(dtype));
        expect(maxRelError(g, t.none_grad)).toBeLessThan(tol);
      }
    });
  }

  it("is stable for logits of 1e4 (float32, as torch)", () => {
    const fx = fixture("loss-ce-stability");
    const r = crossEntropyLoss(fx.tensors.logits, fixtureLabels(fx, "labels"));
    expect(Number.isFinite(r.loss)).toBe(true);
    for (const v of r.grad.data) expect(Number.isFinite(v)).toBe(true);
    expect(maxRelError(r.loss, fx.tensors.mean_loss)).toBeLessThan(1e-6);
    expect(maxRelError(r.grad, fx.tensors.mean_grad)).toBeLessThan(1e-6);
  });
});

describe("crossEntropyLoss: gradient (float64 central differences)", () => {
  it("matches finite differences over random shapes, weights, ignored pixels, smoothing", () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          c: fc.integer({ min: 1, max: 5 }),
          spatial: fc.constantFrom<number[]>([], [3], [2, 3], [1, 4]),
          weighted: fc.boolean(),
          ignoreFrac: fc.constantFrom(0, 0.3),
          smoothing: fc.constantFrom(0, 0.2),
          reduction: fc.constantFrom("mean" as const, "sum" as const, "none" as const),
          seed: fc.integer({ min: 0, max: 1e6 }),
        }),
        ({ n, c, spatial, weighted, ignoreFrac, smoothing, reduction, seed }) => {
          const rng = new Rng(seed);
          const x = randn([n, c, ...spatial], rng, { dtype: "float64", std: 2 });
          const lshape = [n, ...spatial];
          const size = lshape.reduce((a, b) => a * b, 1);
          const yv = Array.from({ length: size }, () => (rng.uniform() < ignoreFrac ? -100 : rng.int(0, c)));
          const y = labels(yv, lshape);
          const weight = weighted ? fromArray(Array.from({ length: c }, () => rng.uniform(0.2, 2)), { dtype: "float64" }) : undefined;
          const opts = { weight, labelSmoothing: smoothing };
          if (reduction === "none") {
            const up = randn(lshape, rng, { dtype: "float64" });
            const f = (z: Tensor) => {
              const l = crossEntropyLoss(z, y, { ...opts, reduction: "none" }).losses;
              let s = 0;
              for (let i = 0; i < l.size; i++) s += l.data[i] * up.data[i];
              return s;
            };
            const g = crossEntropyLoss(x, y, { ...opts, reduction: "none" }).backward(up);
            expect(lossGradError(f, g, x)).toBeLessThan(1e-6);
          } else {
            const f = (z: Tensor) => crossEntropyLoss(z, y, { ...opts, reduction }).loss;
            const g = crossEntropyLoss(x, y, { ...opts, reduction }).grad;
            expect(lossGradError(f, g, x)).toBeLessThan(1e-6);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("'none' losses sum to the 'sum' loss and backward(ones) is the 'sum' gradient", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const rng = new Rng(seed);
        const x = randn([2, 3, 2, 2], rng, { dtype: "float64" });
        const y = labels(Array.from({ length: 8 }, (_, i) => (i === 5 ? -100 : rng.int(0, 3))), [2, 2, 2]);
        const none = crossEntropyLoss(x, y, { reduction: "none" });
        const sum = crossEntropyLoss(x, y, { reduction: "sum" });
        expect(none.losses.data[5]).toBe(0);
        expect(none.losses.toArray().reduce((a, b) => a + b, 0)).toBeCloseTo(sum.loss, 12);
        expect(maxRelError(none.backward(ones([2, 2, 2], "float64")), sum.grad)).toBeLessThan(1e-14);
      }),
      { numRuns: 20 },
    );
  });
});

describe("crossEntropyLoss: semantics", () => {
  it("computes the documented example", () => {
    const logits = fromArray([[2, 0, -1], [0.5, 0.5, 3]], { dtype: "float64" });
    const { loss, grad } = crossEntropyLoss(logits, labels([0, 2], [2]));
    const l0 = Math.log(Math.exp(2) + 1 + Math.exp(-1)) - 2;
    const l1 = Math.log(2 * Math.exp(0.5) + Math.exp(3)) - 3;
    expect(loss).toBeCloseTo((l0 + l1) / 2, 14);
    expect(loss).toBeCloseTo(0.161, 3);
    expect(grad.shape).toEqual([2, 3]);
  });

  it("gives ignored pixels zero gradient, and an all-ignored mean is 0 with zero gradient", () => {
    const x = randn([1, 3, 2, 2], new Rng(1), { dtype: "float64" });
    const y = labels([0, -100, 2, 1], [1, 2, 2]);
    const { grad } = crossEntropyLoss(x, y);
    for (let k = 0; k < 3; k++) expect(grad.get(0, k, 0, 1)).toBe(0);
    const all = crossEntropyLoss(x, labels([7, 7, 7, 7], [1, 2, 2]), { ignoreIndex: 7 });
    expect(all.loss).toBe(0);
    expect(all.grad.toArray().every((v) => v === 0)).toBe(true);
  });

  it("ignores a valid class index given as ignoreIndex (as torch), with and without class weights", () => {
    const x = randn([1, 3, 2, 2], new Rng(3), { dtype: "float64" });
    const kept = [0, 2, 3]; // the positions whose label is not 1
    for (const weight of [undefined, fromArray([0.5, 2, 3], { dtype: "float64" })]) {
      const got = crossEntropyLoss(x, labels([0, 1, 2, 0], [1, 2, 2]), { ignoreIndex: 1, weight });
      // the same loss from the kept positions alone, each weighted by its class's weight
      const w = (k: number) => (weight === undefined ? 1 : weight.data[k]);
      let num = 0;
      let den = 0;
      for (const p of kept) {
        const k = [0, 1, 2, 0][p];
        const z = [0, 1, 2].map((j) => x.get(0, j, p >> 1, p & 1));
        const lse = Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
        num += w(k) * (lse - z[k]);
        den += w(k);
      }
      expect(got.loss).toBeCloseTo(num / den, 12);
      for (let j = 0; j < 3; j++) expect(got.grad.get(0, j, 0, 1)).toBe(0);
    }
  });

  it("accepts labels as a Tensor of integral floats and as Uint8Array", () => {
    const x = randn([2, 3], new Rng(2), { dtype: "float64" });
    const a = crossEntropyLoss(x, labels([1, 2], [2])).loss;
    expect(crossEntropyLoss(x, fromArray([1, 2])).loss).toBe(a);
    expect(crossEntropyLoss(x, { shape: [2], data: new Uint8Array([1, 2]) }).loss).toBe(a);
    expect(() => crossEntropyLoss(x, fromArray([1.5, 2]))).toThrow(/integers; value 1.5 at flat index 0/);
  });

  it("the class wrapper equals the function", () => {
    const x = randn([2, 4, 3, 3], new Rng(3));
    const y = labels(Array.from({ length: 18 }, (_, i) => i % 4), [2, 3, 3]);
    const w = fromArray([1, 2, 0.5, 1]);
    const a = new CrossEntropyLoss({ weight: w, reduction: "sum" }).compute(x, y);
    const b = crossEntropyLoss(x, y, { weight: w, reduction: "sum" });
    expect(a.loss).toBe(b.loss);
    expect(a.grad.toArray()).toEqual(b.grad.toArray());
    expect(() => new CrossEntropyLoss({ reduction: "none" as "sum" })).toThrow(ArgumentError);
  });
});

describe("crossEntropyLoss: errors", () => {
  const x = randn([2, 3, 2, 2], new Rng(4));
  const y = labels([0, 1, 2, 0, 1, 2, 0, 1], [2, 2, 2]);

  it("names an out-of-range label, its position and the shapes", () => {
    const bad = labels([0, 1, 2, 0, 1, 3, 0, 1], [2, 2, 2]);
    expect(() => crossEntropyLoss(x, bad)).toThrow(ArgumentError);
    expect(() => crossEntropyLoss(x, bad)).toThrow(
      "crossEntropyLoss: label 3 at [1,0,1] is out of range for 3 classes (expected 0..2 or ignoreIndex -100; logits [2,3,2,2], labels [2,2,2])",
    );
    expect(() => crossEntropyLoss(x, labels([0, 1, -1, 0, 1, 2, 0, 1], [2, 2, 2]))).toThrow(/label -1 at \[0,1,0\]/);
  });

  it("refuses NaN and Inf logits, naming the position", () => {
    const z = x.clone();
    z.set(Number.NaN, 1, 2, 0, 1);
    expect(() => crossEntropyLoss(z, y)).toThrow(/crossEntropyLoss: logits hold a non-finite value \(NaN\) at \[1,2,0,1\] \(logits \[2,3,2,2\]\)/);
    z.set(Number.POSITIVE_INFINITY, 1, 2, 0, 1);
    expect(() => crossEntropyLoss(z, y)).toThrow(ArgumentError);
  });

  it("refuses mismatched shapes and a weight of the wrong length", () => {
    expect(() => crossEntropyLoss(x, labels([0, 1, 2, 0], [1, 2, 2]))).toThrow(ShapeError);
    expect(() => crossEntropyLoss(x, labels([0, 1, 2, 0], [1, 2, 2]))).toThrow(
      "crossEntropyLoss: labels must have shape [2,2,2] for logits [2,3,2,2] (got labels [1,2,2])",
    );
    expect(() => crossEntropyLoss(fromArray([1, 2, 3]), labels([0, 1, 2], [3]))).toThrow(ShapeError);
    expect(() => crossEntropyLoss(x, y, { weight: fromArray([1, 2]) })).toThrow(
      "crossEntropyLoss: weight must have shape [3] (one per class) for logits [2,3,2,2] (got [2])",
    );
  });

  it("refuses bad options and a bad upstream gradient", () => {
    expect(() => crossEntropyLoss(x, y, { reduction: "avg" as "mean" })).toThrow(ArgumentError);
    expect(() => crossEntropyLoss(x, y, { labelSmoothing: 1.5 })).toThrow(/labelSmoothing/);
    expect(() => crossEntropyLoss(x, y, { ignoreIndex: 0.5 })).toThrow(/ignoreIndex/);
    const none = crossEntropyLoss(x, y, { reduction: "none" });
    expect(() => none.backward(ones([2, 2]))).toThrow(ShapeError);
  });
});
