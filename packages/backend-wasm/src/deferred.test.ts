import type { ConvGeometry } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";
import { useBothBuilds } from "../test/both-builds.js";
import type { WasmBackend } from "./wasm-backend.js";

const builds = useBothBuilds();

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 12.9898) * 2);
const sameBits = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));

const geometry = (channels: number, h: number, w: number, pad: number, k = 3, dilation = 1): ConvGeometry => ({
  channels, height: h, width: w, kernelH: k, kernelW: k, strideH: 1, strideW: 1, padH: pad, padW: pad,
  dilationH: dilation, dilationW: dilation, outH: h + 2 * pad - dilation * (k - 1), outW: w + 2 * pad - dilation * (k - 1),
});

/** One convolution's backward in a "pass": its shape, and whether its input lies in a block. */
interface Layer {
  g: ConvGeometry;
  batch: number;
  cout: number;
  xInBlock: boolean;
  /** Index of an earlier layer whose dW this one accumulates into too (a shared weight), or -1. */
  sharesWeightOf: number;
  /** Only the weight gradient (conv2dBackwardWeight), not both. */
  weightOnly: boolean;
}

const LAYERS: Layer[] = [
  // big enough to share its input gradient's work items with the idle worker (through the queue)
  { g: geometry(16, 32, 32, 1), batch: 2, cout: 16, xInBlock: false, sharesWeightOf: -1, weightOnly: false },
  { g: geometry(16, 16, 16, 1), batch: 3, cout: 8, xInBlock: true, sharesWeightOf: -1, weightOnly: false },
  { g: geometry(8, 9, 13, 1), batch: 2, cout: 5, xInBlock: true, sharesWeightOf: -1, weightOnly: false }, // odd, unaligned output
  { g: geometry(4, 12, 12, 0), batch: 1, cout: 4, xInBlock: true, sharesWeightOf: -1, weightOnly: true },
  { g: geometry(16, 16, 16, 1), batch: 3, cout: 8, xInBlock: true, sharesWeightOf: 1, weightOnly: false }, // same dW as layer 1
  { g: geometry(6, 10, 10, 1), batch: 2, cout: 7, xInBlock: false, sharesWeightOf: -1, weightOnly: false }, // x not in a block: copied
  // the direct kernel's weight gradients: 1x1, one input channel, dilation 2
  { g: geometry(16, 12, 12, 0, 1), batch: 2, cout: 3, xInBlock: true, sharesWeightOf: -1, weightOnly: false },
  { g: geometry(8, 10, 10, 0, 1), batch: 2, cout: 5, xInBlock: false, sharesWeightOf: -1, weightOnly: true }, // unpadded, x copied
  { g: geometry(1, 14, 14, 1), batch: 2, cout: 8, xInBlock: false, sharesWeightOf: -1, weightOnly: false },
  { g: geometry(5, 13, 11, 2, 3, 2), batch: 2, cout: 6, xInBlock: true, sharesWeightOf: -1, weightOnly: true },
];

/**
 * Runs the layers' backward calls one after the other (dy in blocks; x per layer) on `backend`,
 * inside a deferred scope when `deferred` (nested twice when "nested"), and returns every dx and dW.
 */
function pass(backend: WasmBackend, deferred: false | "scope" | "nested"): Float32Array[] {
  const blocks: Float32Array[] = [];
  const inBlock = (v: Float32Array) => {
    const b = backend.allocateBlock(v.length)!;
    expect(b).not.toBe(null);
    b.set(v);
    blocks.push(b);
    return b;
  };
  const dWs: Float32Array[] = [];
  const dxs: Float32Array[] = [];
  if (deferred) backend.beginDeferred();
  if (deferred === "nested") backend.beginDeferred();
  LAYERS.forEach((l, i) => {
    const { g, batch, cout } = l;
    const xLen = batch * g.channels * g.height * g.width;
    const x = l.xInBlock ? inBlock(values(xLen, i)) : values(xLen, i);
    const dy = inBlock(values(batch * cout * g.outH * g.outW, 100 + i));
    const weight = values(cout * g.channels * 9, 200 + i);
    const dW = l.sharesWeightOf >= 0 ? dWs[l.sharesWeightOf] : values(cout * g.channels * 9, 300 + i); // accumulates onto what it holds
    dWs.push(dW);
    const dx = inBlock(new Float32Array(xLen));
    if (l.weightOnly) backend.conv2dBackwardWeight({ geometry: g, batch, cout, dy, x, dW });
    else backend.conv2dBackward({ geometry: g, batch, cout, dy, x, weight, dx, dW, dxZero: true });
    dxs.push(dx);
  });
  if (deferred === "nested") backend.endDeferred();
  if (deferred) backend.endDeferred();
  const out = [...dxs.map((d) => d.slice()), ...dWs.map((d) => d.slice())];
  for (const b of blocks) backend.freeBlock(b);
  return out;
}

