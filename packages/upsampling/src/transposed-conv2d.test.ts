import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readdirSync } from "node:fs";
import { ArgumentError, Rng, ShapeError, Tensor } from "@unetkit/tensor";
import { conv2dBackwardData, conv2dForward } from "@unetkit/layers";
import { convOutputSize } from "@unetkit/im2col";
import { layerGradcheck, loadFixture, relativeError } from "@unetkit/testing";
import {
  TransposedConv2D,
  transposedConv2dBackwardData,
  transposedConv2dBackwardWeight,
  transposedConv2dForward,
  transposedConv2dOutputSize,
} from "./index.js";
import { dot, randomTensor, scalarRelDiff } from "../test/helpers.js";

interface Config {
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  k: [number, number];
  stride: [number, number];
  padding: [number, number];
  outputPadding: [number, number];
  dilation: [number, number];
}

/**
 * Random valid configurations. `anyOutputPadding` also allows outputPadding >= stride when it is
 * below the dilation (PyTorch accepts that; the convolution identity does not hold there).
 */
function configs(anyOutputPadding: boolean): fc.Arbitrary<Config> {
  const axis = fc
    .record({
      k: fc.integer({ min: 1, max: 4 }),
      s: fc.integer({ min: 1, max: 3 }),
      d: fc.integer({ min: 1, max: 3 }),
      p: fc.integer({ min: 0, max: 2 }),
      op: fc.integer({ min: 0, max: 2 }),
      size: fc.integer({ min: 1, max: 5 }),
    })
    .map((a) => {
      const limit = anyOutputPadding ? Math.max(a.s, a.d) : a.s;
      return { ...a, op: a.op % limit };
    })
    .filter((a) => (a.size - 1) * a.s - 2 * a.p + a.d * (a.k - 1) + a.op + 1 >= 1);
  return fc
    .record({
      n: fc.integer({ min: 1, max: 2 }),
      cin: fc.integer({ min: 1, max: 3 }),
      cout: fc.integer({ min: 1, max: 3 }),
      ah: axis,
      aw: axis,
    })
    .map(({ n, cin, cout, ah, aw }) => ({
      n,
      cin,
      cout,
      h: ah.size,
      w: aw.size,
      k: [ah.k, aw.k] as [number, number],
      stride: [ah.s, aw.s] as [number, number],
      padding: [ah.p, aw.p] as [number, number],
      outputPadding: [ah.op, aw.op] as [number, number],
      dilation: [ah.d, aw.d] as [number, number],
    }));
}

function windowOf(c: Config) {
  return { stride: c.stride, padding: c.padding, outputPadding: c.outputPadding, dilation: c.dilation };
}

/** Direct scatter definition: y[n, co, iy*s - p + ky*d, ...] += x[n, ci, iy, ix] * W[ci, co, ky, kx]. */
function reference(x: Tensor, wt: Tensor, bias: Tensor | null, c: Config): Tensor {
  const oh = (c.h - 1) * c.stride[0] - 2 * c.padding[0] + c.dilation[0] * (c.k[0] - 1) + c.outputPadding[0] + 1;
  const ow = (c.w - 1) * c.stride[1] - 2 * c.padding[1] + c.dilation[1] * (c.k[1] - 1) + c.outputPadding[1] + 1;
  const y = new Tensor("float64", [c.n, c.cout, oh, ow]);
  for (let n = 0; n < c.n; n++)
    for (let co = 0; co < c.cout; co++)
      for (let i = 0; i < oh * ow; i++) y.data[(n * c.cout + co) * oh * ow + i] = bias ? bias.data[co] : 0;
  for (let n = 0; n < c.n; n++)
    for (let ci = 0; ci < c.cin; ci++)
      for (let iy = 0; iy < c.h; iy++)
        for (let ix = 0; ix < c.w; ix++)
          for (let co = 0; co < c.cout; co++)
            for (let ky = 0; ky < c.k[0]; ky++)
              for (let kx = 0; kx < c.k[1]; kx++) {
                const oy = iy * c.stride[0] - c.padding[0] + ky * c.dilation[0];
                const ox = ix * c.stride[1] - c.padding[1] + kx * c.dilation[1];
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                const xv = x.data[((n * c.cin + ci) * c.h + iy) * c.w + ix];
                const wv = wt.data[((ci * c.cout + co) * c.k[0] + ky) * c.k[1] + kx];
                y.data[((n * c.cout + co) * oh + oy) * ow + ox] += xv * wv;
              }
  return y;
}

