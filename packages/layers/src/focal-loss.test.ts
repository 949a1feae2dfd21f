import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, Rng, ShapeError, Tensor, fromArray, rand, randn } from "@unetkit/tensor";
import { crossEntropyLoss } from "./cross-entropy-loss.js";
import { BinaryFocalLoss, FocalLoss, binaryFocalLoss, focalLoss } from "./focal-loss.js";
import { labels } from "./labels.js";
import { fixture, fixtureLabels, lossGradError, maxRelError } from "../test/loss-helpers.js";

describe("focalLoss: reference fixtures (torch, by formula, autograd gradient)", () => {
  const fx = fixture("loss-focal");
  const t = fx.tensors;
  const y = fixtureLabels(fx, "labels");
  const gammas = fx.meta.gammas as Record<string, number>;
  for (const key of Object.keys(gammas)) {
    it(`matches (${key}) in float64 and float32`, () => {
      for (const dtype of ["float64", "float32"] as const) {
        const tol = dtype === "float64" ? 1e-12 : 1e-6;
        const opts = { gamma: gammas[key], alpha: key.includes("alpha") ? t.alpha.astype(dtype) : undefined };
        const logits = t.logits.astype(dtype);
        for (const reduction of ["mean", "sum"] as const) {
          const r = focalLoss(logits, y, { ...opts, reduction });
          expect(maxRelError(r.loss, t[`${key}_${reduction}_loss`])).toBeLessThan(tol);
          expect(maxRelError(r.grad, t[`${key}_${reduction}_grad`])).toBeLessThan(tol);
        }
        const none = focalLoss(logits, y, { ...opts, reduction: "none" });
        expect(maxRelError(none.losses, t[`${key}_none_losses`])).toBeLessThan(tol);
        expect(maxRelError(none.backward(t[`${key}_none_upstream`].astype(dtype)), t[`${key}_none_grad`])).toBeLessThan(tol);
      }
    });
  }

  const bfx = fixture("loss-binary-focal");
  const cases = bfx.meta.cases as Record<string, { gamma: number; alpha: number | null }>;
  for (const [key, { gamma, alpha }] of Object.entries(cases)) {
    it(`binaryFocalLoss matches torchvision's sigmoid_focal_loss formula (${key})`, () => {
      for (const dtype of ["float64", "float32"] as const) {
        const tol = dtype === "float64" ? 1e-12 : 1e-6;
        for (const reduction of ["mean", "sum"] as const) {
          const r = binaryFocalLoss(bfx.tensors.logits.astype(dtype), bfx.tensors.targets.astype(dtype), { gamma, alpha, reduction });
          expect(maxRelError(r.loss, bfx.tensors[`${key}_${reduction}_loss`])).toBeLessThan(tol);
          expect(maxRelError(r.grad, bfx.tensors[`${key}_${reduction}_grad`])).toBeLessThan(tol);
        }
      }
    });
  }
});