describe("deferred weight gradients (beginDeferred / endDeferred)", () => {
  it("give the bits of immediate ones on 2 threads and on 1, whatever is queued: shared dW, odd shapes, operands outside blocks, nested scopes", () => {
    for (const build of ["plain", "fma"] as const) {
      const { one, two } = builds[build];
      const reference = pass(one, false);
      for (const [backend, mode] of [[two, "scope"], [two, "nested"], [two, false], [one, "scope"]] as const) {
        const before = backend.stats().parallelGemms;
        const got = pass(backend, mode);
        // in a scope on 2 threads, every weight gradient was queued (the one into layer 1's dW after
        // that one's result, which it adds onto), and the first layer's input gradient; nothing
        // else was split
        if (backend === two && mode !== false) expect(backend.stats().parallelGemms - before).toBe(LAYERS.length + 1);
        got.forEach((v, i) => expect({ build, backend: backend.name, mode, i, same: sameBits(v, reference[i]) }).toEqual({ build, backend: backend.name, mode, i, same: true }));
      }
    }
  });

  it("share the elementwise kernels' items with the queue's worker: the bits of immediate calls, whatever the worker is doing", () => {
    // in a scope on 2 threads these go to the queue as jobs of items (kind 2): the worker joins a job
    // when it reaches it, between weight gradients, and the calling thread waits for its items
    const [batch, channels, h, w] = [8, 16, 32, 32];
    const n = batch * channels * h * w; // past the 64 Ki elements from which items are shared
    const layout = { batch, channels, plane: h * w };
    const mean = Float64Array.from(values(channels, 7));
    const invstd = Float64Array.from(values(channels, 8), (v) => 1 + Math.abs(v));
    const weight = values(channels, 9);
    const run = (backend: WasmBackend, deferred: boolean): Float32Array[] => {
      const blocks: Float32Array[] = [];
      const inBlock = (v: Float32Array) => {
        const b = backend.allocateBlock(v.length)!;
        b.set(v);
        blocks.push(b);
        return b;
      };
      const [dy, x, gate] = [inBlock(values(n, 1)), inBlock(values(n, 2)), inBlock(values(n, 3))];
      // each output's arg-max: one of the four positions of its window, inside its plane
      const idx = Int32Array.from({ length: n / 4 }, (_, i) => {
        const j = i % ((h * w) / 4);
        return (2 * Math.floor(j / (w / 2)) + ((i * 5) % 2)) * w + 2 * (j % (w / 2)) + ((i * 7) % 2);
      });
      const out: Float32Array[] = [];
      if (deferred) backend.beginDeferred();
      for (let round = 0; round < 4; round++) {
        // a weight gradient first, which keeps the worker busy for a while (or not, by the round)
        if (round % 2 === 0) {
          const g = geometry(16, 32, 32, 1);
          const dW = values(16 * 16 * 9, 300 + round);
          backend.conv2dBackwardWeight({ geometry: g, batch: 2, cout: 16, dy: inBlock(values(2 * 16 * 32 * 32, 400 + round)), x: inBlock(values(2 * 16 * 32 * 32, 500 + round)), dW });
          out.push(dW);
        }
        for (const g of [gate, null]) {
          const dx = inBlock(new Float32Array(n));
          const sumDy = new Float64Array(channels);
          const sumDyXhat = new Float64Array(channels);
          backend.batchNormBackward({ dy, x, dx, ...layout, mean, invstd, weight, batchStats: round % 2 === 0, sumDy, sumDyXhat, gate: g });
          out.push(dx, new Float32Array(sumDy.buffer), new Float32Array(sumDyXhat.buffer));
        }
        const dxPool = inBlock(new Float32Array(n));
        backend.maxPoolBackward({ dy: inBlock(values(n / 4, 10 + round)), indices: idx, dx: dxPool, planes: batch * channels, inPlane: h * w, outPlane: (h * w) / 4 });
        const dxUp = inBlock(new Float32Array(n));
        backend.upsampleNearest2xBackward({ dy: inBlock(values(4 * n, 20 + round)), dx: dxUp, planes: batch * channels, height: h, width: w });
        const dxRelu = inBlock(new Float32Array(n));
        backend.reluBackward({ dy, y: gate, dx: dxRelu });
        const sum = inBlock(new Float32Array(n));
        backend.add({ a: dxPool, b: dxUp, out: sum });
        out.push(dxPool, dxUp, dxRelu, sum);
      }
      if (deferred) backend.endDeferred();
      const copies = out.map((o) => o.slice());
      for (const b of blocks) backend.freeBlock(b);
      return copies;
    };
    for (const build of ["plain", "fma"] as const) {
      const { one, two } = builds[build];
      const reference = run(one, false);
      const got = run(two, true);
      expect(got.length).toBe(reference.length);
      got.forEach((v, i) => expect({ build, i, same: sameBits(v, reference[i]) }).toEqual({ build, i, same: true }));
    }
  });

  it("hand the workers back afterwards: a split GEMM after a scope still equals one thread's", () => {
    const { one, two } = builds.fma;
    pass(two, "scope");
    const m = 128, n = 128, k = 128;
    const a = values(m * k, 1), b = values(k * n, 2);
    const gemm = (backend: WasmBackend) => {
      const c = new Float32Array(m * n);
      backend.gemm({ transA: false, transB: false, m, n, k, alpha: 1, a, aOffset: 0, lda: k, b, bOffset: 0, ldb: n, beta: 0, c, cOffset: 0, ldc: n });
      return c;
    };
    const before = two.stats().parallelGemms;
    expect(sameBits(gemm(two), gemm(one))).toBe(true);
    expect(two.stats().parallelGemms).toBeGreaterThan(before);
  });

  it("refuses an end without a beginning, naming the call", () => {
    expect(() => builds.fma.two.endDeferred()).toThrow(/endDeferred: no deferred scope is open/);
    expect(() => builds.fma.one.endDeferred()).toThrow(/endDeferred: no deferred scope is open/);
  });
});

describe("the kernels' static memory", () => {
  it("holds no scratch or state: every thread's instance shares the one memory, so two threads would share it", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const dir = new URL("../assembly/", import.meta.url);
    const sources = readdirSync(dir).filter((f) => f.endsWith(".ts"));
    expect(sources.length).toBeGreaterThan(3);
    for (const f of sources) {
      const text = readFileSync(new URL(f, dir), "utf8").replace(/\/\/.*$/gm, "");
      expect({ f, staticData: /memory\.data\s*[(<]/.test(text), globals: /^(let|var)\s/m.test(text) }).toEqual({ f, staticData: false, globals: false });
    }
  });
});
