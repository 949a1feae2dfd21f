import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FormatError, Tensor } from "@unetkit/tensor";
import fc from "fast-check";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it } from "vitest";
import { writePalettePng } from "./__fixtures__/formats.js";
import { imageToPngData } from "./png-data.js";
import { decodePng, encodePng, savePng } from "./png.js";

const dir = mkdtempSync(join(tmpdir(), "unetkit-png-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("encodePng / decodePng", () => {
  it("round-trips 8- and 16-bit grey, grey+alpha, RGB and RGBA", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom<1 | 2 | 3 | 4>(1, 2, 3, 4),
        fc.boolean(),
        fc.integer(),
        (width, height, channels, sixteen, seed) => {
          const n = width * height * channels;
          let s = seed;
          const next = () => ((s = (Math.imul(s, 1103515245) + 12345) | 0) >>> 8);
          const data = sixteen ? Uint16Array.from({ length: n }, () => next() & 0xffff) : Uint8Array.from({ length: n }, () => next() & 0xff);
          const png = decodePng(encodePng({ width, height, channels, data }));
          expect([png.width, png.height, png.depth]).toEqual([width, height, sixteen ? 16 : 8]);
          expect(png.maxValue).toBe(sixteen ? 65535 : 255);
          expect(png.color).toBe(channels >= 3);
          for (let p = 0; p < width * height; p++) {
            const px = Array.from(data.subarray(p * channels, (p + 1) * channels));
            const rgba = Array.from(png.rgba.subarray(p * 4, p * 4 + 4));
            const expected =
              channels === 1 ? [px[0], px[0], px[0]] : channels === 2 ? [px[0], px[0], px[0], px[1]] : channels === 3 ? px : px;
            expect(rgba.slice(0, expected.length)).toEqual(expected);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("decodes palette PNGs to colours and exposes the palette", () => {
    const bytes = writePalettePng(3, 1, [2, 0, 1], [[0, 0, 0], [255, 0, 0], [0, 128, 255]]);
    const png = decodePng(bytes);
    expect(png.palette?.slice(0, 3).map((c) => c.slice(0, 3))).toEqual([[0, 0, 0], [255, 0, 0], [0, 128, 255]]);
    expect(Array.from(png.rgba.subarray(0, 4))).toEqual([0, 128, 255, 255]);
    expect(png.maxValue).toBe(255);
  });

  it("refuses non-PNG and corrupt bytes with FormatError naming the source", () => {
    expect(() => decodePng(new TextEncoder().encode("GIF89a......"), "x.png")).toThrow(/x.png is not a PNG file/);
    const good = encodePng({ width: 4, height: 4, channels: 1, data: new Uint8Array(16) });
    expect(() => decodePng(good.slice(0, good.length - 20), "cut.png")).toThrow(FormatError);
    const badCrc = good.slice();
    badCrc[20] ^= 0xff; // inside IHDR data
    expect(() => decodePng(badCrc, "crc.png")).toThrow(/crc.png is a corrupt PNG/);
  });

  it("validates what it encodes", () => {
    expect(() => encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) })).toThrow(/needs 4/);
    expect(() => encodePng({ width: 2, height: 2, channels: 5 as never, data: new Uint8Array(20) })).toThrow(/channels/);
  });
});

describe("savePng, imageToPngData, colorizeMask", () => {
  it("writes atomically (no temp files left) a PNG that pngjs reads back", () => {
    const image = new Tensor("float32", [3, 2, 2]);
    image.data.set([0, 0.5, 1, 2, /* G */ 0, 0, 0, 0, /* B */ -1, 0.25, 0.75, 1]);
    const path = join(dir, "sub", "img.png");
    savePng(path, imageToPngData(image));
    savePng(path, imageToPngData(image)); // overwrite
    expect(readdirSync(join(dir, "sub"))).toEqual(["img.png"]);
    const png = PNG.sync.read(readFileSync(path));
    expect([png.width, png.height]).toEqual([2, 2]);
    // Red channel of the 4 pixels: 0, 0.5, 1, 2 (clamped) -> 0, 128, 255, 255.
    expect([0, 1, 2, 3].map((p) => png.data[p * 4])).toEqual([0, 128, 255, 255]);
    expect([0, 1, 2, 3].map((p) => png.data[p * 4 + 2])).toEqual([0, 64, 191, 255]);
  });
});
