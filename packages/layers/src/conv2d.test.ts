import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Arena, ArgumentError, Rng, ShapeError, Tensor, randn, withArena } from "@unetkit/tensor";
import { assertLayerGradcheck } from "@unetkit/testing";
import { expectMatches, layerFixture, tensorOf } from "../test/fixture-helpers.js";
import { Conv2D, conv2dBackward, conv2dBackwardBias, conv2dBackwardData, conv2dBackwardWeight, conv2dForward } from "./conv2d.js";

/** Direct 7-loop convolution in float64, the definition conv2dForward must agree with. */
function naiveConv(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  s: [number, number],
  p: [number, number],
  d: [number, number],
): Float64Array {
  const [n, c, h, wd] = x.shape;
  const [co, , kh, kw] = w.shape;
  const oh = Math.floor((h + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((wd + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const out = new Float64Array(n * co * oh * ow);
  for (let bi = 0; bi < n; bi++)
    for (let o = 0; o < co; o++)
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let acc = b ? b.data[o] : 0;
          for (let ci = 0; ci < c; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const iy = y * s[0] - p[0] + i * d[0];
                const ix = xx * s[1] - p[1] + j * d[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                acc += x.data[((bi * c + ci) * h + iy) * wd + ix] * w.data[((o * c + ci) * kh + i) * kw + j];
              }
          out[((bi * co + o) * oh + y) * ow + xx] = acc;
        }
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

const geometryArb = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  cin: fc.integer({ min: 1, max: 3 }),
  cout: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 7 }),
  w: fc.integer({ min: 1, max: 7 }),
  kh: fc.integer({ min: 1, max: 3 }),
  kw: fc.integer({ min: 1, max: 3 }),
  sh: fc.integer({ min: 1, max: 2 }),
  sw: fc.integer({ min: 1, max: 3 }),
  ph: fc.integer({ min: 0, max: 2 }),
  pw: fc.integer({ min: 0, max: 1 }),
  dh: fc.integer({ min: 1, max: 2 }),
  dw: fc.integer({ min: 1, max: 2 }),
  bias: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1000 }),
}).filter((g) => g.h + 2 * g.ph >= g.dh * (g.kh - 1) + 1 && g.w + 2 * g.pw >= g.dw * (g.kw - 1) + 1);

describe("conv2dForward", () => {
  it("matches the direct definition over random geometries (float64)", () => {
    fc.assert(
      fc.property(geometryArb, (g) => {
        const rng = new Rng(g.seed);
        const x = randn([g.n, g.cin, g.h, g.w], rng, { dtype: "float64" });
        const w = randn([g.cout, g.cin, g.kh, g.kw], rng, { dtype: "float64" });
        const b = g.bias ? randn([g.cout], rng, { dtype: "float64" }) : null;
        const opts = { stride: [g.sh, g.sw] as const, padding: [g.ph, g.pw] as const, dilation: [g.dh, g.dw] as const };
        const y = conv2dForward(x, w, b, opts);
        const ref = naiveConv(x, w, b, [g.sh, g.sw], [g.ph, g.pw], [g.dh, g.dw]);
        expect(y.size).toBe(ref.length);
        for (let i = 0; i < ref.length; i++) expect(y.data[i]).toBeCloseTo(ref[i], 10);
      }),
      { numRuns: 60 },
    );
  });

  it("backward data and weight are adjoints of forward: <conv(x,w), dy> = <x, dX(dy)> = <w, dW(dy)>", () => {
    fc.assert(
      fc.property(geometryArb, (g) => {
        const rng = new Rng(g.seed + 1);
        const x = randn([g.n, g.cin, g.h, g.w], rng, { dtype: "float64" });
        const w = randn([g.cout, g.cin, g.kh, g.kw], rng, { dtype: "float64" });
        const opts = { stride: [g.sh, g.sw] as const, padding: [g.ph, g.pw] as const, dilation: [g.dh, g.dw] as const };
        const y = conv2dForward(x, w, null, opts);
        const dy = randn(y.shape, rng, { dtype: "float64" });
        const lhs = dot(y.data, dy.data);
        const dx = conv2dBackwardData(dy, w, x.shape, opts);
        const dw = conv2dBackwardWeight(dy, x, w.shape, opts);
        const tol = 1e-9 * (1 + Math.abs(lhs));
        expect(Math.abs(dot(x.data, dx.data) - lhs)).toBeLessThan(tol);
        expect(Math.abs(dot(w.data, dw.data) - lhs)).toBeLessThan(tol);
      }),
      { numRuns: 60 },
    );
  });
});

