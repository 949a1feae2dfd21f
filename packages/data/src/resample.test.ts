import { ArgumentError, Tensor } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { labelTensor } from "./label-tensor.js";
import { checkFill, resample } from "./resample.js";

/** A 1-channel 1-row image 0..w-1 with mask labels 10..10+w-1. */
function row(w: number) {
  const image = new Tensor("float64", [1, 1, w], Float64Array.from({ length: w }, (_, i) => i));
  const mask = labelTensor([1, w], Int32Array.from({ length: w }, (_, i) => 10 + i));
  return { image, mask };
}

function sampleAt(xs: number[], w: number, mode: "reflect" | "edge" | "constant") {
  const out = resample(row(w), 1, xs.length, Float64Array.from(xs), new Float64Array(xs.length), checkFill("t", { fillMode: mode, fill: -1, maskFill: 99 }));
  return { values: Array.from(out.image.data), labels: Array.from(out.mask!.data) };
}

describe("resample", () => {
  it("identity maps return the sample", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), (h, w) => {
        const image = new Tensor("float32", [2, h, w]);
        image.data.forEach((_, i) => (image.data[i] = i));
        const mask = labelTensor([h, w], Int32Array.from({ length: h * w }, (_, i) => i % 3));
        const mapX = Float64Array.from({ length: h * w }, (_, p) => p % w);
        const mapY = Float64Array.from({ length: h * w }, (_, p) => Math.floor(p / w));
        const out = resample({ image, mask }, h, w, mapX, mapY, checkFill("t", { fillMode: "constant" }));
        expect(Array.from(out.image.data)).toEqual(Array.from(image.data));
        expect(Array.from(out.mask!.data)).toEqual(Array.from(mask.data));
      }),
      { numRuns: 30 },
    );
  });

  it("interpolates the image linearly and takes the nearest label (half rounds up)", () => {
    const r = sampleAt([0.25, 1.5, 2.75], 4, "edge");
    expect(r.values).toEqual([0.25, 1.5, 2.75]);
    expect(r.labels).toEqual([10, 12, 13]);
  });

  it("fill modes: reflect mirrors about the edge pixels, edge clamps, constant reads fill", () => {
    // w = 4: reflect maps -1 -> 1, -2.5 -> 2.5, 4 -> 2, 6 -> 0.
    expect(sampleAt([-1, -2.5, 4, 6], 4, "reflect").values).toEqual([1, 2.5, 2, 0]);
    expect(sampleAt([-1, -2.5, 4, 6], 4, "edge").values).toEqual([0, 0, 3, 3]);
    const c = sampleAt([-1, -0.5, 3, 3.25, 5], 4, "constant");
    expect(c.values).toEqual([-1, -0.5, 3, 0.75 * 3 + 0.25 * -1, -1]);
    expect(c.labels).toEqual([99, 10, 13, 13, 99]);
    expect(() => checkFill("t", { fillMode: "wrap" as never })).toThrow(ArgumentError);
    expect(() => checkFill("t", { maskFill: 0.5 })).toThrow(/maskFill must be an integer/);
  });
});
