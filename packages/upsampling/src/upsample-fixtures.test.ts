import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { loadFixture, relativeError } from "@unetkit/testing";
import { BilinearUpsample, NearestUpsample, bilinearUpsampleBackward, bilinearUpsampleForward } from "./index.js";
import type { BilinearUpsampleOptions } from "./index.js";

const dir = new URL("../test/fixtures/", import.meta.url);
const names = readdirSync(dir)
  .filter((f) => /^(nearest|bilinear)-.*\.json$/.test(f))
  .map((f) => f.replace(/\.json$/, ""));

function optionsOf(meta: Record<string, unknown>): BilinearUpsampleOptions {
  const o: BilinearUpsampleOptions = {};
  const sf = meta.scaleFactor as number | [number, number] | null;
  const size = meta.size as number | [number, number] | null;
  if (sf !== null && sf !== undefined) o.scaleFactor = sf;
  if (size !== null && size !== undefined) o.size = size;
  if (meta.recomputeScaleFactor === true) o.recomputeScaleFactor = true;
  if (meta.mode === "bilinear") o.alignCorners = meta.alignCorners === true;
  return o;
}

describe("PyTorch golden fixtures (nn.Upsample nearest / bilinear, float32)", () => {
  it("has the expected fixture set", () => {
    expect(names.filter((n) => n.startsWith("nearest")).length).toBeGreaterThanOrEqual(6);
    expect(names.filter((n) => n.startsWith("bilinear-align-")).length).toBeGreaterThanOrEqual(8);
    expect(names.filter((n) => n.startsWith("bilinear-noalign-")).length).toBeGreaterThanOrEqual(8);
  });

  for (const name of names) {
    it(`${name}: forward and input gradient`, () => {
      const fx = loadFixture(new URL(`${name}.json`, dir));
      const { x, y, dy, dx } = fx.tensors;
      const opts = optionsOf(fx.meta);
      const layer = fx.meta.mode === "nearest" ? new NearestUpsample(opts) : new BilinearUpsample(opts);
      const out = layer.forward(x);
      expect(out.shape).toEqual(y.shape);
      expect(relativeError(out, y)).toBeLessThan(1e-4);
      const grad = layer.backward(dy);
      expect(grad.shape).toEqual(dx.shape);
      expect(relativeError(grad, dx)).toBeLessThan(1e-4);
      if (fx.meta.mode === "nearest") {
        // Nearest copies values: forward is exact, bit for bit.
        expect(Array.from(out.data)).toEqual(Array.from(y.data));
      } else {
        expect(relativeError(bilinearUpsampleForward(x, opts), y)).toBeLessThan(1e-4);
        expect(relativeError(bilinearUpsampleBackward(dy, x.shape, opts), dx)).toBeLessThan(1e-4);
        // The same case in float64 agrees too (tables computed in double precision).
        const y64 = bilinearUpsampleForward(x.astype("float64"), opts);
        expect(relativeError(y64, y)).toBeLessThan(1e-4);
      }
    });
  }
});
