import type { PngData } from "@unetkit/data";
import { decodePng } from "@unetkit/data/node";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_MASK_PALETTE } from "@unetkit/data";
import { GRID_HEADER_HEIGHT, composeGrid, gridScale, maskCells, maskPalette, renderGrid } from "./prediction-grid.js";

function solid(width: number, height: number, rgb: [number, number, number], channels: 1 | 3 = 3): PngData {
  const data = new Uint8Array(width * height * channels);
  for (let p = 0; p < width * height; p++) for (let c = 0; c < channels; c++) data[p * channels + c] = rgb[c];
  return { width, height, channels, data };
}

describe("composeGrid", () => {
  it("has width sum(col widths) * scale + gaps, height likewise, and puts every cell's pixels in place", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        (colW, rowH, scale, gap) => {
          // Cell (r, c) has a distinct colour; pixel (x, y) of it a distinct red value.
          const rows = rowH.map((h, r) =>
            colW.map((w, c) => {
              const data = new Uint8Array(w * h * 3);
              for (let p = 0; p < w * h; p++) data.set([p, 10 * r + 1, 10 * c + 1], p * 3);
              return { width: w, height: h, channels: 3 as const, data };
            }),
          );
          const grid = composeGrid(rows, { scale, gap, gapColor: [255, 0, 0] });
          const W = colW.reduce((a, w) => a + w * scale, 0) + gap * (colW.length - 1);
          const H = rowH.reduce((a, h) => a + h * scale, 0) + gap * (rowH.length - 1);
          expect([grid.width, grid.height, grid.channels]).toEqual([W, H, 3]);
          let y0 = 0;
          rowH.forEach((h, r) => {
            let x0 = 0;
            colW.forEach((w, c) => {
              for (let y = 0; y < h * scale; y++) {
                for (let x = 0; x < w * scale; x++) {
                  const o = ((y0 + y) * W + x0 + x) * 3;
                  const p = Math.floor(y / scale) * w + Math.floor(x / scale);
                  expect([grid.data[o], grid.data[o + 1], grid.data[o + 2]]).toEqual([p, 10 * r + 1, 10 * c + 1]);
                }
              }
              // The separator right of the cell.
              if (c < colW.length - 1 && gap > 0) {
                const o = (y0 * W + x0 + w * scale) * 3;
                expect([grid.data[o], grid.data[o + 1], grid.data[o + 2]]).toEqual([255, 0, 0]);
              }
              x0 += w * scale + gap;
            });
            y0 += h * scale + gap;
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it("turns grey cells into RGB", () => {
    const grid = composeGrid([[solid(2, 2, [77, 0, 0], 1)]]);
    expect(Array.from(grid.data.slice(0, 3))).toEqual([77, 77, 77]);
  });

  it("refuses cells that do not line up, naming the cell", () => {
    expect(() => composeGrid([[solid(2, 2, [0, 0, 0]), solid(2, 2, [0, 0, 0])], [solid(3, 2, [0, 0, 0]), solid(2, 2, [0, 0, 0])]])).toThrow(
      /composeGrid: cell \(1, 0\) is 3 wide, column 0 is 2/,
    );
    expect(() => composeGrid([[solid(2, 2, [0, 0, 0]), solid(2, 3, [0, 0, 0])]])).toThrow(/cell \(0, 1\) is 3 high/);
    expect(() => composeGrid([[solid(2, 2, [0, 0, 0])], []])).toThrow(/row 1 has 0 cells/);
    expect(() => composeGrid([[solid(2, 2, [0, 0, 0])]], { scale: 0 })).toThrow(/scale must be a positive integer/);
    expect(() => composeGrid([])).toThrow(/at least one row/);
  });
});

describe("renderGrid", () => {
  it("scales cells to about 128 pixels and adds a title band; the PNG has the size it reports", () => {
    expect(gridScale(64)).toBe(2);
    expect(gridScale(28)).toBe(5);
    expect(gridScale(300)).toBe(1);
    const cells = (rgb: [number, number, number]) => Array.from({ length: 3 }, () => solid(32, 32, rgb));
    const { png, width, height } = renderGrid([
      { title: "input", cells: cells([200, 200, 200]) },
      { title: "truth", cells: cells([0, 0, 255]) },
    ]);
    expect(width).toBe(2 * 32 * 4 + 2);
    expect(height).toBe(3 * 32 * 4 + 2 * 2 + GRID_HEADER_HEIGHT);
    const d = decodePng(png);
    expect([d.width, d.height]).toEqual([width, height]);
    // A pixel inside the second column of the last row keeps its colour exactly (no resampling).
    const at = (x: number, y: number) => Array.from(d.rgba.slice((y * d.width + x) * 4, (y * d.width + x) * 4 + 3));
    expect(at(128 + 2 + 10, height - 5)).toEqual([0, 0, 255]);
    expect(at(10, GRID_HEADER_HEIGHT + 5)).toEqual([200, 200, 200]);
    // The separator column between the two.
    expect(at(128, GRID_HEADER_HEIGHT + 5)).toEqual([255, 255, 255]);
    // Titles leave dark pixels in the header band.
    let dark = 0;
    for (let y = 0; y < GRID_HEADER_HEIGHT; y++) for (let x = 0; x < width; x++) if (at(x, y)[0] < 100) dark++;
    expect(dark).toBeGreaterThan(20);
  });

  it("refuses columns of different lengths", () => {
    expect(() => renderGrid([{ title: "a", cells: [solid(2, 2, [0, 0, 0])] }, { title: "b", cells: [] }])).toThrow(/column "b" has 0 cells/);
  });
});

describe("mask colours", () => {
  it("keep the default palette and extend it with distinct colours past 20 classes", () => {
    expect(maskPalette(3)).toEqual([...DEFAULT_MASK_PALETTE]);
    const p = maskPalette(40);
    expect(p).toHaveLength(40);
    expect(p.slice(0, 20)).toEqual([...DEFAULT_MASK_PALETTE]);
    expect(new Set(p.map((c) => c.join(","))).size).toBe(40);
    for (const c of p) for (const v of c) expect(Number.isInteger(v) && v >= 0 && v <= 255).toBe(true);
  });

  it("colourise masks with labels past the default palette", () => {
    const cells = maskCells({ shape: [2, 1, 2], data: Int32Array.of(0, 1, 25, 30) }, 1, 2);
    expect(cells).toHaveLength(2);
    expect(Array.from(cells[1].data)).toEqual([...maskPalette(31)[25], ...maskPalette(31)[30]]);
  });
});
