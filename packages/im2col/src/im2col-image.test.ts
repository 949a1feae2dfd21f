import {
  ArgumentError,
  Rng,
  ShapeError,
  tsBackend,
  withBackend,
  type Im2colArgs,
  type KernelBackend,
} from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { caseArb, naiveCol2imAccumulate, naiveIm2col, optionsOf, randomTensor } from "../test/reference.js";
import { col2imAccumulateImage, col2imAccumulateTs, convGeometry, im2col, im2colImage, im2colTs } from "./index.js";

describe("im2colImage / col2imAccumulateImage", () => {
  it("work on one image inside larger buffers at offsets, overwriting cols and accumulating into the image", () => {
    fc.assert(
      fc.property(caseArb({ maxBatch: 1 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }), (c, io, co) => {
        const rng = new Rng(c.seed);
        const x = randomTensor(c.shape, c.dtype, rng);
        const g = convGeometry("test", c.shape, optionsOf(c));
        const colsSize = g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
        const Ctor = c.dtype === "float32" ? Float32Array : Float64Array;
        // Image at offset io with sentinels around it; cols prefilled with NaN (must be overwritten).
        const image = new Ctor(io + x.size + 3).fill(7);
        image.set(x.data, io);
        const cols = new Ctor(co + colsSize + 3).fill(Number.NaN);
        im2colImage({ geometry: g, image, imageOffset: io, cols, colsOffset: co });
        expect(Array.from(cols.subarray(co, co + colsSize))).toEqual(naiveIm2col(x, g));
        expect(cols.subarray(0, co).every(Number.isNaN)).toBe(true);
        expect(cols.subarray(co + colsSize).every(Number.isNaN)).toBe(true);
        // Accumulate: image += col2im(cols); sentinels untouched; result = x + col2im(cols).
        const fresh = new Ctor(x.size);
        col2imAccumulateImage({ geometry: g, image: fresh, imageOffset: 0, cols, colsOffset: co });
        col2imAccumulateImage({ geometry: g, image, imageOffset: io, cols, colsOffset: co });
        expect(image.subarray(0, io).every((v) => v === 7)).toBe(true);
        expect(image.subarray(io + x.size).every((v) => v === 7)).toBe(true);
        const expected = new Ctor(x.size);
        for (let i = 0; i < x.size; i++) expected[i] = x.data[i] + fresh[i];
        expect(image.subarray(io, io + x.size)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("col2imAccumulateTs equals a plain scatter-add in (c, i, j, oy, ox) order bit for bit", () => {
    fc.assert(
      fc.property(caseArb({ maxBatch: 1 }), (c) => {
        const rng = new Rng(c.seed);
        const g = convGeometry("test", c.shape, optionsOf(c));
        const Ctor = c.dtype === "float32" ? Float32Array : Float64Array;
        const cols = randomTensor([g.channels * g.kernelH * g.kernelW * g.outH * g.outW], c.dtype, rng).data;
        const start = randomTensor([g.channels * g.height * g.width], c.dtype, rng).data;
        const expected = Ctor.from(start);
        naiveCol2imAccumulate(cols, expected, g);
        const actual = Ctor.from(start);
        col2imAccumulateTs({ geometry: g, image: actual, imageOffset: 0, cols, colsOffset: 0 });
        expect(actual).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("dispatch to the backend's kernels when it has them, and fall back to the TypeScript ones", () => {
    const calls: string[] = [];
    const withKernels: KernelBackend = {
      name: "spy",
      dtypes: ["float32"],
      gemm: tsBackend.gemm,
      im2col: (a: Im2colArgs) => {
        calls.push("im2col");
        im2colTs(a);
      },
      col2imAccumulate: (a: Im2colArgs) => {
        calls.push("col2im");
        col2imAccumulateTs(a);
      },
    };
    const geometry = convGeometry("test", [1, 2, 5, 5], { kernelSize: 3, padding: 1 });
    const args32: Im2colArgs = {
      geometry,
      image: new Float32Array(50).fill(1),
      imageOffset: 0,
      cols: new Float32Array(2 * 9 * 25),
      colsOffset: 0,
    };
    const args64: Im2colArgs = {
      geometry,
      image: new Float64Array(50).fill(1),
      imageOffset: 0,
      cols: new Float64Array(2 * 9 * 25),
      colsOffset: 0,
    };
    const expected = new Float64Array(2 * 9 * 25);
    im2colTs({ ...args64, cols: expected });
    withBackend(withKernels, () => {
      im2colImage(args32);
      col2imAccumulateImage(args32);
      im2colImage(args64); // float64 is not claimed by the spy: TypeScript reference
      col2imAccumulateImage(args64);
      im2col(randomTensor([2, 2, 5, 5], "float32", new Rng(1)), { kernelSize: 3 });
    });
    expect(calls).toEqual(["im2col", "col2im", "im2col", "im2col"]);
    expect(Array.from(args32.cols)).toEqual(Array.from(expected));
    expect(Array.from(args64.cols)).toEqual(Array.from(expected));
    const gemmOnly: KernelBackend = { name: "gemm-only", dtypes: ["float32"], gemm: tsBackend.gemm };
    const cols = new Float32Array(2 * 9 * 25);
    withBackend(gemmOnly, () => im2colImage({ ...args32, image: new Float32Array(50).fill(1), cols }));
    expect(calls).toHaveLength(4);
    expect(Array.from(cols)).toEqual(Array.from(expected));
  });

  it("refuse inconsistent arguments instead of reading or writing out of bounds", () => {
    const geometry = convGeometry("test", [1, 2, 5, 5], { kernelSize: 3, padding: 1 });
    const ok = (): Im2colArgs => ({
      geometry: { ...geometry },
      image: new Float32Array(50),
      imageOffset: 0,
      cols: new Float32Array(450),
      colsOffset: 0,
    });
    const cases: [(a: Im2colArgs) => Im2colArgs, RegExp, typeof ShapeError | typeof ArgumentError][] = [
      [(a) => ({ ...a, image: new Float32Array(49) }), /image needs 50 values \(2x5x5\) from offset 0 but has length 49/, ShapeError],
      [(a) => ({ ...a, imageOffset: 1 }), /image needs 50 values/, ShapeError],
      [(a) => ({ ...a, cols: new Float32Array(449) }), /cols needs 450 values \(\[18,25\]\)/, ShapeError],
      [(a) => ({ ...a, colsOffset: 2 }), /cols needs 450 values/, ShapeError],
      [(a) => ({ ...a, colsOffset: -1 }), /colsOffset must be a non-negative integer/, ArgumentError],
      [(a) => ({ ...a, imageOffset: 0.5 }), /imageOffset must be a non-negative integer/, ArgumentError],
      [(a) => ({ ...a, cols: new Float64Array(450) }), /image is float32 but cols is float64/, ArgumentError],
      [(a) => ({ ...a, geometry: { ...a.geometry, outH: 4 } }), /geometry.outH x outW is 4x5 but the window gives 5x5/, ArgumentError],
      [(a) => ({ ...a, geometry: { ...a.geometry, strideW: 0 } }), /geometry.strideW must be an integer >= 1/, ArgumentError],
      [(a) => ({ ...a, geometry: { ...a.geometry, kernelH: 9 } }), /kernel larger than the padded input/, ShapeError],
      [
        (a) => {
          const buf = new Float32Array(500);
          return { ...a, image: buf, cols: buf, colsOffset: 40 };
        },
        /image and cols overlap/,
        ArgumentError,
      ],
    ];
    for (const [mutate, message, type] of cases) {
      for (const [name, fn] of [
        ["im2colImage", im2colImage],
        ["col2imAccumulateImage", col2imAccumulateImage],
      ] as const) {
        const args = mutate(ok());
        expect(() => fn(args)).toThrow(type);
        expect(() => fn(args)).toThrow(new RegExp(`^${name}: ${message.source}`));
      }
    }
    // Disjoint parts of one buffer are fine.
    const buf = new Float32Array(500);
    expect(() => im2colImage({ ...ok(), image: buf, cols: buf, colsOffset: 50 })).not.toThrow();
  });
});
