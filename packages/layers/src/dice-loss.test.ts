import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, Rng, ShapeError, Tensor, fromArray, rand, randn } from "@unetkit/tensor";
import { DiceLoss, diceLoss, type DiceOptions } from "./dice-loss.js";
import { labels } from "./labels.js";
import { fixture, fixtureLabels, lossGradError, maxRelError } from "../test/loss-helpers.js";

describe("diceLoss: reference fixtures (smp's DiceLoss formula in torch, autograd gradient)", () => {
  const fx = fixture("loss-dice");
  const cases = (fx.meta.cases ?? {}) as Record<
    string,
    { smooth: number; classes?: number[]; ignore?: number; per_image?: boolean; labels: string }
  >;
  for (const [key, cfg] of Object.entries(cases)) {
    it(`matches (${key}) in float64 and float32`, () => {
      const binary = key.startsWith("bin");
      const y = fixtureLabels(fx, cfg.labels);
      const opts: DiceOptions = {
        mode: binary ? "binary" : "multiclass",
        smooth: cfg.smooth,
        classes: cfg.classes,
        ignoreIndex: cfg.ignore,
        perImage: cfg.per_image,
      };
      for (const dtype of ["float64", "float32"] as const) {
        const tol = dtype === "float64" ? 1e-12 : 1e-6;
        const logits = fx.tensors[binary ? "b_logits" : "logits"].astype(dtype);
        const r = diceLoss(logits, y, opts);
        expect(maxRelError(r.loss, fx.tensors[`${key}_loss`])).toBeLessThan(tol);
        expect(maxRelError(r.grad, fx.tensors[`${key}_grad`])).toBeLessThan(tol);
      }
    });
  }
});

