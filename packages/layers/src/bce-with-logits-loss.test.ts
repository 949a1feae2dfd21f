import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, Rng, ShapeError, Tensor, fromArray, rand, randn } from "@unetkit/tensor";
import { BCEWithLogitsLoss, bceWithLogitsLoss } from "./bce-with-logits-loss.js";
import { labels } from "./labels.js";
import { fixture, lossGradError, maxRelError } from "../test/loss-helpers.js";

describe("bceWithLogitsLoss: PyTorch fixtures", () => {
  const fx = fixture("loss-bce");
  const t = fx.tensors;
  for (const key of ["plain", "pw", "pw_w"]) {
    it(`matches F.binary_cross_entropy_with_logits (${key}) in float64 and float32`, () => {
      for (const dtype of ["float64", "float32"] as const) {
        const tol = dtype === "float64" ? 1e-12 : 1e-6;
        const opts = {
          posWeight: key !== "plain" ? t.pos_weight.astype(dtype) : undefined,
          weight: key === "pw_w" ? t.weight.astype(dtype) : undefined,
        };
        const logits = t.logits.astype(dtype);
        const targets = t.targets.astype(dtype);
        for (const reduction of ["mean", "sum"] as const) {
          const r = bceWithLogitsLoss(logits, targets, { ...opts, reduction });
          expect(maxRelError(r.loss, t[`${key}_${reduction}_loss`])).toBeLessThan(tol);
          expect(maxRelError(r.grad, t[`${key}_${reduction}_grad`])).toBeLessThan(tol);
        }
        const none = bceWithLogitsLoss(logits, targets, { ...opts, reduction: "none" });
        expect(maxRelError(none.losses, t[`${key}_none_losses`])).toBeLessThan(tol);
        expect(maxRelError(none.backward(t[`${key}_none_upstream`].astype(dtype)), t[`${key}_none_grad`])).toBeLessThan(tol);
      }
    });
  }

  it("is stable for logits of 1e4 (float32, as torch)", () => {
    const s = fixture("loss-bce-stability").tensors;
    const r = bceWithLogitsLoss(s.logits, s.targets);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(maxRelError(r.loss, s.mean_loss)).toBeLessThan(1e-6);
    expect(maxRelError(r.grad, s.mean_grad)).toBeLessThan(1e-6);
  });
});

describe("bceWithLogitsLoss: gradient and targets", () => {
  it("matches finite differences over random shapes, soft targets and broadcast weights", () => {
    fc.assert(
      fc.property(
        fc.record({
          shape: fc.constantFrom<number[]>([3, 1], [2, 3], [2, 1, 3, 2], [1, 2, 2, 3]),
          posWeight: fc.boolean(),
          weight: fc.boolean(),
          reduction: fc.constantFrom("mean" as const, "sum" as const),
          seed: fc.integer({ min: 0, max: 1e6 }),
        }),
        ({ shape, posWeight, weight, reduction, seed }) => {
          const rng = new Rng(seed);
          const x = randn(shape, rng, { dtype: "float64", std: 3 });
          const targets = rand(shape, rng, { dtype: "float64" });
          const last = shape[shape.length - 1];
          const opts = {
            reduction,
            posWeight: posWeight ? rand([last], rng, { dtype: "float64", low: 0.1, high: 4 }) : undefined,
            weight: weight ? rand(shape.slice(1), rng, { dtype: "float64", low: 0.1, high: 2 }) : undefined,
          };
          const g = bceWithLogitsLoss(x, targets, opts).grad;
          expect(lossGradError((z) => bceWithLogitsLoss(z, targets, opts).loss, g, x)).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("accepts 0/1 labels [N,H,W] for single-channel logits [N,1,H,W]", () => {
    const x = randn([2, 1, 2, 2], new Rng(1), { dtype: "float64" });
    const y = labels([1, 0, 0, 1, 1, 1, 0, 0], [2, 2, 2]);
    const a = bceWithLogitsLoss(x, y);
    const b = bceWithLogitsLoss(x, fromArray(Array.from(y.data), { shape: [2, 1, 2, 2], dtype: "float64" }));
    expect(a.loss).toBe(b.loss);
    expect(a.grad.toArray()).toEqual(b.grad.toArray());
    expect(new BCEWithLogitsLoss().compute(x, y).loss).toBe(a.loss);
    expect(() => bceWithLogitsLoss(x, labels([1, 0, 0, 2, 1, 1, 0, 0], [2, 2, 2]))).toThrow(
      "bceWithLogitsLoss: binary label 2 at [0,1,1] must be 0 or 1 (logits [2,1,2,2], labels [2,2,2])",
    );
  });

  it("refuses NaN logits, mismatched shapes and weights that do not broadcast", () => {
    const x = randn([2, 3], new Rng(2));
    const t = rand([2, 3], new Rng(3));
    const bad = x.clone();
    bad.data[4] = Number.NaN;
    expect(() => bceWithLogitsLoss(bad, t)).toThrow(/bceWithLogitsLoss: logits hold a non-finite value \(NaN\) at \[1,1\]/);
    expect(() => bceWithLogitsLoss(x, rand([3, 2], new Rng(4)))).toThrow(ShapeError);
    expect(() => bceWithLogitsLoss(x, t, { posWeight: fromArray([1, 2]) })).toThrow(
      "bceWithLogitsLoss: posWeight of shape [2] does not broadcast to [2,3]",
    );
    expect(() => bceWithLogitsLoss(x, t, { reduction: "avg" as "sum" })).toThrow(ArgumentError);
    const y = new Tensor("float32", [2, 3]).fill(Number.POSITIVE_INFINITY);
    expect(() => bceWithLogitsLoss(x, y)).toThrow(/targets hold a non-finite value/);
  });
});
