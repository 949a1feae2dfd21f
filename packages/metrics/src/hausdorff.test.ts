import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, ShapeError } from "@unetkit/tensor";
import { loadFixture } from "@unetkit/testing";
import {
  hausdorff95,
  hausdorff95PerClass,
  hausdorffDistance,
  maskBoundary,
  type HausdorffOptions,
} from "./hausdorff.js";

// ---- brute force: boundaries by definition, all pairs of boundary pixels, sorted percentile ----

function bruteBoundary(m: Int32Array, h: number, w: number, k: number): [number, number][] {
  const at = (y: number, x: number) => y >= 0 && y < h && x >= 0 && x < w && m[y * w + x] === k;
  const pts: [number, number][] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (at(y, x) && !(at(y - 1, x) && at(y + 1, x) && at(y, x - 1) && at(y, x + 1))) pts.push([y, x]);
    }
  }
  return pts;
}

function bruteDirected(from: [number, number][], to: [number, number][], dy: number, dx: number): number[] {
  return from.map(([y, x]) => Math.min(...to.map(([v, u]) => Math.hypot((y - v) * dy, (x - u) * dx))));
}

function brutePercentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (p / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

function bruteHausdorff(
  pred: Int32Array,
  truth: Int32Array,
  h: number,
  w: number,
  o: Required<Omit<HausdorffOptions, "shape">>,
): number {
  const bp = bruteBoundary(pred, h, w, o.classIndex);
  const bt = bruteBoundary(truth, h, w, o.classIndex);
  if (bp.length === 0 && bt.length === 0) return NaN;
  if (bp.length === 0 || bt.length === 0) return Infinity;
  const [dy, dx] = o.spacing;
  const d1 = bruteDirected(bp, bt, dy, dx);
  if (o.directed) return brutePercentile(d1, o.percentile);
  const d2 = bruteDirected(bt, bp, dy, dx);
  if (o.combine === "pooled") return brutePercentile([...d1, ...d2], o.percentile);
  return Math.max(brutePercentile(d1, o.percentile), brutePercentile(d2, o.percentile));
}

/** Random 2-D masks with 3 classes: rectangles over a background plus salt noise. */
const maskArb = (h: number, w: number) =>
  fc
    .record({
      rects: fc.array(
        fc.record({
          y: fc.integer({ min: 0, max: h - 1 }),
          x: fc.integer({ min: 0, max: w - 1 }),
          rh: fc.integer({ min: 1, max: h }),
          rw: fc.integer({ min: 1, max: w }),
          k: fc.integer({ min: 1, max: 2 }),
        }),
        { maxLength: 4 },
      ),
      salt: fc.array(fc.record({ i: fc.nat(h * w - 1), k: fc.integer({ min: 0, max: 2 }) }), { maxLength: 6 }),
    })
    .map(({ rects, salt }) => {
      const m = new Int32Array(h * w);
      for (const r of rects) {
        for (let y = r.y; y < Math.min(h, r.y + r.rh); y++) {
          for (let x = r.x; x < Math.min(w, r.x + r.rw); x++) m[y * w + x] = r.k;
        }
      }
      for (const s of salt) m[s.i] = s.k;
      return m;
    });

const pairArb = fc
  .record({ h: fc.integer({ min: 1, max: 18 }), w: fc.integer({ min: 1, max: 18 }) })
  .chain(({ h, w }) => fc.record({ h: fc.constant(h), w: fc.constant(w), pred: maskArb(h, w), truth: maskArb(h, w) }));

const optionsArb = fc.record({
  classIndex: fc.integer({ min: 0, max: 2 }),
  percentile: fc.constantFrom(95, 100, 50, 0, 99.5),
  directed: fc.boolean(),
  combine: fc.constantFrom<"max" | "pooled">("max", "pooled"),
  spacing: fc.constantFrom<[number, number]>([1, 1], [0.7, 1.3], [2, 0.5]),
});

describe("hausdorffDistance / hausdorff95", () => {
  it("equals a brute-force O(n^2) computation over boundary pixel pairs (property)", () => {
    fc.assert(
      fc.property(pairArb, optionsArb, ({ h, w, pred, truth }, o) => {
        const got = hausdorffDistance({ shape: [h, w], data: pred }, { shape: [h, w], data: truth }, o);
        const want = bruteHausdorff(pred, truth, h, w, o);
        if (!Number.isFinite(want)) expect(got).toBe(want);
        else expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, want));
      }),
      { numRuns: 400 },
    );
  });

  it("hausdorff95 is the 95th percentile, symmetric, and 0 for identical masks (property)", () => {
    fc.assert(
      fc.property(pairArb, fc.integer({ min: 0, max: 2 }), ({ h, w, pred, truth }, k) => {
        const a = { shape: [h, w], data: pred };
        const b = { shape: [h, w], data: truth };
        const hd95 = hausdorff95(a, b, { classIndex: k });
        expect(hd95).toBe(hausdorffDistance(a, b, { classIndex: k, percentile: 95 }));
        expect(hausdorff95(b, a, { classIndex: k })).toBe(hd95);
        const self = hausdorff95(a, a, { classIndex: k });
        expect(self).toBe(pred.includes(k) ? 0 : NaN);
        const hd = hausdorffDistance(a, b, { classIndex: k });
        if (Number.isFinite(hd)) expect(hd95).toBeLessThanOrEqual(hd);
      }),
      { numRuns: 200 },
    );
  });

  it("matches the MONAI steps computed with scipy (binary_erosion, distance_transform_edt, np.percentile)", () => {
    const fx = loadFixture(new URL("../test/fixtures/hausdorff.json", import.meta.url));
    const cases = fx.meta.cases as number;
    const classes = fx.meta.classes as number[];
    const expected = fx.tensors.expected;
    let row = 0;
    for (let i = 0; i < cases; i++) {
      const p = fx.ints[`pred${i}`];
      const t = fx.ints[`truth${i}`];
      const pred = { shape: p.shape, data: Int32Array.from(p.data) };
      const truth = { shape: t.shape, data: Int32Array.from(t.data) };
      for (const classIndex of classes) {
        const got = [
          hausdorff95(pred, truth, { classIndex }),
          hausdorffDistance(pred, truth, { classIndex }),
          hausdorff95(pred, truth, { classIndex, directed: true }),
          hausdorff95(pred, truth, { classIndex, combine: "pooled" }),
          hausdorff95(pred, truth, { classIndex, spacing: [0.7, 1.3] }),
          hausdorffDistance(pred, truth, { classIndex, percentile: 50 }),
        ];
        got.forEach((g, j) => {
          const want = expected.get(row, j);
          expect(Math.abs(g - want), `case ${i} class ${classIndex} column ${j}`).toBeLessThanOrEqual(1e-9);
        });
        row++;
      }
    }
    expect(row).toBe(expected.shape[0]);
  });

  it("documented example: squares shifted by one pixel", () => {
    const truth = { shape: [4, 4], data: Int32Array.from([0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]) };
    const pred = { shape: [4, 4], data: Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0]) };
    expect(hausdorffDistance(pred, truth, { classIndex: 1 })).toBe(1);
    // pred boundary -> truth: [0, 0, 1, 1]; 95th percentile at position 2.85 -> 1
    expect(hausdorff95(pred, truth, { classIndex: 1, directed: true })).toBe(1);
    // background: boundaries of the complements
    expect(hausdorff95(pred, truth, { classIndex: 0 })).toBe(1);
  });

  it("empty regions: NaN when absent from both, Infinity when absent from one", () => {
    const empty = { shape: [3, 3], data: new Int32Array(9) };
    const dot = { shape: [3, 3], data: Int32Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0]) };
    expect(hausdorff95(empty, empty, { classIndex: 1 })).toBeNaN();
    expect(hausdorff95(dot, empty, { classIndex: 1 })).toBe(Infinity);
    expect(hausdorff95(empty, dot, { classIndex: 1 })).toBe(Infinity);
    expect(hausdorff95(empty, dot, { classIndex: 1, directed: true })).toBe(Infinity);
    expect(hausdorff95(dot, dot, { classIndex: 1 })).toBe(0);
    expect(Array.from(hausdorff95PerClass(dot, empty, { numClasses: 3 }))).toEqual([
      hausdorff95(dot, empty, { classIndex: 0 }),
      Infinity,
      NaN,
    ]);
    // zero-sized masks
    const none = { shape: [0, 4], data: new Int32Array(0) };
    expect(hausdorff95(none, none, { classIndex: 0 })).toBeNaN();
  });

  it("accepts [1, H, W] masks and plain arrays with options.shape", () => {
    const a = Int32Array.from([1, 1, 0, 0, 0, 0]);
    const b = Int32Array.from([0, 0, 0, 0, 1, 1]);
    const d = hausdorffDistance(a, b, { classIndex: 1, shape: [3, 2] });
    expect(d).toBe(2);
    expect(hausdorffDistance({ shape: [1, 3, 2], data: a }, { shape: [1, 1, 3, 2], data: b }, { classIndex: 1 })).toBe(2);
    expect(hausdorffDistance(a, b, { classIndex: 1, shape: [3, 2], spacing: [0.5, 1] })).toBe(1);
  });

  it("refuses bad input naming it", () => {
    const m = { shape: [2, 2], data: new Int32Array(4) };
    expect(() => hausdorff95(m, { shape: [2, 3], data: new Int32Array(6) }, { classIndex: 1 })).toThrow(
      "hausdorff95: prediction [2,2] and truth [2,3] must have the same shape",
    );
    expect(() => hausdorff95({ shape: [2, 2, 2], data: new Int32Array(8) }, m, { classIndex: 1 })).toThrow(ShapeError);
    expect(() => hausdorff95(new Int32Array(4), new Int32Array(4), { classIndex: 1 })).toThrow(
      "pass options.shape = [height, width]",
    );
    expect(() => hausdorff95(new Int32Array(4), new Int32Array(4), { classIndex: 1, shape: [3, 2] })).toThrow(
      "options.shape [3,2] does not fit prediction of 4 labels",
    );
    expect(() => hausdorff95(m, m, { classIndex: 0.5 })).toThrow(ArgumentError);
    expect(() => hausdorff95(m, m, {} as HausdorffOptions)).toThrow("classIndex must be an integer");
    expect(() => hausdorff95(m, m, { classIndex: 1, percentile: 101 })).toThrow("percentile must be in [0, 100]");
    expect(() => hausdorff95(m, m, { classIndex: 1, spacing: [1, -1] })).toThrow("spacing must be two positive");
    expect(() => hausdorff95(m, m, { classIndex: 1, combine: "mean" as "max" })).toThrow('combine must be "max" or "pooled"');
    expect(() => hausdorff95PerClass(m, m, { numClasses: 0 })).toThrow("numClasses must be a positive integer");
  });
});

describe("maskBoundary", () => {
  it("marks foreground pixels with a background or out-of-image 4-neighbour (property)", () => {
    fc.assert(
      fc.property(pairArb, fc.integer({ min: 0, max: 2 }), ({ h, w, pred }, k) => {
        const got = maskBoundary(pred, k, { shape: [h, w] });
        const want = new Uint8Array(h * w);
        for (const [y, x] of bruteBoundary(pred, h, w, k)) want[y * w + x] = 1;
        expect(got).toEqual(want);
      }),
      { numRuns: 200 },
    );
    expect(Array.from(maskBoundary(Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1]), 1, { shape: [3, 3] }))).toEqual([
      1, 1, 1, 1, 0, 1, 1, 1, 1,
    ]);
  });
});
