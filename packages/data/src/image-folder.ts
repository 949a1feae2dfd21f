import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { ArgumentError, FormatError, ShapeError, Tensor } from "@unetkit/tensor";
import { labelTensor, type LabelTensor } from "./label-tensor.js";
import { checkKeys, checkObject } from "./options.js";
import { decodePng, type DecodedPng } from "./png.js";

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /** Directory of PNG images. */
  images: string;
  /** Directory of PNG masks, paired with the images by file name without extension. */
  masks: string;
  /**
   * Colour masks: `palette[k] = [r, g, b]` is class `k` (8-bit values; 16-bit and low-bit masks are
   * compared after scaling to 8 bits as pngjs does). A pixel of any other colour is an error.
   */
  palette?: readonly (readonly [number, number, number])[];
  /**
   * Raw grey value -> class, for masks stored with spread-out values, e.g. `{ 0: 0, 255: 1 }` for
   * 0/255 binary masks. Values not in the map are an error (unless `ignoreIndex`).
   */
  valueMap?: Readonly<Record<number, number>>;
  /** Number of classes; labels must be below it. Default: palette length, else largest label + 1. */
  numClasses?: number;
  /** A label kept as is even though it is not a class (e.g. 255, "void" in Pascal VOC). */
  ignoreIndex?: number;
  /** `true`: 1 channel (RGB converted with luma 0.299 R + 0.587 G + 0.114 B); `false`: 3 channels (grey repeated); default: 1 if every image is grey, else 3. */
  grayscale?: boolean;
  /** Class names for the result (length must equal numClasses). */
  classNames?: readonly string[];
}

/** What {@link loadImageFolder} returns. */
export interface ImageFolderDataset {
  /** `[N, C, H, W]` float32 in `[0, 1]` (samples divided by `2^depth - 1`). */
  images: Tensor;
  /** `[N, H, W]` class indices. */
  masks: LabelTensor;
  /** The shared file names without extension, in order (sorted by code unit). */
  names: string[];
  numClasses: number;
  classNames: string[];
}

const KEYS = ["images", "masks", "palette", "valueMap", "numClasses", "ignoreIndex", "grayscale", "classNames"] as const;

/** Lists the PNG files of a directory by base name; refuses other files (dot-files and directories are skipped). */
function listPngs(op: string, dir: string, what: string): Map<string, string> {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error("not a directory");
    entries = readdirSync(dir);
  } catch (e) {
    throw new ArgumentError(op, `${what} directory ${dir} cannot be read (${(e as Error).message})`);
  }
  const out = new Map<string, string>();
  for (const name of entries.sort()) {
    if (name.startsWith(".")) continue;
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    const ext = extname(name);
    if (ext.toLowerCase() !== ".png") {
      throw new FormatError(op, `${path} is not a PNG file (only .png ${what} are supported)`);
    }
    const base = name.slice(0, name.length - ext.length);
    const prev = out.get(base);
    if (prev !== undefined) throw new ArgumentError(op, `two ${what} share the name "${base}": ${prev} and ${path}`);
    out.set(base, path);
  }
  return out;
}

/** 8-bit value of a raw sample, pngjs's rescaling formula. */
function to8(v: number, max: number): number {
  return max === 255 ? v : Math.floor((v * 255) / max + 0.5);
}

/**
 * Loads a segmentation data set from two folders of PNG files paired by name (`images/a.png` with
 * `masks/a.png`), decoded with pngjs: 1-16 bit, grey, RGB, palette, with or without alpha.
 *
 * Images: samples divided by `2^depth - 1` (so `[0, 1]`), NCHW, alpha ignored (colour values are
 * used as stored). Channels: see `grayscale`. All images must have one size.
 *
 * Masks, three ways:
 * - grey PNG (or RGB with R = G = B): the raw sample is the class (`2` means class 2; 16-bit
 *   masks may hold large indices), optionally through `valueMap`;
 * - `palette`: an RGB(A) mask whose colours are looked up in the palette;
 * - palette PNG (colour type 3) without `palette`: the pixel's index in the file's own palette
 *   (first entry of that colour), as Pascal VOC stores classes.
 *
 * Errors: `ArgumentError` for an image without a mask or a mask without an image (naming the
 * file); `ShapeError` when a mask's size differs from its image's or images differ in size
 * (naming both sizes and files); `FormatError` for a non-PNG or corrupt file, a colour not in the
 * palette, or a label outside the classes (naming the value, the file and the pixel).
 *
 * @example
 * ```ts
 * import { loadImageFolder } from "@unetkit/data/node";
 * const ds = loadImageFolder({ images: "data/images", masks: "data/masks", numClasses: 3 });
 * ds.images.shape; // [N, 1, H, W]
 * const voc = loadImageFolder({ images: "img", masks: "seg", palette: [[0, 0, 0], [128, 0, 0]] });
 * ```
 */
