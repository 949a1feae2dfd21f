import { FormatError } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { writeIdx } from "./__fixtures__/formats.js";
import { readIdx, readIdxImagesAndLabels, type IdxDType } from "./idx.js";

const RANGES: Record<IdxDType, fc.Arbitrary<number>> = {
  uint8: fc.integer({ min: 0, max: 255 }),
  int8: fc.integer({ min: -128, max: 127 }),
  int16: fc.integer({ min: -32768, max: 32767 }),
  int32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  float32: fc.float({ noNaN: true }).map(Math.fround),
  float64: fc.double({ noNaN: true }),
};

describe("readIdx", () => {
  it("round-trips every element type and rank", () => {
    const arb = fc
      .record({
        dtype: fc.constantFrom<IdxDType>("uint8", "int8", "int16", "int32", "float32", "float64"),
        shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      })
      .chain(({ dtype, shape }) => {
        const n = shape.reduce((a, b) => a * b, 1);
        return fc.record({
          dtype: fc.constant(dtype),
          shape: fc.constant(shape),
          values: fc.array(RANGES[dtype], { minLength: n, maxLength: n }),
        });
      });
    fc.assert(
      fc.property(arb, ({ dtype, shape, values }) => {
        const r = readIdx(writeIdx(dtype, shape, values));
        expect(r.dtype).toBe(dtype);
        expect(r.shape).toEqual(shape);
        expect(Array.from(r.data)).toEqual(values.map((x) => (Object.is(x, -0) ? -0 : x)));
      }),
      { numRuns: 100 },
    );
  });

  it("validates magic, type code, rank and length", () => {
    const good = writeIdx("uint8", [2, 3], [1, 2, 3, 4, 5, 6]);
    expect(readIdx(good).shape).toEqual([2, 3]);
    const badMagic = good.slice();
    badMagic[0] = 1;
    expect(() => readIdx(badMagic)).toThrow(/bad magic/);
    const badType = good.slice();
    badType[2] = 0x0a;
    expect(() => readIdx(badType)).toThrow(/unknown type code 0x0a/);
    const rank0 = good.slice();
    rank0[3] = 0;
    expect(() => readIdx(rank0)).toThrow(/rank 0/);
    const bigRank = good.slice(0, 12);
    bigRank[3] = 5;
    expect(() => readIdx(bigRank)).toThrow(/header of rank 5 needs 24 bytes/);
    expect(() => readIdx(good.slice(0, good.length - 1))).toThrow(/need 18 bytes .* has 17/);
    const extra = new Uint8Array(good.length + 1);
    extra.set(good);
    expect(() => readIdx(extra)).toThrow(FormatError);
    expect(() => readIdx(new Uint8Array([0, 0]))).toThrow(/shorter than the 4-byte magic/);
    expect(() => readIdx(new Uint8Array([0x1f, 0x8b, 8, 0]))).toThrow(/gzip/);
  });
});

describe("readIdxImagesAndLabels", () => {
  it("pairs images and labels into [n,1,H,W] / 255 and Int32 labels", () => {
    const images = writeIdx("uint8", [2, 2, 3], [0, 255, 51, 1, 2, 3, 10, 20, 30, 40, 50, 60]);
    const labels = writeIdx("uint8", [2], [7, 0]);
    const set = readIdxImagesAndLabels(images, labels);
    expect(set.images.shape).toEqual([2, 1, 2, 3]);
    expect(set.images.get(0, 0, 0, 1)).toBe(1);
    expect(set.images.get(0, 0, 0, 2)).toBeCloseTo(0.2, 7);
    expect(set.images.get(1, 0, 1, 2)).toBeCloseTo(60 / 255, 7);
    expect(Array.from(set.labels.data)).toEqual([7, 0]);
    expect(set.labels.data).toBeInstanceOf(Int32Array);
    expect(set.numClasses).toBe(10);
  });

  it("refuses mismatched counts, wrong types and out-of-range labels", () => {
    const images = writeIdx("uint8", [2, 2, 2], [0, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => readIdxImagesAndLabels(images, writeIdx("uint8", [3], [0, 1, 2]))).toThrow(/2 images \[2,2,2\] but 3 labels/);
    expect(() => readIdxImagesAndLabels(images, writeIdx("int32", [2], [0, 1]))).toThrow(/labels must be uint8/);
    expect(() => readIdxImagesAndLabels(writeIdx("uint8", [8], [0, 0, 0, 0, 0, 0, 0, 0]), writeIdx("uint8", [2], [0, 1]))).toThrow(/images must be uint8 of rank 3/);
    expect(() => readIdxImagesAndLabels(images, writeIdx("uint8", [2], [0, 12]))).toThrow(/label 12 of sample 1/);
    expect(readIdxImagesAndLabels(images, writeIdx("uint8", [2], [0, 12]), { numClasses: 13 }).numClasses).toBe(13);
  });
});