/**
 * The gradients of the scatter definition, in float64: with `oy = iy*s - p + ky*d` (likewise `ox`)
 * inside the output, `dx[n,ci,iy,ix] += dy[n,co,oy,ox] * W[ci,co,ky,kx]`,
 * `dW[ci,co,ky,kx] += x[n,ci,iy,ix] * dy[n,co,oy,ox]`, and `db[co] = sum of dy[n,co]`.
 */
function referenceGrads(x: Tensor, wt: Tensor, dy: Tensor, c: Config): { dx: Tensor; dW: Tensor; db: Tensor } {
  const [, , oh, ow] = dy.shape;
  const dx = new Tensor("float64", [c.n, c.cin, c.h, c.w]);
  const dW = new Tensor("float64", [c.cin, c.cout, ...c.k]);
  const db = new Tensor("float64", [c.cout]);
  for (let i = 0; i < dy.size; i++) db.data[Math.floor(i / (oh * ow)) % c.cout] += dy.data[i];
  for (let n = 0; n < c.n; n++)
    for (let ci = 0; ci < c.cin; ci++)
      for (let iy = 0; iy < c.h; iy++)
        for (let ix = 0; ix < c.w; ix++)
          for (let co = 0; co < c.cout; co++)
            for (let ky = 0; ky < c.k[0]; ky++)
              for (let kx = 0; kx < c.k[1]; kx++) {
                const oy = iy * c.stride[0] - c.padding[0] + ky * c.dilation[0];
                const ox = ix * c.stride[1] - c.padding[1] + kx * c.dilation[1];
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                const xi = ((n * c.cin + ci) * c.h + iy) * c.w + ix;
                const wi = ((ci * c.cout + co) * c.k[0] + ky) * c.k[1] + kx;
                const g = dy.data[((n * c.cout + co) * oh + oy) * ow + ox];
                dx.data[xi] += g * wt.data[wi];
                dW.data[wi] += x.data[xi] * g;
              }
  return { dx, dW, db };
}

/** A float64 copy of a tensor (exact for float32 values). */
function toFloat64(t: Tensor): Tensor {
  const r = new Tensor("float64", t.shape);
  r.data.set(t.data);
  return r;
}

