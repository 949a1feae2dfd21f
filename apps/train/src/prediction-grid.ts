import { DEFAULT_MASK_PALETTE, colorizeMask, imageToPngData, type PngData } from "@unetkit/data";
import { encodePng } from "@unetkit/data/node";
import { ArgumentError, Tensor } from "@unetkit/tensor";
import { centerCrop, predict } from "@unetkit/unet";
import { CHART_FONT, svgToPng } from "./chart.js";
import type { Session } from "./session.js";
import { cropMasks, normalizeInPlace } from "./trainer.js";

/** Options of {@link composeGrid}. */
export interface GridOptions {
  /** Integer upscaling of every cell, nearest neighbour (default 1). */
  scale?: number;
  /** Separator width in pixels between cells (default 2). */
  gap?: number;
  /** Separator colour (default white). */
  gapColor?: readonly [number, number, number];
}

function rgbAt(cell: PngData, p: number, c: number): number {
  const ch = cell.channels;
  // grey / grey+alpha repeat the grey sample; 8-bit only (imageToPngData and colorizeMask give 8-bit)
  return cell.data[p * ch + (ch < 3 ? 0 : c)];
}

/**
 * Lays out images as a grid (`rows[r][c]` at row r, column c), each upscaled `scale` times with
 * nearest neighbour, separated by `gap` pixels of `gapColor`; grey cells become RGB. Every cell of a
 * column must have the same width and every cell of a row the same height.
 *
 * Output size: width `sum(colWidths) * scale + gap * (columns - 1)`, height likewise. Always 8-bit
 * RGB.
 *
 * @example
 * ```ts
 * const grid = composeGrid([[input, truth, pred]], { scale: 2, gap: 2 }); // 64x64 cells -> 388 x 128
 * ```
 */
export function composeGrid(rows: PngData[][], options: GridOptions = {}): PngData {
  const op = "composeGrid";
  const scale = options.scale ?? 1;
  const gap = options.gap ?? 2;
  const [gr, gg, gb] = options.gapColor ?? [255, 255, 255];
  if (!Number.isInteger(scale) || scale < 1) throw new ArgumentError(op, `scale must be a positive integer (got ${scale})`);
  if (!Number.isInteger(gap) || gap < 0) throw new ArgumentError(op, `gap must be a non-negative integer (got ${gap})`);
  if (rows.length === 0 || rows[0].length === 0) throw new ArgumentError(op, "needs at least one row and one column");
  const cols = rows[0].length;
  const colW = rows[0].map((c) => c.width);
  const rowH = rows.map((r, i) => {
    if (r.length !== cols) throw new ArgumentError(op, `row ${i} has ${r.length} cells, row 0 has ${cols}`);
    r.forEach((cell, j) => {
      if (cell.width !== colW[j]) throw new ArgumentError(op, `cell (${i}, ${j}) is ${cell.width} wide, column ${j} is ${colW[j]}`);
      if (cell.height !== r[0].height) throw new ArgumentError(op, `cell (${i}, ${j}) is ${cell.height} high, row ${i} is ${r[0].height}`);
    });
    return r[0].height;
  });
  const width = colW.reduce((a, w) => a + w * scale, 0) + gap * (cols - 1);
  const height = rowH.reduce((a, h) => a + h * scale, 0) + gap * (rows.length - 1);
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    data[p * 3] = gr;
    data[p * 3 + 1] = gg;
    data[p * 3 + 2] = gb;
  }
  let y0 = 0;
  rows.forEach((row, i) => {
    let x0 = 0;
    row.forEach((cell, j) => {
      for (let y = 0; y < cell.height * scale; y++) {
        const sy = Math.floor(y / scale);
        const rowBase = ((y0 + y) * width + x0) * 3;
        for (let x = 0; x < cell.width * scale; x++) {
          const sp = sy * cell.width + Math.floor(x / scale);
          const o = rowBase + x * 3;
          data[o] = rgbAt(cell, sp, 0);
          data[o + 1] = rgbAt(cell, sp, 1);
          data[o + 2] = rgbAt(cell, sp, 2);
        }
      }
      x0 += colW[j] * scale + gap;
    });
    y0 += rowH[i] * scale + gap;
  });
  return { width, height, channels: 3, data };
}

