import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, ShapeError, Tensor, fromArray } from "@unetkit/tensor";
import {
  NearestUpsample,
  interpolateOutputSize,
  nearestIndexTable,
  nearestUpsampleBackward,
  nearestUpsampleForward,
  type NearestUpsampleOptions,
} from "./index.js";
import { dot, randomTensor, scalarRelDiff } from "../test/helpers.js";

/** An arbitrary size option: integer factors, per-axis factors, fractional factors or a size. */
const sizeOption = fc.oneof(
  fc.integer({ min: 1, max: 4 }).map((s) => ({ scaleFactor: s })),
  fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }))
    .map(([a, b]) => ({ scaleFactor: [a, b] as [number, number] })),
  fc.constantFrom(1.5, 2.5, 1.7, 1.25, 3.3).map((s) => ({ scaleFactor: s })),
  fc
    .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }))
    .map(([h, w]) => ({ size: [h, w] as [number, number] })),
);

const imageShape = fc.tuple(
  fc.integer({ min: 1, max: 2 }),
  fc.integer({ min: 1, max: 3 }),
  fc.integer({ min: 1, max: 7 }),
  fc.integer({ min: 1, max: 7 }),
);

describe("NearestUpsample", () => {
  it("copies each pixel into an sH x sW block for integer factors (PyTorch's rule equals floor(dst / s))", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer(),
        (sh, sw, h, w, seed) => {
          const x = randomTensor([1, 2, h, w], seed, "float32");
          const y = nearestUpsampleForward(x, { scaleFactor: [sh, sw] });
          expect(y.shape).toEqual([1, 2, h * sh, w * sw]);
          for (let c = 0; c < 2; c++) {
            for (let oy = 0; oy < h * sh; oy++) {
              for (let ox = 0; ox < w * sw; ox++) {
                const got = y.data[(c * h * sh + oy) * w * sw + ox];
                const want = x.data[(c * h + Math.floor(oy / sh)) * w + Math.floor(ox / sw)];
                if (got !== want) return false;
              }
            }
          }
          return true;
        },
      ),
      { numRuns: 60 },
    );
  });

  it("backward sums the gradient over each block for integer factors", () => {
    const dy = fromArray(Array.from({ length: 4 * 6 }, (_, i) => i), { shape: [1, 1, 4, 6] });
    const dx = nearestUpsampleBackward(dy, [1, 1, 2, 2], { scaleFactor: [2, 3] });
    // block (0,0): rows 0-1, cols 0-2: 0+1+2+6+7+8 = 24; (0,1): 3+4+5+9+10+11 = 42
    // block (1,0): 12+13+14+18+19+20 = 96; (1,1): 15+16+17+21+22+23 = 114
    expect(dx.toArray()).toEqual([24, 42, 96, 114]);
  });

  it("scale-2 backward equals the row-major `+=` accumulation bit for bit (float32 and float64, signed zeros)", () => {
    fc.assert(
      fc.property(imageShape, fc.constantFrom("float32" as const, "float64" as const), fc.integer(), (shape, dtype, seed) => {
        const [n, c, h, w] = shape;
        const dy = randomTensor([n, c, 2 * h, 2 * w], seed, dtype);
        for (let i = 0; i < dy.size; i += 3) dy.data[i] = -0;
        const dx = nearestUpsampleBackward(dy, shape, { scaleFactor: 2 });
        const want = new Tensor(dtype, shape);
        for (let p = 0; p < n * c; p++) {
          for (let oy = 0; oy < 2 * h; oy++) {
            for (let ox = 0; ox < 2 * w; ox++) want.data[(p * h + (oy >> 1)) * w + (ox >> 1)] += dy.data[(p * 2 * h + oy) * 2 * w + ox];
          }
        }
        for (let i = 0; i < dx.size; i++) if (!Object.is(dx.data[i], want.data[i])) return false;
        return true;
      }),
      { numRuns: 60 },
    );
  });

  it("uses PyTorch's index rule for fractional factors and explicit sizes", () => {
    // scale 1.5 on 4: out 6, scale fround(1/1.5), floor(dst * 0.6666667)
    expect(Array.from(nearestIndexTable(4, 6, 1.5))).toEqual([0, 0, 1, 2, 2, 3]);
    // size 7 from 3: floor(dst * 3/7)
    expect(Array.from(nearestIndexTable(3, 7))).toEqual([0, 0, 0, 1, 1, 2, 2]);
    // shrinking size 4 from 7: floor(dst * 7/4)
    expect(Array.from(nearestIndexTable(7, 4))).toEqual([0, 1, 3, 5]);
  });

  it("backward is the adjoint of forward: <up(x), y> = <x, up'(y)> (float64)", () => {
    fc.assert(
      fc.property(imageShape, sizeOption, fc.integer(), ([n, c, h, w], opt, seed) => {
        const [oh, ow] = interpolateOutputSize(h, w, opt);
        const x = randomTensor([n, c, h, w], seed);
        const y = randomTensor([n, c, oh, ow], seed + 1);
        const up = new NearestUpsample(opt);
        const lhs = dot(up.forward(x), y);
        const rhs = dot(x, up.backward(y));
        expect(scalarRelDiff(lhs, rhs)).toBeLessThan(1e-12);
      }),
      { numRuns: 100 },
    );
  });

  it("layer and pure functions agree; output shape follows interpolateOutputSize", () => {
    fc.assert(
      fc.property(imageShape, sizeOption, fc.integer(), ([n, c, h, w], opt, seed) => {
        const x = randomTensor([n, c, h, w], seed, "float32");
        const up = new NearestUpsample(opt);
        const y = up.forward(x);
        const [oh, ow] = interpolateOutputSize(h, w, opt);
        expect(y.shape).toEqual([n, c, oh, ow]);
        const o: NearestUpsampleOptions = opt;
        if (o.size !== undefined) expect([oh, ow]).toEqual(o.size);
        else {
          const s = o.scaleFactor as number | [number, number];
          const [sh, sw] = typeof s === "number" ? [s, s] : s;
          expect([oh, ow]).toEqual([Math.floor(h * sh), Math.floor(w * sw)]);
        }
        expect(nearestUpsampleForward(x, opt).data).toEqual(y.data);
        const dy = randomTensor([n, c, oh, ow], seed + 2, "float32");
        expect(nearestUpsampleBackward(dy, x.shape, opt).data).toEqual(up.backward(dy).data);
      }),
      { numRuns: 50 },
    );
  });

  it("reuses its tables across calls of the same size and rebuilds them for a new size", () => {
    const up = new NearestUpsample({ scaleFactor: 1.5 });
    const a = randomTensor([1, 2, 3, 4], 1, "float32");
    const b = randomTensor([2, 1, 5, 2], 2, "float32");
    expect(up.forward(a).data).toEqual(nearestUpsampleForward(a, { scaleFactor: 1.5 }).data);
    expect(up.forward(b).data).toEqual(nearestUpsampleForward(b, { scaleFactor: 1.5 }).data);
    expect(up.forward(a).data).toEqual(nearestUpsampleForward(a, { scaleFactor: 1.5 }).data);
  });

  it("refuses bad options and inputs with typed errors naming the op", () => {
    expect(() => new NearestUpsample({})).toThrow(ArgumentError);
    expect(() => new NearestUpsample({ size: 4, scaleFactor: 2 })).toThrow(/only one of size or scaleFactor/);
    expect(() => new NearestUpsample({ scaleFactor: 0 })).toThrow(/NearestUpsample: scaleFactor must be a positive/);
    expect(() => new NearestUpsample({ scaleFactor: Number.NaN })).toThrow(ArgumentError);
    expect(() => new NearestUpsample({ size: [2, 2.5] })).toThrow(/size\[1\] must be a positive integer/);
    expect(() => new NearestUpsample({ scaleFactor: 2, mode: "x" } as never)).toThrow(/unknown option "mode"/);
    const up = new NearestUpsample({ scaleFactor: 2 });
    expect(() => up.forward(new Tensor("float32", [3, 4, 4]))).toThrow(ShapeError);
    expect(() => up.forward(new Tensor("float32", [3, 4, 4]))).toThrow(/NearestUpsample: input must be 4-D NCHW \(got \[3,4,4\]\)/);
    expect(() => up.backward(new Tensor("float32", [1, 1, 4, 4]))).toThrow(/without a matching forward/);
    up.forward(new Tensor("float32", [1, 1, 2, 2]));
    expect(() => up.backward(new Tensor("float32", [1, 1, 4, 5]))).toThrow(
      /gradient has shape \[1,1,4,5\] but the output has shape \[1,1,4,4\]/,
    );
    expect(() => new NearestUpsample({ scaleFactor: 0.4 }).forward(new Tensor("float32", [1, 1, 2, 2]))).toThrow(
      /output sizes should be greater than 0/,
    );
  });
});
