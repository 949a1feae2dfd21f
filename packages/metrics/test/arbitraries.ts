import fc from "fast-check";

/** A random segmentation batch: C classes, N x H x W prediction and truth masks. */
export interface Case {
  c: number;
  shape: number[];
  pred: Int32Array;
  truth: Int32Array;
}

/** fast-check arbitrary of a random batch; `ignore` labels (if given) appear in the truth. */
export function caseArb(
  options: { ignore?: number; minC?: number; maxC?: number } = {},
): fc.Arbitrary<Case> {
  const maxC = options.maxC ?? 5;
  const minC = options.minC ?? 1;
  return fc
    .record({
      c: fc.integer({ min: minC, max: maxC }),
      n: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 1, max: 6 }),
      w: fc.integer({ min: 1, max: 6 }),
    })
    .chain(({ c, n, h, w }) => {
      const size = n * h * w;
      const truthLabel =
        options.ignore === undefined
          ? fc.integer({ min: 0, max: c - 1 })
          : fc.oneof(fc.integer({ min: 0, max: c - 1 }), fc.constant(options.ignore));
      return fc
        .record({
          pred: fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: size, maxLength: size }),
          truth: fc.array(truthLabel, { minLength: size, maxLength: size }),
        })
        .map(({ pred, truth }) => ({
          c,
          shape: [n, h, w],
          pred: Int32Array.from(pred),
          truth: Int32Array.from(truth),
        }));
    });
}
