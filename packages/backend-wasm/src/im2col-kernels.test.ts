import { col2imAccumulateTs, im2colTs } from "@unetkit/im2col";
import type { ConvGeometry } from "@unetkit/tensor";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWasmBackend, type WasmBackend } from "./wasm-backend.js";

let backend: WasmBackend;
beforeAll(async () => {
  backend = await createWasmBackend({ threads: 1 });
});
afterAll(() => backend.dispose());

const geometryArb = fc
  .record({
    channels: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 1, max: 9 }),
    width: fc.integer({ min: 1, max: 9 }),
    kernelH: fc.integer({ min: 1, max: 4 }),
    kernelW: fc.integer({ min: 1, max: 4 }),
    strideH: fc.integer({ min: 1, max: 3 }),
    strideW: fc.integer({ min: 1, max: 3 }),
    padH: fc.integer({ min: 0, max: 3 }),
    padW: fc.integer({ min: 0, max: 3 }),
    dilationH: fc.integer({ min: 1, max: 2 }),
    dilationW: fc.integer({ min: 1, max: 2 }),
  })
  .map((g) => ({
    ...g,
    outH: Math.floor((g.height + 2 * g.padH - g.dilationH * (g.kernelH - 1) - 1) / g.strideH) + 1,
    outW: Math.floor((g.width + 2 * g.padW - g.dilationW * (g.kernelW - 1) - 1) / g.strideW) + 1,
  }))
  .filter((g): g is ConvGeometry => g.outH >= 1 && g.outW >= 1);

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 12.9898) * 3);

const sameBits = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));

describe("wasm im2col / col2imAccumulate", () => {
  it("im2col equals the TypeScript kernel bit for bit (stride, padding, dilation, offsets)", () => {
    fc.assert(
      fc.property(geometryArb, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), (g, imageOffset, colsOffset) => {
        const image = values(imageOffset + g.channels * g.height * g.width + 2, g.height * 7 + g.width);
        const colsLen = colsOffset + g.channels * g.kernelH * g.kernelW * g.outH * g.outW + 2;
        const want = values(colsLen, 99); // garbage to be overwritten (slack kept)
        const got = want.slice();
        im2colTs({ geometry: g, image, imageOffset, cols: want, colsOffset });
        backend.im2col({ geometry: g, image, imageOffset, cols: got, colsOffset });
        expect(sameBits(got, want)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("col2imAccumulate equals the TypeScript kernel bit for bit and accumulates", () => {
    fc.assert(
      fc.property(geometryArb, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), (g, imageOffset, colsOffset) => {
        const cols = values(colsOffset + g.channels * g.kernelH * g.kernelW * g.outH * g.outW + 2, 5);
        const want = values(imageOffset + g.channels * g.height * g.width + 2, 17); // non-zero: accumulated into
        const got = want.slice();
        col2imAccumulateTs({ geometry: g, image: want, imageOffset, cols, colsOffset });
        backend.col2imAccumulate({ geometry: g, image: got, imageOffset, cols, colsOffset });
        expect(sameBits(got, want)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses arrays too short for the geometry", () => {
    const g: ConvGeometry = { channels: 2, height: 4, width: 4, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, outH: 4, outW: 4 };
    expect(() => backend.im2col({ geometry: g, image: new Float32Array(31), imageOffset: 0, cols: new Float32Array(288), colsOffset: 0 })).toThrow(/im2col: /);
    expect(() => backend.col2imAccumulate({ geometry: g, image: new Float32Array(32), imageOffset: 0, cols: new Float32Array(287), colsOffset: 0 })).toThrow(/col2imAccumulate: /);
  });
});