function maxAbs(t: Tensor): number {
  let m = 0;
  for (let i = 0; i < t.size; i++) m = Math.max(m, Math.abs(t.data[i]));
  return m;
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

describe("transposedConv2dForward", () => {
  it("matches the direct scatter definition (float64), including outputPadding >= stride < dilation", () => {
    fc.assert(
      fc.property(configs(true), fc.boolean(), fc.integer(), (c, withBias, seed) => {
        const x = randomTensor([c.n, c.cin, c.h, c.w], seed);
        const wt = randomTensor([c.cin, c.cout, ...c.k], seed + 1);
        const b = withBias ? randomTensor([c.cout], seed + 2) : null;
        const y = transposedConv2dForward(x, wt, b, windowOf(c));
        const ref = reference(x, wt, b, c);
        expect(y.shape).toEqual(ref.shape);
        expect(maxAbsDiff(y, ref)).toBeLessThan(1e-12);
      }),
      { numRuns: 150 },
    );
  });

  it("equals Conv2D's backward-data with the same weights (conv2dBackwardData from @unetkit/layers)", () => {
    fc.assert(
      fc.property(configs(false), fc.integer(), (c, seed) => {
        const x = randomTensor([c.n, c.cin, c.h, c.w], seed);
        const wt = randomTensor([c.cin, c.cout, ...c.k], seed + 1);
        const y = transposedConv2dForward(x, wt, null, windowOf(c));
        const viaConv = conv2dBackwardData(x, wt, y.shape, { stride: c.stride, padding: c.padding, dilation: c.dilation });
        expect(maxAbsDiff(y, viaConv)).toBeLessThan(1e-12);
        // And its backward-data is the convolution itself.
        const dy = randomTensor(y.shape as number[], seed + 3);
        const dx = transposedConv2dBackwardData(dy, wt, x.shape, windowOf(c));
        const conv = conv2dForward(dy, wt, null, { stride: c.stride, padding: c.padding, dilation: c.dilation });
        expect(maxAbsDiff(dx, conv)).toBeLessThan(1e-12);
      }),
      { numRuns: 120 },
    );
  });

  it("output size: (H-1)*stride - 2*padding + dilation*(k-1) + outputPadding + 1, and a convolution maps it back to H", () => {
    fc.assert(
      fc.property(configs(false), (c) => {
        const layer = new TransposedConv2D(c.cin, c.cout, c.k, { ...windowOf(c), dtype: "float64", rng: new Rng(0) });
        const y = layer.forward(new Tensor("float64", [c.n, c.cin, c.h, c.w]));
        const oh = (c.h - 1) * c.stride[0] - 2 * c.padding[0] + c.dilation[0] * (c.k[0] - 1) + c.outputPadding[0] + 1;
        const ow = (c.w - 1) * c.stride[1] - 2 * c.padding[1] + c.dilation[1] * (c.k[1] - 1) + c.outputPadding[1] + 1;
        expect(y.shape).toEqual([c.n, c.cout, oh, ow]);
        expect(layer.outputSize(c.h, c.w)).toEqual([oh, ow]);
        expect(transposedConv2dOutputSize(c.h, c.k[0], c.stride[0], c.padding[0], c.outputPadding[0], c.dilation[0])).toBe(oh);
        expect(convOutputSize(oh, c.k[0], c.stride[0], c.padding[0], c.dilation[0])).toBe(c.h);
        expect(convOutputSize(ow, c.k[1], c.stride[1], c.padding[1], c.dilation[1])).toBe(c.w);
      }),
      { numRuns: 100 },
    );
    expect(transposedConv2dOutputSize(16, 2, 2)).toBe(32);
    expect(transposedConv2dOutputSize(16, 4, 2, 1)).toBe(32);
    expect(transposedConv2dOutputSize(4, 3, 2, 1, 1)).toBe(8);
    expect(transposedConv2dOutputSize(4, 3, 1, 1, 0, 2)).toBe(6);
  });

  it("backward-data and backward-weight are the adjoints of forward in x and in W (float64)", () => {
    fc.assert(
      fc.property(configs(true), fc.integer(), (c, seed) => {
        const x = randomTensor([c.n, c.cin, c.h, c.w], seed);
        const wt = randomTensor([c.cin, c.cout, ...c.k], seed + 1);
        const y = transposedConv2dForward(x, wt, null, windowOf(c));
        const r = randomTensor(y.shape as number[], seed + 2);
        const lhs = dot(y, r);
        const dx = transposedConv2dBackwardData(r, wt, x.shape, windowOf(c));
        const dW = transposedConv2dBackwardWeight(r, x, wt.shape, windowOf(c));
        expect(scalarRelDiff(lhs, dot(x, dx))).toBeLessThan(1e-12);
        expect(scalarRelDiff(lhs, dot(wt, dW))).toBeLessThan(1e-12);
      }),
      { numRuns: 120 },
    );
  });
});

describe("transposed convolution in float32 (the dtype kernel backends compute)", () => {
  it("forward and all gradients match the float64 definition, including outputPadding >= stride < dilation", () => {
    const extended = (c: Config) => c.outputPadding.some((op, a) => op >= c.stride[a]);
    fc.assert(
      fc.property(fc.oneof(configs(true), configs(true).filter(extended)), fc.boolean(), fc.integer(), (c, withBias, seed) => {
        const x = randomTensor([c.n, c.cin, c.h, c.w], seed, "float32");
        const wt = randomTensor([c.cin, c.cout, ...c.k], seed + 1, "float32");
        const b = withBias ? randomTensor([c.cout], seed + 2, "float32") : null;
        const layer = new TransposedConv2D(c.cin, c.cout, c.k, { ...windowOf(c), bias: withBias, rng: new Rng(0) });
        layer.loadStateDict(b ? { weight: wt, bias: b } : { weight: wt });
        const y = layer.forward(x);
        const ref = reference(toFloat64(x), toFloat64(wt), b && toFloat64(b), c);
        expect(y.dtype).toBe("float32");
        expect(y.shape).toEqual(ref.shape);
        expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5 * (1 + maxAbs(ref)));
        const dy = randomTensor(y.shape as number[], seed + 3, "float32");
        const dx = layer.backward(dy);
        const g = referenceGrads(toFloat64(x), toFloat64(wt), toFloat64(dy), c);
        expect(dx.shape).toEqual(x.shape);
        expect(maxAbsDiff(dx, g.dx)).toBeLessThan(1e-5 * (1 + maxAbs(g.dx)));
        expect(maxAbsDiff(layer.weight.grad, g.dW)).toBeLessThan(1e-5 * (1 + maxAbs(g.dW)));
        if (layer.bias) expect(maxAbsDiff(layer.bias.grad, g.db)).toBeLessThan(1e-5 * (1 + maxAbs(g.db)));
      }),
      { numRuns: 150 },
    );
  });
});

