import { Tensor } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";
import { labelTensor } from "./label-tensor.js";
import { DEFAULT_MASK_PALETTE, colorizeMask, imageToPngData } from "./png-data.js";

describe("imageToPngData / colorizeMask", () => {
  it("maps [min, max] to 0..255 with clamping, interleaving channels", () => {
    const image = new Tensor("float32", [3, 1, 2], Float32Array.from([0, 1, 0.5, -3, 2, 0.25]));
    const png = imageToPngData(image);
    expect([png.width, png.height, png.channels]).toEqual([2, 1, 3]);
    expect(Array.from(png.data)).toEqual([0, 128, 255, 255, 0, 64]);
    const grey = imageToPngData(new Tensor("float32", [1, 2], Float32Array.from([-1, 1])), { min: -1, max: 1 });
    expect(Array.from(grey.data)).toEqual([0, 255]);
    expect(() => imageToPngData(new Tensor("float32", [2, 1, 1]))).toThrow(/1 or 3 channels/);
  });

  it("colours masks by palette and refuses labels without a colour", () => {
    const mask = labelTensor([1, 3], Int32Array.from([0, 1, 2]));
    const rgb = colorizeMask(mask, [[0, 0, 0], [10, 20, 30], [40, 50, 60]]);
    expect(Array.from(rgb.data)).toEqual([0, 0, 0, 10, 20, 30, 40, 50, 60]);
    expect(() => colorizeMask(labelTensor([1, 1], Int32Array.from([5])), [[0, 0, 0]])).toThrow(/label 5 at pixel \(x 0, y 0\)/);
  });

  it("the default palette gives distinct colours to 20 classes", () => {
    const keys = new Set(DEFAULT_MASK_PALETTE.map((c) => c.join(",")));
    expect(keys.size).toBe(20);
    const rgb = colorizeMask(labelTensor([1, 2], Int32Array.from([0, 1])));
    expect(Array.from(rgb.data)).toEqual([...DEFAULT_MASK_PALETTE[0], ...DEFAULT_MASK_PALETTE[1]]);
  });
});
