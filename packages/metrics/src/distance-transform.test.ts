import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, ShapeError } from "@unetkit/tensor";
import { distanceTransform } from "./distance-transform.js";

function bruteDistance(sites: Uint8Array, h: number, w: number, dy: number, dx: number): Float64Array {
  const out = new Float64Array(h * w).fill(Infinity);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let sy = 0; sy < h; sy++) {
        for (let sx = 0; sx < w; sx++) {
          if (!sites[sy * w + sx]) continue;
          const d = Math.sqrt(((y - sy) * dy) ** 2 + ((x - sx) * dx) ** 2);
          if (d < out[y * w + x]) out[y * w + x] = d;
        }
      }
    }
  }
  return out;
}

const grid = fc
  .record({ h: fc.integer({ min: 0, max: 14 }), w: fc.integer({ min: 0, max: 14 }), density: fc.constantFrom(0, 0.02, 0.1, 0.5, 1) })
  .chain(({ h, w, density }) =>
    fc
      .array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: h * w, maxLength: h * w })
      .map((u) => ({ h, w, sites: Uint8Array.from(u, (v) => (v < density ? 1 : 0)) })),
  );

describe("distanceTransform", () => {
  it("is exact: equals the brute-force nearest-site distance (property)", () => {
    fc.assert(
      fc.property(grid, ({ h, w, sites }) => {
        // integer spacing: squared distances are exact integers, so results match to the bit
        expect(distanceTransform(sites, h, w)).toEqual(bruteDistance(sites, h, w, 1, 1));
      }),
      { numRuns: 300 },
    );
  });

  it("handles anisotropic spacing (property)", () => {
    fc.assert(
      fc.property(
        grid,
        fc.double({ min: 0.1, max: 5, noNaN: true }),
        fc.double({ min: 0.1, max: 5, noNaN: true }),
        ({ h, w, sites }, dy, dx) => {
          const got = distanceTransform(sites, h, w, [dy, dx]);
          const want = bruteDistance(sites, h, w, dy, dx);
          for (let i = 0; i < got.length; i++) {
            if (want[i] === Infinity) expect(got[i]).toBe(Infinity);
            else expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, want[i]));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("matches the documented example and refuses bad sizes", () => {
    const d = distanceTransform(Uint8Array.of(1, 0, 0, 0, 0, 0), 2, 3);
    expect(Array.from(d)).toEqual([0, 1, 2, 1, Math.SQRT2, Math.sqrt(5)]);
    expect(() => distanceTransform(new Uint8Array(5), 2, 3)).toThrow(ShapeError);
    expect(() => distanceTransform(new Uint8Array(6), 2, 3, [0, 1])).toThrow(ArgumentError);
    expect(() => distanceTransform(new Uint8Array(6), 2.5, 3)).toThrow(ArgumentError);
  });
});