describe("TransposedConv2D", () => {
  it("passes gradient checks for input, weight and bias over random configurations (float64)", () => {
    fc.assert(
      fc.property(configs(true), fc.boolean(), fc.integer(), (c, bias, seed) => {
        const layer = new TransposedConv2D(c.cin, c.cout, c.k, { ...windowOf(c), bias, dtype: "float64", rng: new Rng(seed) });
        const report = layerGradcheck(layer, randomTensor([c.n, c.cin, c.h, c.w], seed + 7), { seed: seed & 0xffff });
        expect(report.perInput.map((p) => p.name)).toEqual(bias ? ["input", "weight", "bias"] : ["input", "weight"]);
        expect(report.ok).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it("accumulates parameter gradients across backward calls until zeroGrad", () => {
    const layer = new TransposedConv2D(2, 3, 2, { stride: 2, dtype: "float64", rng: new Rng(1) });
    const x = randomTensor([1, 2, 3, 3], 2);
    const dy = randomTensor([1, 3, 6, 6], 3);
    layer.forward(x);
    layer.backward(dy);
    const once = layer.weight.grad.clone();
    const onceB = (layer.bias as { grad: Tensor }).grad.clone();
    layer.forward(x);
    layer.backward(dy);
    for (let i = 0; i < once.size; i++) expect(layer.weight.grad.data[i]).toBeCloseTo(2 * once.data[i], 12);
    for (let i = 0; i < onceB.size; i++) expect(layer.bias?.grad.data[i]).toBeCloseTo(2 * onceB.data[i], 12);
    layer.zeroGrad();
    expect(layer.weight.grad.data.every((v) => v === 0)).toBe(true);
  });

  it("initialises as PyTorch: weight [in, out, kh, kw], U(-b, b) with b = 1/sqrt(out*kh*kw), reproducibly", () => {
    const a = new TransposedConv2D(16, 8, [4, 3], { rng: new Rng(42) });
    const b = new TransposedConv2D(16, 8, [4, 3], { rng: new Rng(42) });
    expect(Object.keys(a.stateDict())).toEqual(["weight", "bias"]);
    expect(a.weight.value.shape).toEqual([16, 8, 4, 3]);
    expect(a.bias?.value.shape).toEqual([8]);
    expect(Array.from(a.weight.value.data)).toEqual(Array.from(b.weight.value.data));
    expect(Array.from(a.bias!.value.data)).toEqual(Array.from(b.bias!.value.data));
    const bound = 1 / Math.sqrt(8 * 4 * 3);
    let max = 0;
    for (const v of a.weight.value.data) max = Math.max(max, Math.abs(v));
    expect(max).toBeLessThanOrEqual(bound);
    expect(max).toBeGreaterThan(0.95 * bound); // 1536 uniform draws reach the bound's neighbourhood
    for (const v of a.bias!.value.data) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    expect(new TransposedConv2D(2, 2, 2, { bias: false }).bias).toBeNull();
    expect(Object.keys(new TransposedConv2D(2, 2, 2, { bias: false }).stateDict())).toEqual(["weight"]);
  });

  it("refuses bad arguments with typed errors naming the op and shapes", () => {
    expect(() => new TransposedConv2D(2, 2, 3, { stride: 1, outputPadding: 1 })).toThrow(
      /TransposedConv2D: output padding must be smaller than either stride or dilation/,
    );
    expect(() => new TransposedConv2D(2, 2, 3, { stride: 2, outputPadding: 2 })).toThrow(ArgumentError);
    // allowed: smaller than the dilation
    expect(new TransposedConv2D(2, 2, 3, { stride: 1, dilation: 2, outputPadding: 1 }).outputPadding).toEqual([1, 1]);
    expect(() => new TransposedConv2D(0, 2, 3)).toThrow(/inChannels must be a positive integer/);
    expect(() => new TransposedConv2D(2, 2, [3, 0])).toThrow(/kernelSize/);
    expect(() => new TransposedConv2D(2, 2, 3, { groups: 2 } as never)).toThrow(/unknown option "groups"/);
    const layer = new TransposedConv2D(3, 2, 2, { stride: 2 });
    expect(() => layer.forward(new Tensor("float32", [1, 4, 5, 5]))).toThrow(
      /TransposedConv2D: input has 4 channels, weight expects 3 \(input \[1,4,5,5\], weight \[3,2,2,2\]\)/,
    );
    expect(() => layer.forward(new Tensor("float64", [1, 3, 5, 5]))).toThrow(ArgumentError);
    expect(() => layer.forward(new Tensor("float32", [3, 5, 5]))).toThrow(ShapeError);
    layer.forward(new Tensor("float32", [1, 3, 5, 5]));
    expect(() => layer.backward(new Tensor("float32", [1, 2, 10, 11]))).toThrow(
      /gradient has shape \[1,2,10,11\] but the output has shape \[1,2,10,10\]/,
    );
    expect(() => transposedConv2dForward(new Tensor("float32", [1, 1, 1, 1]), new Tensor("float32", [1, 1, 3, 3]), null, { padding: 2 })).toThrow(
      /output size \[-1,-1\] is below 1/,
    );
    expect(() =>
      transposedConv2dForward(new Tensor("float32", [1, 2, 2, 2]), new Tensor("float32", [2, 3, 2, 2]), new Tensor("float32", [2])),
    ).toThrow(/bias must have shape \[3\]/);
  });
});

describe("PyTorch golden fixtures (nn.ConvTranspose2d, float32)", () => {
  const dir = new URL("../test/fixtures/", import.meta.url);
  const names = readdirSync(dir)
    .filter((f) => f.startsWith("tconv-"))
    .map((f) => f.replace(/\.json$/, ""));

  it("has the expected fixture set", () => {
    expect(names).toEqual(
      expect.arrayContaining(["tconv-k4-s2-p1", "tconv-k2-s2", "tconv-k3-s2-p1-op1", "tconv-k3-d2-p1", "tconv-k3-s2-d2-op1", "tconv-rect-nobias"]),
    );
  });

  for (const name of names) {
    it(`${name}: forward, input, weight and bias gradients`, () => {
      const fx = loadFixture(new URL(`${name}.json`, dir));
      const m = fx.meta as Record<string, number | [number, number] | boolean>;
      const t = fx.tensors;
      const layer = new TransposedConv2D(m.inChannels as number, m.outChannels as number, m.kernelSize as number, {
        stride: m.stride as number,
        padding: m.padding as number,
        outputPadding: m.outputPadding as number,
        dilation: m.dilation as number,
        bias: m.bias as boolean,
      });
      layer.loadStateDict(m.bias ? { weight: t.weight, bias: t.bias } : { weight: t.weight });
      const y = layer.forward(t.x);
      expect(y.shape).toEqual(t.y.shape);
      expect(relativeError(y, t.y)).toBeLessThan(1e-4);
      const dx = layer.backward(t.dy);
      expect(relativeError(dx, t.dx)).toBeLessThan(1e-4);
      expect(relativeError(layer.weight.grad, t.dweight)).toBeLessThan(1e-4);
      if (m.bias) expect(relativeError(layer.bias!.grad, t.dbias)).toBeLessThan(1e-4);
    });
  }
});

describe("transposed convolution errors from the layer", () => {
  it("name the layer, not the pure function", () => {
    const layer = new TransposedConv2D(1, 1, 3, { padding: 2 });
    expect(() => layer.forward(new Tensor("float32", [1, 1, 1, 1]))).toThrow(/^TransposedConv2D: output size \[-1,-1\] is below 1/);
    expect(() => transposedConv2dForward(new Tensor("float32", [1, 1, 2, 2]), new Tensor("float32", [1, 1, 2, 2]), null, { strides: 2 } as never)).toThrow(
      /transposedConv2dForward: unknown option "strides"/,
    );
  });
});