describe("conv2dBackwardData", () => {
  it("accumulates into an existing tensor (float32 and float64, pointwise and strided geometries)", () => {
    fc.assert(
      fc.property(geometryArb, fc.constantFrom("float32" as const, "float64" as const), fc.boolean(), (g, dtype, pointwise) => {
        const rng = new Rng(g.seed + 2);
        const [kh, kw] = pointwise ? [1, 1] : [g.kh, g.kw];
        const opts = pointwise
          ? { dilation: [g.dh, g.dw] as const }
          : { stride: [g.sh, g.sw] as const, padding: [g.ph, g.pw] as const, dilation: [g.dh, g.dw] as const };
        const w = randn([g.cout, g.cin, kh, kw], rng, { dtype });
        const xShape = [g.n, g.cin, g.h, g.w];
        const yShape = conv2dForward(new Tensor(dtype, xShape), w, null, opts).shape;
        const dy = randn(yShape, rng, { dtype });
        const fresh = conv2dBackwardData(dy, w, xShape, opts);
        const base = randn(xShape, rng, { dtype });
        const acc = base.clone();
        expect(conv2dBackwardData(dy, w, xShape, { ...opts, accumulateInto: acc })).toBe(acc);
        const tol = dtype === "float32" ? 1e-5 : 1e-12;
        for (let i = 0; i < acc.size; i++) {
          const want = base.data[i] + fresh.data[i];
          expect(Math.abs(acc.data[i] - want)).toBeLessThan(tol * (1 + Math.abs(want)));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("refuses an accumulateInto of the wrong shape or dtype", () => {
    const w = new Tensor("float32", [4, 3, 3, 3]);
    const dy = new Tensor("float32", [2, 4, 6, 6]);
    expect(() => conv2dBackwardData(dy, w, [2, 3, 8, 8], { accumulateInto: new Tensor("float32", [2, 3, 8, 7]) })).toThrow(
      "Conv2D: accumulateInto must have the input shape [2,3,8,8]",
    );
    expect(() => conv2dBackwardData(dy, w, [2, 3, 8, 8], { accumulateInto: new Tensor("float64", [2, 3, 8, 8]) })).toThrow(
      "Conv2D: accumulateInto is float64 but the output gradient is float32",
    );
  });
});

describe("conv2dBackwardWeight", () => {
  it("accumulates into an existing gradient and adds the bias gradient", () => {
    const rng = new Rng(3);
    const x = randn([2, 2, 5, 4], rng);
    const w = randn([3, 2, 3, 2], rng);
    const dy = randn([2, 3, 3, 3], rng);
    const fresh = conv2dBackwardWeight(dy, x, w.shape);
    const acc = new Tensor("float32", w.shape).fill(1);
    const db = new Tensor("float32", [3]).fill(2);
    const r = conv2dBackwardWeight(dy, x, w.shape, { accumulateInto: acc, biasGradInto: db });
    expect(r).toBe(acc);
    for (let i = 0; i < acc.size; i++) expect(acc.data[i]).toBeCloseTo(fresh.data[i] + 1, 5);
    const bias = conv2dBackwardBias(dy);
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let n = 0; n < 2; n++) for (let i = 0; i < 9; i++) s += dy.data[(n * 3 + c) * 9 + i];
      expect(bias.data[c]).toBeCloseTo(s, 5);
      expect(db.data[c]).toBeCloseTo(s + 2, 5);
    }
  });
});

describe("conv2dBackward", () => {
  const sameBits = (a: Tensor, b: Tensor) => a.size === b.size && a.data.every((v, i) => Object.is(v, b.data[i]));

  it("gives conv2dBackwardData's dx and conv2dBackwardWeight's dW and bias gradient, bit for bit", () => {
    fc.assert(
      fc.property(geometryArb, (c) => {
        const rng = new Rng(c.seed);
        const options = { stride: [c.sh, c.sw] as [number, number], padding: [c.ph, c.pw] as [number, number], dilation: [c.dh, c.dw] as [number, number] };
        const x = randn([c.n, c.cin, c.h, c.w], rng);
        const w = randn([c.cout, c.cin, c.kh, c.kw], rng);
        const y = conv2dForward(x, w, null, options);
        const dy = randn(y.shape, rng);
        const dW0 = randn(w.shape, rng);
        const db0 = randn([c.cout], rng);
        const dx = conv2dBackwardData(dy, w, x.shape, options);
        const dW = conv2dBackwardWeight(dy, x, w.shape, { ...options, accumulateInto: dW0.clone(), biasGradInto: c.bias ? db0.clone() : undefined });
        const dWInto = dW0.clone();
        const dbInto = db0.clone();
        const both = conv2dBackward(dy, x, w, { ...options, weightGradInto: dWInto, biasGradInto: c.bias ? dbInto : undefined });
        expect(sameBits(both.dx, dx)).toBe(true);
        expect(both.dW).toBe(dWInto);
        expect(sameBits(both.dW, dW)).toBe(true);
        if (c.bias) expect(sameBits(dbInto, conv2dBackwardBias(dy, db0.clone()))).toBe(true);
        else expect(sameBits(dbInto, db0)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("returns a new dW without weightGradInto, and checks its arguments like the two functions", () => {
    const rng = new Rng(5);
    const x = randn([2, 3, 6, 6], rng);
    const w = randn([4, 3, 3, 3], rng);
    const dy = randn([2, 4, 6, 6], rng);
    const { dx, dW } = conv2dBackward(dy, x, w, { padding: 1 });
    expect(dx.shape).toEqual([2, 3, 6, 6]);
    expect(sameBits(dW, conv2dBackwardWeight(dy, x, w.shape, { padding: 1 }))).toBe(true);
    expect(() => conv2dBackward(dy, randn([2, 2, 6, 6], rng), w, { padding: 1 })).toThrow(ShapeError);
    expect(() => conv2dBackward(dy, "x" as unknown as Tensor, w)).toThrow(/Conv2D/);
    expect(() => conv2dBackward(dy, x, w, { padding: 1, weightGradInto: new Tensor("float32", [4, 3, 3, 2]) })).toThrow(/weightGradInto must have the weight shape/);
  });
});

describe("conv functions inside an arena", () => {
  it("give the same bits as outside, with the memory they take unzeroed poisoned (NaN): nothing reads before writing", () => {
    const arena = new Arena();
    Arena.poisonUninitialized = true;
    try {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 3, max: 9 }),
          fc.constantFrom(1, 2), fc.constantFrom(1, 3), fc.integer(), (n, cin, cout, size, stride, k, seed) => {
            const rng = new Rng(seed);
            const x = randn([n, cin, size, size], rng);
            const w = randn([cout, cin, k, k], rng);
            const b = randn([cout], rng);
            const opts = { stride, padding: k >> 1 };
            const run = () => {
              const y = conv2dForward(x, w, b, opts);
              const dx = conv2dBackwardData(y, w, x.shape, opts);
              const both = conv2dBackward(y, x, w, opts);
              return [y, dx, both.dx, both.dW].map((t) => Array.from(t.data));
            };
            const plain = run();
            arena.reset();
            expect(withArena(arena, run)).toEqual(plain);
          }),
        { numRuns: 40 },
      );
    } finally {
      Arena.poisonUninitialized = false;
    }
  });
});

describe("Conv2D errors", () => {
  it("names the layer and the shapes on a channel mismatch", () => {
    const conv = new Conv2D(4, 8, 3, { rng: new Rng(0) });
    expect(() => conv.forward(new Tensor("float32", [2, 3, 8, 8]))).toThrow(ShapeError);
    expect(() => conv.forward(new Tensor("float32", [2, 3, 8, 8]))).toThrow(
      "Conv2D: input has 3 channels, weight expects 4 (input [2,3,8,8], weight [8,4,3,3])",
    );
  });

  it("refuses a wrong rank, a kernel larger than the padded input, a wrong dtype", () => {
    const conv = new Conv2D(1, 2, [5, 3], { padding: 1, rng: new Rng(0) });
    expect(() => conv.forward(new Tensor("float32", [1, 8, 8]))).toThrow(/Conv2D: input must be 4-D NCHW \(got \[1,8,8\]\)/);
    expect(() => conv.forward(new Tensor("float32", [1, 1, 2, 8]))).toThrow(ShapeError);
    expect(() => conv.forward(new Tensor("float32", [1, 1, 2, 8]))).toThrow(/Conv2D: kernel larger than the padded input.*\[1,1,2,8\]/);
    expect(() => conv.forward(new Tensor("float64", [1, 1, 8, 8]))).toThrow(ArgumentError);
  });

  it("refuses non-integer or non-positive sizes", () => {
    expect(() => new Conv2D(0, 2, 3)).toThrow(/Conv2D: inChannels must be a positive integer \(got 0\)/);
    expect(() => new Conv2D(1, 2.5, 3)).toThrow(ArgumentError);
    expect(() => new Conv2D(1, 2, 0)).toThrow(/Conv2D: kernelSize/);
    expect(() => new Conv2D(1, 2, 3, { stride: 0 })).toThrow(/Conv2D: stride/);
    expect(() => new Conv2D(1, 2, 3, { padding: -1 })).toThrow(/Conv2D: padding/);
    expect(() => new Conv2D(1, 2, 3, { dilation: [1, 1.5] })).toThrow(/Conv2D: dilation/);
  });

  it("refuses backward without forward and a second backward", () => {
    const conv = new Conv2D(1, 1, 1, { rng: new Rng(0) });
    expect(() => conv.backward(new Tensor("float32", [1, 1, 2, 2]))).toThrow(/Conv2D: backward called without a matching forward/);
    conv.forward(new Tensor("float32", [1, 1, 2, 2]));
    conv.backward(new Tensor("float32", [1, 1, 2, 2]));
    expect(() => conv.backward(new Tensor("float32", [1, 1, 2, 2]))).toThrow(/backward called without a matching forward/);
  });

  it("refuses an output gradient of the wrong shape", () => {
    const conv = new Conv2D(1, 2, 3, { rng: new Rng(0) });
    conv.forward(new Tensor("float32", [1, 1, 5, 5]));
    expect(() => conv.backward(new Tensor("float32", [1, 2, 5, 5]))).toThrow(
      "Conv2D: output gradient has shape [1,2,5,5] but input [1,1,5,5] gives output [1,2,3,3]",
    );
  });
});

describe("pure conv functions: argument checks", () => {
  it("name the caller's op and show the shapes", () => {
    const w = new Tensor("float32", [4, 3, 3, 3]);
    const x = new Tensor("float32", [2, 3, 8, 8]);
    expect(() => conv2dForward(new Tensor("float32", [2, 2, 8, 8]), w, null, { op: "ConvTranspose2D" })).toThrow(
      "ConvTranspose2D: input has 2 channels, weight expects 3 (input [2,2,8,8], weight [4,3,3,3])",
    );
    expect(() => conv2dForward(x, w, new Tensor("float32", [3]))).toThrow("Conv2D: bias must have shape [4] (bias [3], weight [4,3,3,3])");
    expect(() => conv2dForward(x, new Tensor("float64", [4, 3, 3, 3]), null)).toThrow("Conv2D: weight is float64 but the input is float32");
    expect(() => conv2dForward(x, new Tensor("float32", [4, 3, 3]), null)).toThrow("Conv2D: weight must be 4-D NCHW (got [4,3,3])");
    expect(() => conv2dBackwardData(new Tensor("float32", [2, 4, 6, 6]), new Tensor("float64", [4, 3, 3, 3]), x.shape)).toThrow(
      "Conv2D: weight is float64 but the output gradient is float32",
    );
    expect(() => conv2dBackwardData(new Tensor("float32", [2, 4, 7, 6]), w, x.shape)).toThrow(
      "Conv2D: output gradient has shape [2,4,7,6] but input [2,3,8,8] gives output [2,4,6,6]",
    );
    expect(() => conv2dBackwardData(new Tensor("float32", [2, 4, 6, 6]), w, [2, 3, 8])).toThrow(/Conv2D: inputShape must be a 4-D shape/);
    expect(() => conv2dBackwardWeight(new Tensor("float32", [2, 4, 6, 6]), x, [4, 3, 3, 3], { accumulateInto: new Tensor("float32", [4, 3, 3, 2]) })).toThrow(
      "Conv2D: accumulateInto must have the weight shape [4,3,3,3]",
    );
    expect(() => conv2dBackwardWeight(new Tensor("float32", [2, 4, 6, 6]), x, [4, 3, 3, 3], { biasGradInto: new Tensor("float32", [3]) })).toThrow(
      "Conv2D: biasGradInto must have shape [4] (weight [4,3,3,3])",
    );
    expect(() => conv2dForward(x, w, null, { stride: 0 })).toThrow(ArgumentError);
  });

  it("handle an empty batch", () => {
    const w = randn([2, 1, 3, 3], new Rng(0));
    const y = conv2dForward(new Tensor("float32", [0, 1, 5, 5]), w, null);
    expect(y.shape).toEqual([0, 2, 3, 3]);
    expect(conv2dBackwardData(new Tensor("float32", [0, 2, 3, 3]), w, [0, 1, 5, 5]).shape).toEqual([0, 1, 5, 5]);
    expect(conv2dBackwardWeight(new Tensor("float32", [0, 2, 3, 3]), new Tensor("float32", [0, 1, 5, 5]), w.shape).toArray().every((v) => v === 0)).toBe(true);
  });
});

describe("Conv2D initialisation", () => {
  it("draws weight and bias from U(-1/sqrt(fanIn), 1/sqrt(fanIn)), reproducibly", () => {
    const a = new Conv2D(3, 8, [3, 2], { rng: new Rng(7) });
    const b = new Conv2D(3, 8, [3, 2], { rng: new Rng(7) });
    const bound = 1 / Math.sqrt(3 * 3 * 2);
    expect(a.weight.value.shape).toEqual([8, 3, 3, 2]);
    expect(a.bias!.value.shape).toEqual([8]);
    expect(Array.from(a.weight.value.data)).toEqual(Array.from(b.weight.value.data));
    for (const t of [a.weight.value, a.bias!.value]) {
      let max = 0;
      for (const v of t.data) max = Math.max(max, Math.abs(v));
      expect(max).toBeLessThanOrEqual(bound);
      expect(max).toBeGreaterThan(bound * 0.5);
    }
    expect(Object.keys(a.stateDict())).toEqual(["weight", "bias"]);
    expect(Object.keys(new Conv2D(3, 8, 3, { bias: false }).stateDict())).toEqual(["weight"]);
  });
});

describe("Conv2D gradients", () => {
  it("backward matches float64 central differences (input, weight, bias) over random geometries", () => {
    fc.assert(
      fc.property(geometryArb, (g) => {
        const rng = new Rng(g.seed);
        const conv = new Conv2D(g.cin, g.cout, [g.kh, g.kw], {
          stride: [g.sh, g.sw],
          padding: [g.ph, g.pw],
          dilation: [g.dh, g.dw],
          bias: g.bias,
          dtype: "float64",
          rng,
        });
        const x = randn([g.n, g.cin, g.h, g.w], rng, { dtype: "float64" });
        assertLayerGradcheck(conv, x, { seed: g.seed, maxChecksPerInput: 40 });
      }),
      { numRuns: 20 },
    );
  });

  it("accumulates parameter gradients across backward calls until zeroGrad", () => {
    const rng = new Rng(5);
    const conv = new Conv2D(2, 3, 3, { padding: 1, rng });
    const x = randn([2, 2, 4, 4], rng);
    const dy = randn([2, 3, 4, 4], rng);
    conv.forward(x);
    conv.backward(dy);
    const once = conv.weight.grad.clone();
    const bOnce = conv.bias!.grad.clone();
    conv.forward(x);
    conv.backward(dy);
    for (let i = 0; i < once.size; i++) expect(conv.weight.grad.data[i]).toBeCloseTo(2 * once.data[i], 4);
    for (let i = 0; i < bOnce.size; i++) expect(conv.bias!.grad.data[i]).toBeCloseTo(2 * bOnce.data[i], 4);
    conv.zeroGrad();
    expect(conv.weight.grad.data.every((v) => v === 0)).toBe(true);
  });

  it("with { inputGrad: false } returns null and gives the parameter gradients of the full backward, bit for bit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 3, max: 12 }), fc.constantFrom(1, 3), fc.constantFrom(1, 2), fc.boolean(),
        fc.constantFrom("float32", "float64"), fc.integer(),
        (n, cin, cout, size, k, stride, bias, dtype, seed) => {
          const make = () => new Conv2D(cin, cout, k, { padding: k >> 1, stride, bias, dtype, rng: new Rng(seed) });
          const rng = new Rng(seed + 1);
          const x = randn([n, cin, size, size], rng, { dtype });
          const full = make();
          const y = full.forward(x);
          const dy = randn(y.shape, rng, { dtype });
          expect(full.backward(dy)).not.toBe(null);
          const only = make();
          only.forward(x);
          expect(only.backward(dy, { inputGrad: false })).toBe(null);
          expect(only.weight.grad.data).toEqual(full.weight.grad.data);
          if (bias) expect(only.bias!.grad.data).toEqual(full.bias!.grad.data);
          // the saved input is used up either way
          expect(() => only.backward(dy, { inputGrad: false })).toThrow(/backward called without a matching forward/);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("refuses an inputGrad option that is not a boolean", () => {
    const conv = new Conv2D(1, 2, 3, { padding: 1, rng: new Rng(1) });
    const y = conv.forward(randn([1, 1, 4, 4], new Rng(2)));
    expect(() => conv.backward(y, { inputGrad: "no" as unknown as boolean })).toThrow(ArgumentError);
    expect(() => conv.backward(y, { inputGrad: 0 as unknown as boolean })).toThrow(/Conv2D: inputGrad must be a boolean \(got 0\)/);
    expect(conv.backward(y, { inputGrad: true })!.shape).toEqual([1, 1, 4, 4]);
  });
});

describe("Conv2D against PyTorch", () => {
  for (const name of ["basic", "stride2", "rect", "dilation", "pointwise"]) {
    it(`matches torch.nn.Conv2d forward and backward (${name})`, () => {
      const fx = layerFixture(`layer-conv2d-${name}`);
      const m = fx.meta as { cin: number; cout: number; k: number | [number, number]; stride: number | [number, number]; padding: number | [number, number]; dilation: number; bias: boolean };
      const conv = new Conv2D(m.cin, m.cout, m.k, { stride: m.stride, padding: m.padding, dilation: m.dilation, bias: m.bias, rng: new Rng(0) });
      const state: Record<string, Tensor> = { weight: tensorOf(fx, "weight") };
      if (m.bias) state.bias = tensorOf(fx, "bias");
      conv.loadStateDict(state);
      const y = conv.forward(tensorOf(fx, "x"));
      expectMatches(y, tensorOf(fx, "y"), `${name} y`);
      const dx = conv.backward(tensorOf(fx, "dy"));
      expectMatches(dx, tensorOf(fx, "dx"), `${name} dx`);
      expectMatches(conv.weight.grad, tensorOf(fx, "dweight"), `${name} dweight`);
      if (m.bias) expectMatches(conv.bias!.grad, tensorOf(fx, "dbias"), `${name} dbias`);
    });
  }
});

describe("conv2dBackwardData as a transposed convolution", () => {
  for (const name of ["s2p1op1", "rect"]) {
    it(`equals torch.nn.functional.conv_transpose2d (${name})`, () => {
      const fx = layerFixture(`layer-conv-transpose-${name}`);
      const m = fx.meta as { stride: number | [number, number]; padding: number | [number, number] };
      const x = tensorOf(fx, "x");
      const weight = tensorOf(fx, "weight");
      const expected = tensorOf(fx, "y");
      // ConvTranspose2d(x; weight [Cin_t, Cout_t, kh, kw]) = conv2dBackwardData(x, weight, outputShape).
      const y = conv2dBackwardData(x, weight, expected.shape, { stride: m.stride, padding: m.padding, op: "ConvTranspose2D" });
      expectMatches(y, expected, `${name} y`);
    });
  }
});