/** The upscaling that makes a `size`-pixel cell about 128 pixels (at least 1). */
export function gridScale(size: number): number {
  return Math.max(1, Math.round(128 / size));
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] as string);
}

/** Height in pixels of the header band {@link labelledGrid} adds. */
export const GRID_HEADER_HEIGHT = 28;

/**
 * Encodes a grid as PNG with a header band of column titles above it (drawn with resvg in the
 * chart font). `columnCenters` are the x coordinates of the columns' centres in the grid.
 * Output size: `grid.width x (grid.height + GRID_HEADER_HEIGHT)`.
 *
 * @example
 * ```ts
 * const png = labelledGrid(grid, ["input", "truth", "prediction"], [64, 194, 324]);
 * ```
 */
export function labelledGrid(grid: PngData, titles: string[], columnCenters: number[]): Uint8Array {
  const h = grid.height + GRID_HEADER_HEIGHT;
  const href = `data:image/png;base64,${Buffer.from(encodePng(grid)).toString("base64")}`;
  const maxChars = Math.max(4, Math.floor((grid.width / Math.max(1, titles.length)) / 7.5));
  const labels = titles
    .map((t, i) => {
      const text = t.length > maxChars ? `${t.slice(0, maxChars - 1)}…` : t;
      return `<text x="${columnCenters[i]}" y="19" text-anchor="middle" font-family="${CHART_FONT}" font-size="13" fill="#222">${escapeXml(text)}</text>`;
    })
    .join("");
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${grid.width}" height="${h}" viewBox="0 0 ${grid.width} ${h}">` +
    `<rect width="${grid.width}" height="${h}" fill="white"/>${labels}` +
    `<image x="0" y="${GRID_HEADER_HEIGHT}" width="${grid.width}" height="${grid.height}" image-rendering="optimizeSpeed" xlink:href="${href}"/></svg>`;
  return svgToPng(svg, 1).png;
}

/** A column of a prediction grid: a title and one image per row. */
export interface GridColumn {
  title: string;
  cells: PngData[];
}

/**
 * Renders columns of equally sized cells (rows = images) as a titled grid PNG: cells upscaled to
 * about 128 pixels ({@link gridScale}), 2-pixel white separators, titles on top.
 *
 * @example
 * ```ts
 * const { png, width, height } = renderGrid([{ title: "input", cells: inputs }, { title: "truth", cells: truths }]);
 * ```
 */
export function renderGrid(columns: GridColumn[]): { png: Uint8Array; width: number; height: number } {
  if (columns.length === 0) throw new ArgumentError("renderGrid", "needs at least one column");
  const n = columns[0].cells.length;
  columns.forEach((c) => {
    if (c.cells.length !== n) throw new ArgumentError("renderGrid", `column "${c.title}" has ${c.cells.length} cells, "${columns[0].title}" has ${n}`);
  });
  const first = columns[0].cells[0];
  const scale = gridScale(Math.max(first.width, first.height));
  const gap = 2;
  const rows = Array.from({ length: n }, (_, r) => columns.map((c) => c.cells[r]));
  const grid = composeGrid(rows, { scale, gap });
  let x = 0;
  const centers = columns.map((c) => {
    const w = c.cells[0].width * scale;
    const center = x + w / 2;
    x += w + gap;
    return center;
  });
  return { png: labelledGrid(grid, columns.map((c) => c.title), centers), width: grid.width, height: grid.height + GRID_HEADER_HEIGHT };
}

/** The first `count` test images of a session: raw inputs and their masks, `[n, C, H, W]` and `[n, H, W]`. */
export function firstTestImages(session: Session, count: number): { images: Tensor; masks: { shape: [number, number, number]; data: Int32Array } } {
  const set = session.test;
  const [total, c, h, w] = set.images.shape;
  const n = Math.min(count, total);
  return {
    images: new Tensor(set.images.dtype, [n, c, h, w], set.images.data.slice(0, n * c * h * w)),
    masks: { shape: [n, h, w], data: set.masks.data.slice(0, n * h * w) },
  };
}

