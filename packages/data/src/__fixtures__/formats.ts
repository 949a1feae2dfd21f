// Test-only writers of the file formats the package reads (excluded from the published files).
import { crc32, deflateSync } from "node:zlib";

/** Writes an IDX file by the spec: 00 00 type rank, big-endian uint32 sizes, big-endian values. */
export function writeIdx(
  dtype: "uint8" | "int8" | "int16" | "int32" | "float32" | "float64",
  shape: number[],
  values: ArrayLike<number>,
): Uint8Array {
  const [code, size] = {
    uint8: [0x08, 1],
    int8: [0x09, 1],
    int16: [0x0b, 2],
    int32: [0x0c, 4],
    float32: [0x0d, 4],
    float64: [0x0e, 8],
  }[dtype];
  const out = new Uint8Array(4 + 4 * shape.length + size * values.length);
  const v = new DataView(out.buffer);
  out[2] = code;
  out[3] = shape.length;
  shape.forEach((s, i) => v.setUint32(4 + 4 * i, s, false));
  let o = 4 + 4 * shape.length;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (dtype === "uint8") v.setUint8(o, x);
    else if (dtype === "int8") v.setInt8(o, x);
    else if (dtype === "int16") v.setInt16(o, x, false);
    else if (dtype === "int32") v.setInt32(o, x, false);
    else if (dtype === "float32") v.setFloat32(o, x, false);
    else v.setFloat64(o, x, false);
    o += size;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length, false);
  const typeAndData = new Uint8Array(4 + data.length);
  for (let i = 0; i < 4; i++) typeAndData[i] = type.charCodeAt(i);
  typeAndData.set(data, 4);
  out.set(typeAndData, 4);
  v.setUint32(8 + data.length, crc32(typeAndData) >>> 0, false);
  return out;
}

/**
 * An 8-bit palette PNG (colour type 3) written by hand from the PNG spec (pngjs cannot write
 * palette files): `indices` row-major, `palette` of `[r, g, b]`.
 */
export function writePalettePng(width: number, height: number, indices: ArrayLike<number>, palette: number[][]): Uint8Array {
  return writeOneSamplePng(width, height, 8, 3, indices, palette);
}

/**
 * A PNG with one sample per pixel written by hand: grey (colour type 0) or palette (3) at bit
 * depth 1, 2, 4 or 8, samples packed big-endian within each row as the spec says.
 */
export function writeOneSamplePng(
  width: number,
  height: number,
  depth: 1 | 2 | 4 | 8,
  colorType: 0 | 3,
  samples: ArrayLike<number>,
  palette?: number[][],
): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width, false);
  v.setUint32(4, height, false);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  const rowBytes = Math.ceil((width * depth) / 8);
  const raw = new Uint8Array(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) {
    const row = y * (rowBytes + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      raw[row + 1 + (bit >> 3)] |= samples[y * width + x] << (8 - depth - (bit & 7));
    }
  }
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    ...(palette ? [chunk("PLTE", new Uint8Array(palette.flat()))] : []),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