export function loadImageFolder(options: ImageFolderOptions): ImageFolderDataset {
  const op = "loadImageFolder";
  checkObject(op, "options", options);
  checkKeys(op, options, KEYS);
  if (typeof options.images !== "string" || typeof options.masks !== "string") {
    throw new ArgumentError(op, "images and masks must be directory paths");
  }
  const { palette, valueMap, ignoreIndex } = options;
  if (palette !== undefined) {
    if (!Array.isArray(palette) || palette.length === 0) throw new ArgumentError(op, "palette must be a non-empty array of [r, g, b]");
    palette.forEach((c, k) => {
      if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
        throw new ArgumentError(op, `palette[${k}] must be [r, g, b] with integers 0-255 (got ${JSON.stringify(c)})`);
      }
    });
    if (valueMap !== undefined) throw new ArgumentError(op, "give palette or valueMap, not both");
  }
  if (ignoreIndex !== undefined && !Number.isInteger(ignoreIndex)) {
    throw new ArgumentError(op, `ignoreIndex must be an integer (got ${ignoreIndex})`);
  }
  const paletteIndex = new Map<number, number>();
  palette?.forEach((c, k) => {
    const key = (c[0] << 16) | (c[1] << 8) | c[2];
    if (!paletteIndex.has(key)) paletteIndex.set(key, k);
  });
  if (valueMap !== undefined && (valueMap === null || typeof valueMap !== "object")) {
    throw new ArgumentError(op, "valueMap must be an object { rawValue: class }");
  }
  let numClasses = options.numClasses ?? (palette !== undefined ? palette.length : undefined);
  if (numClasses !== undefined && (!Number.isInteger(numClasses) || numClasses < 1)) {
    throw new ArgumentError(op, `numClasses must be a positive integer (got ${numClasses})`);
  }
  if (palette !== undefined && numClasses !== undefined && palette.length > numClasses) {
    throw new ArgumentError(op, `palette has ${palette.length} colours but numClasses is ${numClasses}`);
  }

  const imageFiles = listPngs(op, options.images, "images");
  const maskFiles = listPngs(op, options.masks, "masks");
  for (const [name, path] of imageFiles) {
    if (!maskFiles.has(name)) throw new ArgumentError(op, `image ${path} has no mask ${join(options.masks, `${name}.png`)}`);
  }
  for (const [name, path] of maskFiles) {
    if (!imageFiles.has(name)) throw new ArgumentError(op, `mask ${path} has no image ${join(options.images, `${name}.png`)}`);
  }
  const names = [...imageFiles.keys()];
  if (names.length === 0) throw new ArgumentError(op, `no PNG images in ${options.images}`);

  const decoded: { name: string; image: DecodedPng; imagePath: string; mask: DecodedPng; maskPath: string }[] = [];
  for (const name of names) {
    const imagePath = imageFiles.get(name)!;
    const maskPath = maskFiles.get(name)!;
    const image = decodePng(readFileSync(imagePath), imagePath);
    const mask = decodePng(readFileSync(maskPath), maskPath);
    const first = decoded[0];
    if (first !== undefined && (image.width !== first.image.width || image.height !== first.image.height)) {
      throw new ShapeError(
        op,
        `images differ in size: ${first.imagePath} is ${first.image.width}x${first.image.height}, ${imagePath} is ${image.width}x${image.height} (width x height)`,
      );
    }
    if (mask.width !== image.width || mask.height !== image.height) {
      throw new ShapeError(
        op,
        `mask ${maskPath} is ${mask.width}x${mask.height} but image ${imagePath} is ${image.width}x${image.height} (width x height)`,
      );
    }
    decoded.push({ name, image, imagePath, mask, maskPath });
  }

  const n = decoded.length;
  const { width: w, height: h } = decoded[0].image;
  const plane = w * h;
  if (options.grayscale !== undefined && typeof options.grayscale !== "boolean") {
    throw new ArgumentError(op, `grayscale must be a boolean (got ${String(options.grayscale)})`);
  }
  const c = options.grayscale === true ? 1 : options.grayscale === false ? 3 : decoded.every((d) => !d.image.color) ? 1 : 3;

  const images = new Tensor("float32", [n, c, h, w]);
  const masks = labelTensor([n, h, w]);
  const x = images.data;
  let maxLabel = -1;
  decoded.forEach((d, i) => {
    const { rgba, maxValue, color } = d.image;
    const inv = 1 / maxValue;
    const base = i * c * plane;
    for (let p = 0; p < plane; p++) {
      const r = rgba[p * 4];
      const g = rgba[p * 4 + 1];
      const b = rgba[p * 4 + 2];
      if (c === 1) x[base + p] = (color ? 0.299 * r + 0.587 * g + 0.114 * b : r) * inv;
      else {
        x[base + p] = r * inv;
        x[base + plane + p] = g * inv;
        x[base + 2 * plane + p] = b * inv;
      }
    }

    const m = d.mask;
    const out = masks.data;
    const mbase = i * plane;
    const filePalette = m.palette !== undefined && palette === undefined ? indexPalette(m.palette) : undefined;
    for (let p = 0; p < plane; p++) {
      const r = m.rgba[p * 4];
      const g = m.rgba[p * 4 + 1];
      const b = m.rgba[p * 4 + 2];
      let label: number;
      if (palette !== undefined) {
        const key = (to8(r, m.maxValue) << 16) | (to8(g, m.maxValue) << 8) | to8(b, m.maxValue);
        const k = paletteIndex.get(key);
        if (k === undefined) {
          throw new FormatError(
            op,
            `mask ${d.maskPath} has colour (${to8(r, m.maxValue)}, ${to8(g, m.maxValue)}, ${to8(b, m.maxValue)}) at pixel (x ${p % w}, y ${Math.floor(p / w)}), which is not in the palette`,
          );
        }
        label = k;
      } else if (filePalette !== undefined) {
        label = filePalette.get((r << 16) | (g << 8) | b)!;
      } else {
        if (r !== g || g !== b) {
          throw new FormatError(
            op,
            `mask ${d.maskPath} is a colour image (pixel (x ${p % w}, y ${Math.floor(p / w)}) is (${r}, ${g}, ${b})); pass a palette to map colours to classes`,
          );
        }
        label = r;
        if (valueMap !== undefined && label !== ignoreIndex) {
          const mapped = valueMap[label];
          if (mapped === undefined) {
            throw new FormatError(op, `mask ${d.maskPath} has value ${label} at pixel (x ${p % w}, y ${Math.floor(p / w)}), which valueMap does not map`);
          }
          label = mapped;
        }
      }
      if (label !== ignoreIndex) {
        if (numClasses !== undefined && label >= numClasses) {
          throw new FormatError(
            op,
            `mask ${d.maskPath} has value ${label} at pixel (x ${p % w}, y ${Math.floor(p / w)}), outside the ${numClasses} classes 0-${numClasses - 1}`,
          );
        }
        if (label > maxLabel) maxLabel = label;
      }
      out[mbase + p] = label;
    }
  });
  if (numClasses === undefined) {
    if (maxLabel === 255 && valueMap === undefined) {
      const seen = new Set(masks.data);
      if ([...seen].every((v) => v === 0 || v === 255 || v === ignoreIndex)) {
        throw new ArgumentError(
          op,
          "masks hold only 0 and 255: binary masks saved as 0/255? pass valueMap: { 0: 0, 255: 1 } (or numClasses: 256 if 255 really is a class)",
        );
      }
    }
    numClasses = Math.max(1, maxLabel + 1);
  }
  const classNames = options.classNames?.slice() ?? Array.from({ length: numClasses }, (_, k) => String(k));
  if (classNames.length !== numClasses) {
    throw new ArgumentError(op, `classNames has ${classNames.length} names but there are ${numClasses} classes`);
  }
  return { images, masks, names, numClasses, classNames };
}

/** Colour -> first palette index of that colour. */
function indexPalette(palette: number[][]): Map<number, number> {
  const map = new Map<number, number>();
  palette.forEach((c, k) => {
    const key = (c[0] << 16) | (c[1] << 8) | c[2];
    if (!map.has(key)) map.set(key, k);
  });
  return map;
}
