import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, ShapeError, Tensor, fromArray, slice } from "@unetkit/tensor";
import {
  NearestUpsample,
  interpolateOutputSize,
  nearestIndexTable,
  nearestUpsampleBackward,
  nearestUpsampleBackwardFrom,
  nearestUpsampleForward,
  nearestUpsampleInto,
  type NearestUpsampleOptions,
} from "./index.js";
import { dot, expectLayerSlices, randomTensor, scalarRelDiff } from "../test/helpers.js";

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

  /** A size option, an image shape and a wider tensor's channel count and offset for its slice. */
  const sliceCase = fc
    .tuple(fc.oneof(sizeOption, fc.constant({ scaleFactor: 2 })), imageShape, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom("float32", "float64"))
    .map(([options, [n, c, h, w], before, after, dtype]) => ({ options: options as NearestUpsampleOptions, shape: [n, c, h, w], before, after, dtype: dtype as "float32" | "float64" }));

  it("nearestUpsampleInto writes the forward's bits into its channel slice and leaves the other channels alone", () => {
    fc.assert(
      fc.property(sliceCase, fc.integer({ min: 0, max: 1000 }), ({ options, shape, before, after, dtype }, seed) => {
        const x = randomTensor(shape, seed, dtype);
        const y = nearestUpsampleForward(x, options);
        const [n, c, oh, ow] = y.shape;
        const out = randomTensor([n, before + c + after, oh, ow], seed + 1, dtype);
        const was = out.clone();
        nearestUpsampleInto(x, out, before, options);
        expect(Array.from(slice(out, 1, before, before + c).data)).toEqual(Array.from(y.data));
        expect(Array.from(slice(out, 1, 0, before).data)).toEqual(Array.from(slice(was, 1, 0, before).data));
        expect(Array.from(slice(out, 1, before + c).data)).toEqual(Array.from(slice(was, 1, before + c).data));
      }),
      { numRuns: 60 },
    );
  });

  it("nearestUpsampleBackwardFrom equals the backward of a copy of the channel slice, bit for bit", () => {
    fc.assert(
      fc.property(sliceCase, fc.integer({ min: 0, max: 1000 }), ({ options, shape, before, after, dtype }, seed) => {
        const [n, c] = shape;
        const [oh, ow] = interpolateOutputSize(shape[2], shape[3], options);
        const dOut = randomTensor([n, before + c + after, oh, ow], seed, dtype);
        const want = nearestUpsampleBackward(slice(dOut, 1, before, before + c), shape, options);
        const got = nearestUpsampleBackwardFrom(dOut, before, shape, options);
        expect(got.shape).toEqual(shape);
        expect(Array.from(got.data)).toEqual(Array.from(want.data));
      }),
      { numRuns: 60 },
    );
  });

  it("the layer's forwardInto and backwardFrom equal forward and backward on copies (in an arena too)", () => {
    expectLayerSlices(new NearestUpsample({ scaleFactor: 2 }));
  });

  it("refuses a channel slice that does not fit, naming the op and the shapes", () => {
    const x = new Tensor("float32", [2, 3, 4, 4]);
    const opts = { scaleFactor: 2 };
    expect(() => nearestUpsampleInto(x, new Tensor("float32", [2, 4, 8, 8]), 2, opts)).toThrow(
      /nearestUpsampleInto: channels 2..5 do not fit in the 4 channels of out \(channelOffset 2\) \(out \[2,4,8,8\], upsampled map \[2,3,8,8\]\)/,
    );
    expect(() => nearestUpsampleInto(x, new Tensor("float32", [2, 4, 8, 9]), 0, opts)).toThrow(ShapeError);
    expect(() => nearestUpsampleInto(x, new Tensor("float32", [1, 4, 8, 8]), 0, opts)).toThrow(/out must be \[2, C, 8, 8\]/);
    expect(() => nearestUpsampleInto(x, new Tensor("float64", [2, 4, 8, 8]), 0, opts)).toThrow(/out is float64 but the upsampled map is float32/);
    expect(() => nearestUpsampleInto(x, new Tensor("float32", [2, 4, 8, 8]), -1, opts)).toThrow(ArgumentError);
    expect(() => nearestUpsampleInto(x, new Tensor("float32", [2, 4, 8, 8]), 0.5, opts)).toThrow(ArgumentError);
    expect(() => nearestUpsampleBackwardFrom(new Tensor("float32", [2, 4, 8, 8]), 2, [2, 3, 4, 4], opts)).toThrow(
      /nearestUpsampleBackwardFrom: channels 2..5 do not fit in the 4 channels of gradient/,
    );
    expect(() => nearestUpsampleBackwardFrom(new Tensor("float32", [2, 4, 8, 8]), 0, [2, 3, 4], opts)).toThrow(/inputShape must be 4-D/);
    const up = new NearestUpsample(opts);
    expect(() => up.forwardInto(x, new Tensor("float32", [2, 2, 8, 8]), 0)).toThrow(/NearestUpsample.forwardInto: channels 0..3 do not fit/);
    up.forward(x);
    expect(() => up.backwardFrom(new Tensor("float32", [2, 3, 8, 7]), 0)).toThrow(/NearestUpsample.backwardFrom: gradient must be \[2, C, 8, 8\]/);
  });
});