/**
 * Predicts masks for images with a session's model in eval mode (via `predict` from
 * `@unetkit/unet`), applying the run's normalisation to a copy first, as `evaluate` does. Returns
 * the `[n, h, w]` masks (smaller than the input with `valid` padding).
 *
 * @example
 * ```ts
 * const { images } = firstTestImages(session, 8);
 * const masks = predictMasks(session, images); // { shape: [8, 64, 64], data }
 * ```
 */
export function predictMasks(session: Pick<Session, "model" | "normalize">, images: Tensor): { shape: [number, number, number]; data: Int32Array } {
  const x = images.clone();
  if (session.normalize) normalizeInPlace(x, session.normalize);
  const { mask, maskShape } = predict(session.model, x);
  return { shape: maskShape, data: mask };
}

/** Splits `[n, C, H, W]` images into PNG cells, centre-cropped to `h x w`. */
export function imageCells(images: Tensor, h: number, w: number): PngData[] {
  const cropped = images.shape[2] === h && images.shape[3] === w ? images : centerCrop(images, h, w, "imageCells");
  const [n, c] = cropped.shape;
  const plane = c * h * w;
  return Array.from({ length: n }, (_, i) =>
    imageToPngData(new Tensor(cropped.dtype, [c, h, w], cropped.data.slice(i * plane, (i + 1) * plane))),
  );
}

/**
 * Mask colours for `n` classes: `DEFAULT_MASK_PALETTE` (20 colours, as `colorizeMask`), extended
 * for larger label sets with evenly spaced hues, so a folder data set with many classes still gets
 * its grid.
 *
 * @example
 * ```ts
 * maskPalette(3);  // the first 20 default colours
 * maskPalette(30); // 30 colours
 * ```
 */
export function maskPalette(n: number): (readonly number[])[] {
  const out: (readonly number[])[] = [...DEFAULT_MASK_PALETTE];
  for (let k = out.length; k < n; k++) {
    const hue = ((k * 137.508) % 360) / 60;
    const x = 1 - Math.abs((hue % 2) - 1);
    const [r, g, b] = hue < 1 ? [1, x, 0] : hue < 2 ? [x, 1, 0] : hue < 3 ? [0, 1, x] : hue < 4 ? [0, x, 1] : hue < 5 ? [x, 0, 1] : [1, 0, x];
    out.push([Math.round(40 + 200 * r), Math.round(40 + 200 * g), Math.round(40 + 200 * b)]);
  }
  return out;
}

/** Splits `[n, H, W]` masks into colourised PNG cells ({@link maskPalette}), centre-cropped to `h x w`. */
export function maskCells(masks: { shape: readonly number[]; data: Int32Array }, h: number, w: number): PngData[] {
  const cropped = cropMasks({ shape: [masks.shape[0], masks.shape[1], masks.shape[2]], data: masks.data }, h, w);
  const n = cropped.shape[0];
  let maxLabel = 0;
  for (const v of cropped.data) if (v > maxLabel) maxLabel = v;
  const palette = maskPalette(maxLabel + 1);
  return Array.from({ length: n }, (_, i) => colorizeMask({ shape: [h, w], data: cropped.data.slice(i * h * w, (i + 1) * h * w) }, palette));
}

/**
 * The prediction grid of a run: for the first `count` test images, rows of input, ground truth
 * (colourised mask) and the model's prediction (eval mode), as a titled PNG.
 *
 * @example
 * ```ts
 * const { png } = predictionGrid(result.session, 8);
 * ```
 */
export function predictionGrid(session: Session, count = 8): { png: Uint8Array; width: number; height: number } {
  const { images, masks } = firstTestImages(session, count);
  const pred = predictMasks(session, images);
  const [, h, w] = pred.shape;
  return renderGrid([
    { title: "input", cells: imageCells(images, h, w) },
    { title: "ground truth", cells: maskCells(masks, h, w) },
    { title: "prediction", cells: maskCells(pred, h, w) },
  ]);
}
