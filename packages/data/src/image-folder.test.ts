import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArgumentError, FormatError, ShapeError } from "@unetkit/tensor";
import { afterAll, describe, expect, it } from "vitest";
import { writeOneSamplePng, writePalettePng } from "./__fixtures__/formats.js";
import { loadImageFolder } from "./image-folder.js";
import { encodePng } from "./png.js";
import type { PngData } from "./png-data.js";

const root = mkdtempSync(join(tmpdir(), "unetkit-folder-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

/** Makes images/ and masks/ folders from a spec of files (PNG data or raw bytes). */
function folder(images: Record<string, PngData | Uint8Array>, masks: Record<string, PngData | Uint8Array>) {
  const base = join(root, `case-${counter++}`);
  for (const [sub, files] of [["images", images], ["masks", masks]] as const) {
    mkdirSync(join(base, sub), { recursive: true });
    for (const [name, f] of Object.entries(files)) writeFileSync(join(base, sub, name), f instanceof Uint8Array ? f : encodePng(f));
  }
  return { images: join(base, "images"), masks: join(base, "masks") };
}

const gray = (w: number, h: number, values: number[]): PngData => ({ width: w, height: h, channels: 1, data: Uint8Array.from(values) });
const rgb = (w: number, h: number, values: number[]): PngData => ({ width: w, height: h, channels: 3, data: Uint8Array.from(values) });

describe("loadImageFolder", () => {
  it("pairs grey images with grey index masks by name, sorted, normalised to [0,1]", () => {
    const dirs = folder(
      { "b.png": gray(2, 1, [0, 255]), "a.png": gray(2, 1, [51, 102]), ".DS_Store": new Uint8Array([1]) },
      { "a.png": gray(2, 1, [0, 2]), "b.png": gray(2, 1, [1, 0]) },
    );
    const ds = loadImageFolder(dirs);
    expect(ds.names).toEqual(["a", "b"]);
    expect(ds.images.shape).toEqual([2, 1, 1, 2]);
    expect(Array.from(ds.images.data)).toEqual([0.2, 0.4, 0, 1].map(Math.fround));
    expect(ds.masks.shape).toEqual([2, 1, 2]);
    expect(Array.from(ds.masks.data)).toEqual([0, 2, 1, 0]);
    expect(ds.numClasses).toBe(3);
    expect(ds.classNames).toEqual(["0", "1", "2"]);
  });

  it("reads RGB images as 3 channels NCHW, or as luma with grayscale: true", () => {
    const dirs = folder({ "x.png": rgb(2, 1, [255, 0, 0, 0, 0, 255]) }, { "x.png": gray(2, 1, [0, 1]) });
    const ds = loadImageFolder({ ...dirs, numClasses: 2 });
    expect(ds.images.shape).toEqual([1, 3, 1, 2]);
    expect(Array.from(ds.images.data)).toEqual([1, 0, 0, 0, 0, 1]);
    const g = loadImageFolder({ ...dirs, grayscale: true });
    expect(g.images.shape).toEqual([1, 1, 1, 2]);
    expect(g.images.data[0]).toBeCloseTo(0.299, 6);
    expect(g.images.data[1]).toBeCloseTo(0.114, 6);
    const grey3 = loadImageFolder({ ...folder({ "x.png": gray(1, 1, [255]) }, { "x.png": gray(1, 1, [0]) }), grayscale: false });
    expect(Array.from(grey3.images.data)).toEqual([1, 1, 1]);
  });

  it("handles 16-bit images and masks (large indices), RGBA (alpha ignored)", () => {
    const dirs = folder(
      { "a.png": { width: 2, height: 1, channels: 1, data: Uint16Array.from([65535, 13107]) } },
      { "a.png": { width: 2, height: 1, channels: 1, data: Uint16Array.from([0, 300]) } },
    );
    const ds = loadImageFolder(dirs);
    expect(ds.images.data[0]).toBe(1);
    expect(ds.images.data[1]).toBeCloseTo(0.2, 6);
    expect(Array.from(ds.masks.data)).toEqual([0, 300]);
    expect(ds.numClasses).toBe(301);
    const rgba = folder({ "a.png": { width: 1, height: 1, channels: 4, data: Uint8Array.from([255, 0, 0, 0]) } }, { "a.png": gray(1, 1, [0]) });
    expect(Array.from(loadImageFolder(rgba).images.data)).toEqual([1, 0, 0]);
  });

  it("reads low bit depths at their own scale: 1-bit masks are 0/1, 4-bit images divide by 15", () => {
    const dirs = folder(
      { "a.png": writeOneSamplePng(3, 2, 4, 0, [0, 15, 5, 3, 0, 15]) },
      { "a.png": writeOneSamplePng(3, 2, 1, 0, [0, 1, 1, 1, 0, 0]) },
    );
    const ds = loadImageFolder(dirs);
    expect(Array.from(ds.images.data)).toEqual([0, 1, 1 / 3, 0.2, 0, 1].map(Math.fround));
    expect(Array.from(ds.masks.data)).toEqual([0, 1, 1, 1, 0, 0]);
    expect(ds.numClasses).toBe(2);
    // A 1-bit mask through a palette compares at 8 bits: 1 -> 255.
    const pal = loadImageFolder({ ...dirs, palette: [[0, 0, 0], [255, 255, 255]] });
    expect(Array.from(pal.masks.data)).toEqual([0, 1, 1, 1, 0, 0]);
  });

  it("maps colour masks through a palette and palette PNG masks through their own palette", () => {
    const pal: [number, number, number][] = [[0, 0, 0], [255, 0, 0], [0, 255, 0]];
    const dirs = folder({ "a.png": gray(3, 1, [0, 0, 0]) }, { "a.png": rgb(3, 1, [0, 255, 0, 255, 0, 0, 0, 0, 0]) });
    const ds = loadImageFolder({ ...dirs, palette: pal, classNames: ["bg", "red", "green"] });
    expect(Array.from(ds.masks.data)).toEqual([2, 1, 0]);
    expect(ds.numClasses).toBe(3);
    expect(ds.classNames).toEqual(["bg", "red", "green"]);
    const voc = folder({ "a.png": gray(3, 1, [0, 0, 0]) }, { "a.png": writePalettePng(3, 1, [1, 0, 2], [[0, 0, 0], [128, 0, 0], [0, 128, 0]]) });
    expect(Array.from(loadImageFolder(voc).masks.data)).toEqual([1, 0, 2]);
    const bad = folder({ "a.png": gray(2, 1, [0, 0]) }, { "a.png": rgb(2, 1, [0, 0, 0, 1, 2, 3]) });
    expect(() => loadImageFolder({ ...bad, palette: pal })).toThrow(/masks\/a.png has colour \(1, 2, 3\) at pixel \(x 1, y 0\), which is not in the palette/);
    expect(() => loadImageFolder(bad)).toThrow(/is a colour image .* pass a palette/);
  });

  it("valueMap, ignoreIndex and the 0/255 hint", () => {
    const dirs = folder({ "a.png": gray(3, 1, [0, 0, 0]) }, { "a.png": gray(3, 1, [0, 255, 255]) });
    expect(() => loadImageFolder(dirs)).toThrow(/valueMap: \{ 0: 0, 255: 1 \}/);
    expect(Array.from(loadImageFolder({ ...dirs, valueMap: { 0: 0, 255: 1 } }).masks.data)).toEqual([0, 1, 1]);
    const voc = folder({ "a.png": gray(3, 1, [0, 0, 0]) }, { "a.png": gray(3, 1, [0, 1, 255]) });
    const ds = loadImageFolder({ ...voc, ignoreIndex: 255 });
    expect(Array.from(ds.masks.data)).toEqual([0, 1, 255]);
    expect(ds.numClasses).toBe(2);
    expect(() => loadImageFolder({ ...dirs, valueMap: { 0: 0 } })).toThrow(/value 255 at pixel \(x 1, y 0\), which valueMap does not map/);
  });

  it("names the file and pixel of a label outside the classes", () => {
    const dirs = folder({ "a.png": gray(2, 2, [0, 0, 0, 0]) }, { "a.png": gray(2, 2, [0, 1, 0, 3]) });
    expect(() => loadImageFolder({ ...dirs, numClasses: 3 })).toThrow(FormatError);
    expect(() => loadImageFolder({ ...dirs, numClasses: 3 })).toThrow(/masks\/a.png has value 3 at pixel \(x 1, y 1\), outside the 3 classes 0-2/);
  });

  it("names the missing partner, both sizes of a mismatch, and non-PNG or corrupt files", () => {
    const missingMask = folder({ "a.png": gray(1, 1, [0]), "b.png": gray(1, 1, [0]) }, { "a.png": gray(1, 1, [0]) });
    expect(() => loadImageFolder(missingMask)).toThrow(ArgumentError);
    expect(() => loadImageFolder(missingMask)).toThrow(/images\/b.png has no mask .*masks\/b.png/);
    const missingImage = folder({ "a.png": gray(1, 1, [0]) }, { "a.png": gray(1, 1, [0]), "c.png": gray(1, 1, [0]) });
    expect(() => loadImageFolder(missingImage)).toThrow(/mask .*masks\/c.png has no image/);
    const sizes = folder({ "a.png": gray(2, 1, [0, 0]) }, { "a.png": gray(1, 2, [0, 0]) });
    expect(() => loadImageFolder(sizes)).toThrow(ShapeError);
    expect(() => loadImageFolder(sizes)).toThrow(/mask .*a.png is 1x2 but image .*a.png is 2x1/);
    const differ = folder({ "a.png": gray(1, 1, [0]), "b.png": gray(2, 1, [0, 0]) }, { "a.png": gray(1, 1, [0]), "b.png": gray(2, 1, [0, 0]) });
    expect(() => loadImageFolder(differ)).toThrow(/images differ in size: .*a.png is 1x1, .*b.png is 2x1/);
    const jpg = folder({ "a.jpg": new Uint8Array([0xff, 0xd8]) }, {});
    expect(() => loadImageFolder(jpg)).toThrow(/a.jpg is not a PNG file/);
    const corrupt = folder({ "a.png": new TextEncoder().encode("not really a png") }, { "a.png": gray(1, 1, [0]) });
    expect(() => loadImageFolder(corrupt)).toThrow(/a.png is not a PNG file/);
    expect(() => loadImageFolder({ images: join(root, "nope"), masks: join(root, "nope") })).toThrow(/cannot be read/);
    expect(() => loadImageFolder({ ...missingMask, pallete: [] } as never)).toThrow(/unknown option "pallete"/);
  });
});
