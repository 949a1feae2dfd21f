import { Rng } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";
import { bicubicUpsample, elastic, elasticField } from "./elastic.js";
import { randomSample } from "./__fixtures__/samples.js";

describe("elastic", () => {
  it("elastic field: zero sigma is the identity, bicubic is exact at grid points, field is smooth", () => {
    const s = randomSample(8, 1, 10, 12);
    const id = elastic(s, elasticField(10, 12, new Rng(0), { sigma: 0 }));
    expect(Array.from(id.mask!.data)).toEqual(Array.from(s.mask.data));
    for (let i = 0; i < s.image.size; i++) expect(id.image.data[i]).toBeCloseTo(s.image.data[i], 6);

    const grid = Float64Array.from([1, -2, 3, 0.5, 4, -1, 2, 2, -3]);
    const up = bicubicUpsample(grid, 3, 3, 9, 9);
    for (let gy = 0; gy < 3; gy++) for (let gx = 0; gx < 3; gx++) expect(up[gy * 4 * 9 + gx * 4]).toBeCloseTo(grid[gy * 3 + gx], 12);
    // A linear ramp is reproduced exactly inside (Catmull-Rom reproduces linear functions away from clamped edges).
    const ramp = bicubicUpsample(Float64Array.from([0, 1, 2, 3, 0, 1, 2, 3]), 2, 4, 2, 7);
    for (let x = 2; x <= 4; x++) expect(ramp[x]).toBeCloseTo(x / 2, 12);

    const f = elasticField(64, 64, new Rng(5), { sigma: 10, grid: 3 });
    let maxStep = 0;
    let sq = 0;
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 63; x++) {
        maxStep = Math.max(maxStep, Math.abs(f.dx[y * 64 + x + 1] - f.dx[y * 64 + x]));
        sq += f.dx[y * 64 + x] ** 2;
      }
    expect(maxStep).toBeLessThan(3); // smooth: neighbours move together
    expect(Math.sqrt(sq / (64 * 63))).toBeGreaterThan(0.5); // but it does move
  });
});
