import { ArgumentError, Rng, ShapeError, randn } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";
import { predict } from "./predict.js";
import { planTiles, predictTiled, receptiveRadius } from "./predict-tiled.js";
import { SimpleUNet, UNet } from "./unet.js";

function maxDiffInside(a: Float32Array | Float64Array, b: Float32Array | Float64Array, shape: number[], border: number): number {
  const [n, k, h, w] = shape;
  let m = 0;
  for (let i = 0; i < n * k; i++) {
    for (let y = border; y < h - border; y++) {
      for (let x = border; x < w - border; x++) {
        const o = (i * h + y) * w + x;
        m = Math.max(m, Math.abs(a[o] - b[o]));
      }
    }
  }
  return m;
}

describe("predictTiled", () => {
  it("equals whole-image output wherever the receptive field stays inside the image (same padding)", () => {
    const model = new SimpleUNet({ baseChannels: 2, seed: 9 });
    model.eval();
    // The whole-image pass needs a size the network accepts (a multiple of 4); tiles do not.
    const fits = randn([1, 1, 92, 72], new Rng(5));
    const whole = predict(model, fits).probabilities;
    const tiled = predictTiled(model, fits, { tile: 96 }).probabilities;
    expect(tiled.shape).toEqual([1, 3, 92, 72]);
    const r = receptiveRadius(model);
    expect(maxDiffInside(tiled.data, whole.data, [1, 3, 92, 72], r)).toBeLessThan(1e-5);
    // Any size works tiled, also one the network itself would refuse.
    const odd = predictTiled(model, randn([1, 1, 90, 70], new Rng(5)), { tile: 96 });
    expect(odd.maskShape).toEqual([1, 90, 70]);
  });

  it("equals whole-image output exactly for valid padding, where tiles need no zero padding at all", () => {
    const model = new UNet({ baseChannels: 2, depth: 2, padding: "valid", seed: 3 });
    model.eval();
    // A whole pass on a mirrored image of the output size plus the margin reproduces the tiles.
    const plan = planTiles(model, { tile: 60 });
    expect(plan).toEqual({ tile: 60, margin: 20, stride: 20 });
    const image = randn([1, 1, 32, 32], new Rng(8));
    const tiled = predictTiled(model, image, { tile: 60 });
    // The whole-image reference: mirror-pad by the margin and run once (32 + 40 = 72 is a size the
    // network accepts, giving 32x32; the tile origins -20 and 0 are on its pooling grid).
    expect(model.planSize(72)).toEqual({ ok: true, output: 32 });
    const padded = randn([1, 1, 72, 72], new Rng(0));
    const reflect = (i: number, n: number) => {
      const p = 2 * (n - 1);
      let k = ((i % p) + p) % p;
      return k < n ? k : p - k;
    };
    for (let y = 0; y < 72; y++) for (let x = 0; x < 72; x++) padded.data[y * 72 + x] = image.data[reflect(y - 20, 32) * 32 + reflect(x - 20, 32)];
    const whole = predict(model, padded).probabilities;
    expect(maxDiffInside(tiled.probabilities.data, whole.data, [1, 3, 32, 32], 0)).toBeLessThan(1e-5);
  });

  it("works in bounded memory on a large image and restores training mode", () => {
    const model = new SimpleUNet({ baseChannels: 2, seed: 1 });
    model.train();
    const image = randn([1, 1, 300, 200], new Rng(2));
    const { maskShape, probabilities } = predictTiled(model, image, { tile: 64, overlap: 8 });
    expect(maskShape).toEqual([1, 300, 200]);
    expect(probabilities.data.every((v) => Number.isFinite(v))).toBe(true);
    expect(model.training).toBe(true);
  });

  it("refuses tiles that do not fit the network and wrong channel counts", () => {
    const model = new SimpleUNet({ baseChannels: 2 });
    expect(() => predictTiled(model, randn([1, 1, 20, 20], new Rng(0)), { tile: 30 })).toThrow(ArgumentError);
    expect(() => predictTiled(model, randn([1, 1, 20, 20], new Rng(0)), { tile: 16, overlap: 8 })).toThrow(/too small/);
    expect(receptiveRadius(model)).toBeGreaterThan(0);
    expect(() => predictTiled(model, randn([1, 2, 20, 20], new Rng(0)))).toThrow(ShapeError);
  });
});
