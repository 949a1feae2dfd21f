import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { ArgumentError, FormatError } from "@unetkit/tensor";
import { writeFileAtomicSync } from "@unetkit/tensor/node";
import { PNG } from "pngjs";
import type { PngData } from "./png-data.js";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A decoded PNG: every pixel as RGBA samples at the file's own bit depth. */
export interface DecodedPng {
  width: number;
  height: number;
  /** Bit depth in the file (1, 2, 4, 8 or 16); palette PNGs decode to 8-bit colours. */
  depth: number;
  /** True for RGB/RGBA/palette files, false for grey and grey+alpha. */
  color: boolean;
  /** True when the file has an alpha channel or a tRNS chunk. */
  alpha: boolean;
  /** The palette (`[r, g, b, a]` per index) of a palette (colour type 3) file. */
  palette?: number[][];
  /** The largest sample value: `2^depth - 1`, or 255 for palette files. */
  maxValue: number;
  /**
   * `width*height*4` samples, RGBA interleaved, NOT rescaled (a 16-bit grey value of 1000 reads
   * 1000, a 1-bit white pixel reads 1). Grey files repeat the grey value in R, G and B.
   */
  rgba: Uint8Array | Uint16Array;
}

/**
 * Decodes PNG bytes with pngjs (any colour type, bit depths 1-16, palette, alpha, interlaced),
 * keeping the samples at their original depth. Throws `FormatError` naming `source` for bytes that
 * are not a PNG or are corrupt (bad CRC, truncated, bad zlib stream).
 *
 * @example
 * ```ts
 * const png = decodePng(readFileSync("a.png"), "a.png");
 * png.width; png.rgba[0]; // red of the top-left pixel
 * ```
 */
export function decodePng(bytes: Uint8Array, source = "PNG data"): DecodedPng {
  const op = "decodePng";
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new FormatError(op, `${source} is not a PNG file (missing the PNG signature)`);
  }
  let png: PNG & { depth: number; color: boolean; alpha: boolean; colorType: number; palette: unknown };
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true }) as typeof png;
  } catch (e) {
    throw new FormatError(op, `${source} is a corrupt PNG: ${(e as Error).message}`);
  }
  const isPalette = png.colorType === 3;
  const depth = png.depth;
  const raw = png.data as unknown as Uint8Array | Uint16Array;
  const rgba =
    raw instanceof Uint16Array
      ? raw
      : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  return {
    width: png.width,
    height: png.height,
    depth,
    color: png.color || isPalette,
    alpha: png.alpha,
    ...(isPalette && Array.isArray(png.palette) ? { palette: png.palette as number[][] } : {}),
    maxValue: isPalette ? 255 : 2 ** depth - 1,
    rgba,
  };
}

const COLOR_TYPES = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;

function checkPngData(op: string, image: PngData): void {
  if (image === null || typeof image !== "object") throw new ArgumentError(op, "expected { width, height, channels, data }");
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new ArgumentError(op, `width and height must be positive integers (got ${width}x${height})`);
  }
  if (!(channels in COLOR_TYPES)) throw new ArgumentError(op, `channels must be 1, 2, 3 or 4 (got ${channels})`);
  if (!(data instanceof Uint8Array) && !(data instanceof Uint16Array)) {
    throw new ArgumentError(op, "data must be a Uint8Array (8-bit) or a Uint16Array (16-bit)");
  }
  if (data.length !== width * height * channels) {
    throw new ArgumentError(op, `data has ${data.length} samples but ${width}x${height}x${channels} needs ${width * height * channels}`);
  }
}

/**
 * Encodes interleaved pixels as PNG bytes with pngjs: 1 channel grey, 2 grey+alpha, 3 RGB, 4 RGBA;
 * 8-bit from a `Uint8Array`, 16-bit from a `Uint16Array`.
 *
 * @example
 * ```ts
 * const bytes = encodePng({ width: 2, height: 1, channels: 1, data: Uint8Array.from([0, 255]) });
 * ```
 */
export function encodePng(image: PngData): Uint8Array {
  const op = "encodePng";
  checkPngData(op, image);
  const colorType = COLOR_TYPES[image.channels];
  const sixteen = image.data instanceof Uint16Array;
  // pngjs reads 16-bit input through `new Uint16Array(buffer.buffer)`: hand it an exact copy.
  const data = sixteen
    ? Buffer.from(new Uint16Array(image.data).buffer)
    : Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  const buffer = PNG.sync.write({ width: image.width, height: image.height, data } as unknown as PNG, {
    colorType,
    inputColorType: colorType,
    inputHasAlpha: image.channels === 2 || image.channels === 4,
    bitDepth: sixteen ? 16 : 8,
  });
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Encodes and writes a PNG atomically (see {@link encodePng}): through a flushed temporary file
 * renamed over `path` (`writeFileAtomicSync` of `@unetkit/tensor/node`), so a reader never sees a
 * half-written file. Creates missing parent directories.
 *
 * @example
 * ```ts
 * savePng("out/mask-0.png", colorizeMask(prediction));
 * savePng("out/image-0.png", imageToPngData(image));
 * ```
 */
export function savePng(path: string, image: PngData): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomicSync(path, encodePng(image));
}