describe("focalLoss: gradient and semantics", () => {
  it("matches finite differences over random shapes, gammas, alphas and ignored pixels", () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          c: fc.integer({ min: 1, max: 4 }),
          spatial: fc.constantFrom<number[]>([], [3], [2, 2]),
          gamma: fc.constantFrom(0, 0.5, 1, 2, 3.5),
          alphaTensor: fc.boolean(),
          reduction: fc.constantFrom("mean" as const, "sum" as const),
          seed: fc.integer({ min: 0, max: 1e6 }),
        }),
        ({ n, c, spatial, gamma, alphaTensor, reduction, seed }) => {
          const rng = new Rng(seed);
          const x = randn([n, c, ...spatial], rng, { dtype: "float64", std: 2 });
          const lshape = [n, ...spatial];
          const size = lshape.reduce((a, b) => a * b, 1);
          const y = labels(Array.from({ length: size }, () => (rng.uniform() < 0.2 ? -100 : rng.int(0, c))), lshape);
          const alpha = alphaTensor ? rand([c], rng, { dtype: "float64", low: 0.1, high: 1 }) : 0.7;
          const opts = { gamma, alpha, reduction };
          const g = focalLoss(x, y, opts).grad;
          expect(lossGradError((z) => focalLoss(z, y, opts).loss, g, x)).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("binaryFocalLoss matches finite differences (soft targets, alpha on and off)", () => {
    fc.assert(
      fc.property(
        fc.record({
          gamma: fc.constantFrom(0, 0.5, 1, 2),
          alpha: fc.constantFrom(null, 0.25, 0.9),
          seed: fc.integer({ min: 0, max: 1e6 }),
        }),
        ({ gamma, alpha, seed }) => {
          const rng = new Rng(seed);
          const x = randn([2, 1, 2, 3], rng, { dtype: "float64", std: 3 });
          const tgt = rand([2, 1, 2, 3], rng, { dtype: "float64" });
          const g = binaryFocalLoss(x, tgt, { gamma, alpha }).grad;
          expect(lossGradError((z) => binaryFocalLoss(z, tgt, { gamma, alpha }).loss, g, x)).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("with gamma 0 and alpha 1 equals cross-entropy (ignored pixels included)", () => {
    const x = randn([2, 3, 2, 2], new Rng(5), { dtype: "float64" });
    const y = labels([0, 1, -100, 2, 2, 1, 0, -100], [2, 2, 2]);
    const a = focalLoss(x, y, { gamma: 0 });
    const b = crossEntropyLoss(x, y);
    expect(a.loss).toBeCloseTo(b.loss, 14);
    expect(maxRelError(a.grad, b.grad)).toBeLessThan(1e-14);
  });

  it("stays finite for logits of 1e4 (including a confidently right element, gamma < 1)", () => {
    const x = fromArray([[1e4, -1e4, 0], [-1e4, 1e4, 1e4]]);
    const y = labels([0, 2], [2]);
    for (const gamma of [0.5, 2]) {
      const r = focalLoss(x, y, { gamma });
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.grad.toArray().every(Number.isFinite)).toBe(true);
    }
    const b = binaryFocalLoss(fromArray([1e4, -1e4, 30]), fromArray([0, 1, 1]), { gamma: 0.5 });
    expect(Number.isFinite(b.loss) && b.grad.toArray().every(Number.isFinite)).toBe(true);
  });

  it("class wrappers equal the functions", () => {
    const x = randn([2, 3, 2], new Rng(6));
    const y = labels([0, 1, 2, 2], [2, 2]);
    expect(new FocalLoss({ gamma: 1.5 }).compute(x, y).loss).toBe(focalLoss(x, y, { gamma: 1.5 }).loss);
    const bx = randn([2, 1, 2], new Rng(7));
    const by = labels([0, 1, 1, 0], [2, 2]);
    expect(new BinaryFocalLoss({ alpha: null }).compute(bx, by).loss).toBe(binaryFocalLoss(bx, by, { alpha: null }).loss);
  });

  it("refuses bad labels, NaN logits, bad gamma/alpha and wrong shapes", () => {
    const x = randn([2, 3], new Rng(8));
    expect(() => focalLoss(x, labels([0, 3], [2]))).toThrow("focalLoss: label 3 at [1] is out of range for 3 classes");
    const bad = x.clone();
    bad.data[2] = Number.NaN;
    expect(() => focalLoss(bad, labels([0, 1], [2]))).toThrow(/focalLoss: logits hold a non-finite value \(NaN\) at \[0,2\]/);
    expect(() => focalLoss(x, labels([0, 1], [2]), { gamma: -1 })).toThrow(ArgumentError);
    expect(() => focalLoss(x, labels([0, 1], [2]), { alpha: fromArray([1, 2]) })).toThrow(ShapeError);
    expect(() => binaryFocalLoss(x, rand([2, 3], new Rng(9)), { alpha: 1.5 })).toThrow(/alpha must be a number in \[0, 1\]/);
    expect(() => binaryFocalLoss(x, new Tensor("float32", [3, 2]))).toThrow(ShapeError);
  });
});
