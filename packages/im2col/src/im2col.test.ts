import { Rng, Tensor, backendFor, matmul } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  caseArb,
  directConv,
  directConvBackward,
  maxScaledError,
  naiveIm2col,
  optionsOf,
  randomTensor,
  tolerance,
} from "../test/reference.js";
import { col2im, convGeometry, im2col } from "./index.js";

/** <a, b> accumulated in float64, and the sum of |a_i b_i| (the scale of its rounding error). */
function dot(a: ArrayLike<number>, b: ArrayLike<number>): { value: number; scale: number } {
  let value = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    value += a[i] * b[i];
    scale += Math.abs(a[i] * b[i]);
  }
  return { value, scale };
}

describe("im2col / col2im properties", () => {
  it("im2col matches the element-by-element definition (PyTorch unfold layout)", () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const x = randomTensor(c.shape, c.dtype, new Rng(c.seed));
        const g = convGeometry("test", c.shape, optionsOf(c));
        const cols = im2col(x, optionsOf(c));
        expect(cols.shape).toEqual([c.shape[0], c.shape[1] * c.kernelSize[0] * c.kernelSize[1], g.outH * g.outW]);
        expect(cols.dtype).toBe(c.dtype);
        // A copy: exactly equal, no rounding.
        expect(Array.from(cols.data)).toEqual(naiveIm2col(x, g));
      }),
      { numRuns: 300 },
    );
  });

  it("stride 1 with 'same' padding (the block-copy path) matches the definition and stays adjoint", () => {
    fc.assert(
      fc.property(
        caseArb(),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        (c0, halfH, halfW) => {
          // Odd kernels 2*half+1 with padding dilation*half keep the output size equal to the input.
          const c = { ...c0, kernelSize: [2 * halfH + 1, 2 * halfW + 1] as [number, number], stride: [1, 1] as [number, number] };
          c.padding = [c.dilation[0] * halfH, c.dilation[1] * halfW];
          const rng = new Rng(c.seed);
          const x = randomTensor(c.shape, c.dtype, rng);
          const g = convGeometry("test", c.shape, optionsOf(c));
          expect([g.outH, g.outW]).toEqual([c.shape[2], c.shape[3]]);
          const cols = im2col(x, optionsOf(c));
          expect(Array.from(cols.data)).toEqual(naiveIm2col(x, g));
          const y = randomTensor([...cols.shape], c.dtype, rng);
          const lhs = dot(cols.data, y.data);
          const rhs = dot(x.data, col2im(y, c.shape, optionsOf(c)).data);
          const tol = c.dtype === "float64" ? 1e-12 : 1e-5;
          expect(Math.abs(lhs.value - rhs.value)).toBeLessThanOrEqual(tol * Math.max(1, lhs.scale));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("col2im is the adjoint of im2col: <im2col(x), y> = <x, col2im(y)>", () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const rng = new Rng(c.seed);
        const x = randomTensor(c.shape, c.dtype, rng);
        const cols = im2col(x, optionsOf(c));
        const y = randomTensor([...cols.shape], c.dtype, rng);
        const back = col2im(y, c.shape, optionsOf(c));
        expect(back.shape).toEqual(c.shape);
        expect(back.dtype).toBe(c.dtype);
        const lhs = dot(cols.data, y.data);
        const rhs = dot(x.data, back.data);
        // float64: only summation order differs. float32: col2im sums overlapping windows in float32.
        const tol = c.dtype === "float64" ? 1e-12 : 1e-5;
        expect(Math.abs(lhs.value - rhs.value)).toBeLessThanOrEqual(tol * Math.max(1, lhs.scale));
      }),
      { numRuns: 300 },
    );
  });

  it("kernel 1, stride 1, padding 0 is a pure reshape both ways", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom("float32" as const, "float64" as const),
        fc.integer({ min: 0, max: 2 ** 30 }),
        (n, ch, h, w, dtype, seed) => {
          const x = randomTensor([n, ch, h, w], dtype, new Rng(seed));
          const cols = im2col(x, { kernelSize: 1 });
          expect(cols.shape).toEqual([n, ch, h * w]);
          expect(cols.data).toEqual(x.data);
          const back = col2im(cols, x.shape, { kernelSize: [1, 1], stride: 1, padding: 0, dilation: 1 });
          expect(back.shape).toEqual([n, ch, h, w]);
          expect(back.data).toEqual(x.data);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("im2col then one GEMM per image equals a brute-force direct convolution", () => {
    fc.assert(
      fc.property(caseArb(), fc.integer({ min: 1, max: 4 }), (c, cout) => {
        const rng = new Rng(c.seed);
        const x = randomTensor(c.shape, c.dtype, rng);
        const g = convGeometry("test", c.shape, optionsOf(c));
        const K = g.channels * g.kernelH * g.kernelW;
        const L = g.outH * g.outW;
        const w = randomTensor([cout, c.shape[1], g.kernelH, g.kernelW], c.dtype, rng);
        const cols = im2col(x, optionsOf(c));
        const y = new Tensor(c.dtype, [c.shape[0], cout, g.outH, g.outW]);
        for (let n = 0; n < c.shape[0]; n++) {
          // y[n] = W[Cout, K] @ cols[n][K, L]: NCHW output directly, no transpose.
          backendFor(c.dtype).gemm({
            transA: false,
            transB: false,
            m: cout,
            n: L,
            k: K,
            alpha: 1,
            a: w.data,
            aOffset: 0,
            lda: K,
            b: cols.data,
            bOffset: n * K * L,
            ldb: L,
            beta: 0,
            c: y.data,
            cOffset: n * cout * L,
            ldc: L,
          });
        }
        expect(maxScaledError(y.data, directConv(x, w, g))).toBeLessThanOrEqual(tolerance(c.dtype) * K);
      }),
      { numRuns: 200 },
    );
  });

  it("conv backward through the layout: dx = col2im(W^T @ dy), dW = sum_n dy[n] @ cols[n]^T", () => {
    fc.assert(
      fc.property(caseArb(), fc.integer({ min: 1, max: 4 }), (c, cout) => {
        const rng = new Rng(c.seed);
        const x = randomTensor(c.shape, c.dtype, rng);
        const g = convGeometry("test", c.shape, optionsOf(c));
        const K = g.channels * g.kernelH * g.kernelW;
        const L = g.outH * g.outW;
        const N = c.shape[0];
        const w = randomTensor([cout, c.shape[1], g.kernelH, g.kernelW], c.dtype, rng);
        const dy = randomTensor([N, cout, g.outH, g.outW], c.dtype, rng);
        const cols = im2col(x, optionsOf(c));
        const w2 = w.reshape([cout, K]);
        const dcols = new Tensor(c.dtype, [N, K, L]);
        for (let n = 0; n < N; n++) {
          const dyn = new Tensor(c.dtype, [cout, L], dy.data.subarray(n * cout * L, (n + 1) * cout * L));
          dcols.data.set(matmul(w2, dyn, { transA: true }).data, n * K * L);
        }
        const dx = col2im(dcols, c.shape, optionsOf(c));
        const dw = new Tensor(c.dtype, [cout, K]);
        for (let n = 0; n < N; n++) {
          backendFor(c.dtype).gemm({
            transA: false,
            transB: true,
            m: cout,
            n: K,
            k: L,
            alpha: 1,
            a: dy.data,
            aOffset: n * cout * L,
            lda: L,
            b: cols.data,
            bOffset: n * K * L,
            ldb: L,
            beta: 1,
            c: dw.data,
            cOffset: 0,
            ldc: K,
          });
        }
        const ref = directConvBackward(x, w, dy, g);
        expect(maxScaledError(dx.data, ref.dx)).toBeLessThanOrEqual(tolerance(c.dtype) * K);
        expect(maxScaledError(dw.data, ref.dw)).toBeLessThanOrEqual(tolerance(c.dtype) * N * L);
      }),
      { numRuns: 150 },
    );
  });

  it("non-overlapping windows that tile the input: col2im(im2col(x)) = x", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 2 ** 30 }),
        (kh, kw, th, tw, seed) => {
          const x = randomTensor([2, 3, kh * th, kw * tw], "float64", new Rng(seed));
          const options = { kernelSize: [kh, kw] as [number, number], stride: [kh, kw] as [number, number] };
          expect(col2im(im2col(x, options), x.shape, options).data).toEqual(x.data);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("im2col / col2im examples and errors", () => {
  it("unfolds a 3x3 image with a 2x2 kernel and padding 1 as torch.nn.functional.unfold", () => {
    // torch.nn.functional.unfold(torch.arange(1., 10.).reshape(1, 1, 3, 3), 2, padding=1, stride=2)
    const x = new Tensor("float64", [1, 1, 3, 3], Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const cols = im2col(x, { kernelSize: 2, padding: 1, stride: 2 });
    expect(cols.shape).toEqual([1, 4, 4]);
    expect(cols.toNested()).toEqual([
      [
        [0, 0, 0, 5],
        [0, 0, 4, 6],
        [0, 2, 0, 8],
        [1, 3, 7, 9],
      ],
    ]);
    // fold of ones counts how many windows cover each pixel.
    const counts = col2im(new Tensor("float64", [1, 9, 9]).fill(1), [1, 1, 3, 3], { kernelSize: 3, padding: 1 });
    expect(counts.toNested()).toEqual([[[[4, 6, 4], [6, 9, 6], [4, 6, 4]]]]);
  });

  it("handles an empty batch", () => {
    expect(im2col(new Tensor("float32", [0, 2, 4, 4]), { kernelSize: 3 }).shape).toEqual([0, 18, 4]);
    expect(col2im(new Tensor("float32", [0, 18, 4]), [0, 2, 4, 4], { kernelSize: 3 }).shape).toEqual([0, 2, 4, 4]);
  });

  it("refuses wrong ranks and mismatched column shapes, naming the op and shapes", () => {
    expect(() => im2col(new Tensor("float32", [2, 8, 8]), { kernelSize: 3 })).toThrow(
      /^im2col: input must be 4-D NCHW \(got \[2,8,8\]\)/,
    );
    expect(() => im2col(new Tensor("float32", [1, 1, 2, 2]), { kernelSize: 3 })).toThrow(
      /^im2col: kernel larger than the padded input along height.*\(input \[1,1,2,2\]\)/,
    );
    expect(() => col2im(new Tensor("float32", [2, 27, 64]), [2, 3, 8, 8], { kernelSize: 3 })).toThrow(
      /^col2im: cols must be \[N, C\*kh\*kw, outH\*outW\] = \[2,27,36\] for input \[2,3,8,8\] .* got \[2,27,64\]/,
    );
    expect(() => col2im(new Tensor("float32", [27, 36]), [1, 3, 8, 8], { kernelSize: 3 })).toThrow(
      /^col2im: cols must be 3-D/,
    );
    expect(() => col2im(new Tensor("float32", [1, 27, 36]), [3, 8, 8], { kernelSize: 3 })).toThrow(
      /^col2im: input must be 4-D NCHW/,
    );
    expect(() => im2col(new Tensor("float32", [1, 1, 8, 8]), { kernelSize: 3, stride: 0 })).toThrow(
      /^im2col: stride must be a positive integer \(got 0\)/,
    );
  });
});
