import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { layerGradcheck } from "@unetkit/testing";
import { BilinearUpsample, NearestUpsample } from "./index.js";
import { randomTensor } from "../test/helpers.js";

const shapes = fc.tuple(
  fc.integer({ min: 1, max: 2 }),
  fc.integer({ min: 1, max: 2 }),
  fc.integer({ min: 1, max: 5 }),
  fc.integer({ min: 1, max: 5 }),
);
const scale = fc.oneof(
  fc.integer({ min: 1, max: 3 }).map((s) => ({ scaleFactor: s })),
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).map(([a, b]) => ({ scaleFactor: [a, b] as [number, number] })),
  fc.constantFrom(1.5, 2.5, 1.7).map((s) => ({ scaleFactor: s })),
  fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 })).map(([h, w]) => ({ size: [h, w] as [number, number] })),
);

describe("gradient checks (float64 central differences)", () => {
  it("NearestUpsample over random sizes and factors", () => {
    fc.assert(
      fc.property(shapes, scale, fc.integer(), (shape, opt, seed) => {
        const report = layerGradcheck(new NearestUpsample(opt), randomTensor(shape, seed), { seed: seed & 0xffff });
        expect(report.failed).toBe(0);
        expect(report.ok).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it("BilinearUpsample over random sizes and factors, both alignCorners", () => {
    fc.assert(
      fc.property(shapes, scale, fc.boolean(), fc.integer(), (shape, opt, alignCorners, seed) => {
        const layer = new BilinearUpsample({ ...opt, alignCorners });
        const report = layerGradcheck(layer, randomTensor(shape, seed), { seed: seed & 0xffff });
        expect(report.checked).toBeGreaterThan(0);
        expect(report.ok).toBe(true);
      }),
      { numRuns: 25 },
    );
  });
});