describe("diceLoss: gradient and semantics", () => {
  it("matches finite differences (multiclass; classes, ignored pixels, smooth, perImage)", () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          c: fc.integer({ min: 1, max: 4 }),
          spatial: fc.constantFrom<number[]>([], [3], [2, 3]),
          smooth: fc.constantFrom(0, 1, 0.5),
          perImage: fc.boolean(),
          ignore: fc.boolean(),
          someClasses: fc.boolean(),
          seed: fc.integer({ min: 0, max: 1e6 }),
        }),
        ({ n, c, spatial, smooth, perImage, ignore, someClasses, seed }) => {
          const rng = new Rng(seed);
          const x = randn([n, c, ...spatial], rng, { dtype: "float64", std: 2 });
          const lshape = [n, ...spatial];
          const size = lshape.reduce((a, b) => a * b, 1);
          const y = labels(Array.from({ length: size }, () => (ignore && rng.uniform() < 0.25 ? 255 : rng.int(0, c))), lshape);
          const opts: DiceOptions = {
            smooth,
            perImage,
            ignoreIndex: ignore ? 255 : undefined,
            classes: someClasses ? [c - 1] : undefined,
          };
          const g = diceLoss(x, y, opts).grad;
          expect(lossGradError((z) => diceLoss(z, y, opts).loss, g, x)).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("matches finite differences (binary, hard labels and soft targets)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.boolean(), fc.boolean(), (seed, soft, perImage) => {
        const rng = new Rng(seed);
        const x = randn([2, 1, 3, 2], rng, { dtype: "float64", std: 2 });
        const y = soft
          ? rand([2, 1, 3, 2], rng, { dtype: "float64" })
          : labels(Array.from({ length: 12 }, () => rng.int(0, 2)), [2, 3, 2]);
        const opts: DiceOptions = { mode: "binary", perImage };
        const g = diceLoss(x, y, opts).grad;
        expect(lossGradError((z) => diceLoss(z, y, opts).loss, g, x)).toBeLessThan(1e-6);
      }),
      { numRuns: 30 },
    );
  });

  it("is near 0 for a confident correct prediction and near 1 for a confident wrong one", () => {
    const y = labels([0, 1, 1, 0], [1, 2, 2]);
    const good = new Tensor("float64", [1, 2, 2, 2]);
    for (let i = 0; i < 4; i++) good.data[y.data[i] * 4 + i] = 50;
    expect(diceLoss(good, y, { smooth: 0 }).loss).toBeLessThan(1e-12);
    const bad = new Tensor("float64", [1, 2, 2, 2]);
    for (let i = 0; i < 4; i++) bad.data[(1 - y.data[i]) * 4 + i] = 50;
    expect(diceLoss(bad, y, { smooth: 0 }).loss).toBeGreaterThan(1 - 1e-12);
  });

  it("gives absent classes zero loss but keeps them in the mean, and ignores ignored pixels", () => {
    // Class 2 is absent: with a perfect prediction of classes 0 and 1, the loss is 0 (not 1/3 * ...).
    const y = labels([0, 1, 1, 0], [1, 2, 2]);
    const x = new Tensor("float64", [1, 3, 2, 2]);
    for (let i = 0; i < 4; i++) x.data[y.data[i] * 4 + i] = 60;
    expect(diceLoss(x, y, { smooth: 0 }).loss).toBeLessThan(1e-12);
    // Changing logits at an ignored pixel changes nothing.
    const yi = labels([0, 255, 1, 0], [1, 2, 2]);
    const x1 = randn([1, 3, 2, 2], new Rng(1), { dtype: "float64" });
    const x2 = x1.clone();
    x2.set(9, 0, 2, 0, 1);
    const a = diceLoss(x1, yi, { ignoreIndex: 255 });
    expect(diceLoss(x2, yi, { ignoreIndex: 255 }).loss).toBe(a.loss);
    for (let k = 0; k < 3; k++) expect(a.grad.get(0, k, 0, 1)).toBe(0);
  });

  it("the class wrapper equals the function", () => {
    const x = randn([2, 3, 2, 2], new Rng(2));
    const y = labels(Array.from({ length: 8 }, (_, i) => i % 3), [2, 2, 2]);
    expect(new DiceLoss({ perImage: true }).compute(x, y).loss).toBe(diceLoss(x, y, { perImage: true }).loss);
  });

  it("refuses bad labels, NaN logits, bad classes and a multi-channel binary head", () => {
    const x = randn([1, 3, 2], new Rng(3));
    expect(() => diceLoss(x, labels([0, 3], [1, 2]))).toThrow(
      "diceLoss: label 3 at [0,1] is out of range for 3 classes (expected 0..2; logits [1,3,2], labels [1,2])",
    );
    expect(() => diceLoss(x, labels([0, -100], [1, 2]))).toThrow(/label -100 at \[0,1\]/);
    const bad = x.clone();
    bad.data[1] = Number.NaN;
    expect(() => diceLoss(bad, labels([0, 1], [1, 2]))).toThrow(/diceLoss: logits hold a non-finite value/);
    expect(() => diceLoss(x, labels([0, 1], [1, 2]), { classes: [3] })).toThrow(ArgumentError);
    expect(() => diceLoss(x, labels([0, 1], [1, 2]), { classes: [1, 1] })).toThrow(/twice/);
    expect(() => diceLoss(x, labels([0, 1], [1, 2]), { mode: "binary" })).toThrow(ShapeError);
    expect(() => diceLoss(randn([1, 1, 2], new Rng(4)), labels([0, 2], [1, 2]), { mode: "binary" })).toThrow(
      /binary label 2 at \[0,1\] must be 0 or 1/,
    );
    expect(() => diceLoss(x, labels([0, 1, 2], [1, 3]))).toThrow(ShapeError);
    expect(() => diceLoss(x, labels([0, 1], [1, 2]), { smooth: -1 })).toThrow(/smooth/);
    expect(() => new DiceLoss({ mode: "multi" as "binary" })).toThrow(ArgumentError);
    expect(() => diceLoss(x, fromArray([0.5, 1], { shape: [1, 2] }))).toThrow(/integers/);
  });
});
