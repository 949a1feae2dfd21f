import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { Error as LOG_ERRORS, View, logger, parse } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** The font every chart and grid label uses (bundled with the app, see {@link chartFontFiles}). */
export const CHART_FONT = "DejaVu Sans";

const DEBIAN_DEJAVU = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"];

let fontFilesCache: string[] | undefined;

/**
 * The TrueType files resvg draws text with: DejaVu Sans (regular and bold) from the
 * `dejavu-fonts-ttf` npm package (a dependency, so present on a fresh machine), then Debian's
 * `fonts-dejavu-core` copies when installed. resvg cannot read the woff2 files most font packages
 * ship, hence a package with `.ttf` files.
 *
 * @example
 * ```ts
 * chartFontFiles(); // [".../dejavu-fonts-ttf/ttf/DejaVuSans.ttf", ".../DejaVuSans-Bold.ttf", ...]
 * ```
 */
export function chartFontFiles(): string[] {
  if (fontFilesCache) return fontFilesCache;
  const files: string[] = [];
  try {
    const dir = join(dirname(createRequire(import.meta.url).resolve("dejavu-fonts-ttf/package.json")), "ttf");
    files.push(join(dir, "DejaVuSans.ttf"), join(dir, "DejaVuSans-Bold.ttf"));
  } catch {
    // Not installed: fall back to the system's fonts below.
  }
  files.push(...DEBIAN_DEJAVU);
  fontFilesCache = files.filter((f) => existsSync(f));
  return fontFilesCache;
}

/**
 * Renders SVG text to PNG bytes with resvg at `zoom` times the SVG's size, on white. Text uses
 * {@link chartFontFiles} (system fonts are scanned only when none of those exist).
 *
 * @example
 * ```ts
 * const { png, width, height } = svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', 2);
 * // width 20, height 20
 * ```
 */
export function svgToPng(svg: string, zoom = 1): { png: Uint8Array; width: number; height: number } {
  const fontFiles = chartFontFiles();
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: zoom },
    font: { fontFiles, loadSystemFonts: fontFiles.length === 0, defaultFontFamily: CHART_FONT, sansSerifFamily: CHART_FONT },
    imageRendering: 1,
    shapeRendering: 2,
  });
  const image = resvg.render();
  return { png: new Uint8Array(image.asPng()), width: image.width, height: image.height };
}

/** A rendered chart: the SVG (vega's output) and a PNG of it. */
export interface RenderedChart {
  svg: string;
  png: Uint8Array;
  /** PNG size in pixels. */
  width: number;
  height: number;
}

/**
 * Renders a vega-lite spec: compiled to a vega spec, drawn to SVG by a headless vega `View`
 * (renderer "none", no canvas needed), then rasterised by resvg at `zoom` (default 2, for sharp
 * text on high-density screens).
 *
 * @example
 * ```ts
 * const chart = await renderVegaLite(trainingCurvesSpec(history));
 * writeFileSync("curves.svg", chart.svg);
 * writeFileSync("curves.png", chart.png);
 * ```
 */
export async function renderVegaLite(spec: TopLevelSpec, zoom = 2): Promise<RenderedChart> {
  // Warnings would go to the console (and through --quiet); a bad spec still throws.
  const log = logger(LOG_ERRORS);
  const view = new View(parse(compile(spec, { logger: log }).spec), { renderer: "none", logLevel: LOG_ERRORS });
  try {
    const svg = await view.toSVG();
    return { svg, ...svgToPng(svg, zoom) };
  } finally {
    view.finalize();
  }
}

/** One point of a chart's long-format data: a value of a series in a panel at an epoch. */
export interface CurvePoint {
  epoch: number;
  /** The panel (facet column) the point belongs to, e.g. "mean IoU". */
  panel: string;
  /** The line within the panel, e.g. "test" or a variant name. */
  series: string;
  value: number;
}

/** Options of {@link curvesSpec}. */
export interface CurvesSpecOptions {
  title: string;
  /** Panel order, left to right. */
  panels: string[];
  /** Series order (legend order and colours). */
  series: string[];
  /** Legend title (default "series"). */
  seriesTitle?: string;
  /** Explicit colours, one per series (default: vega's category10). */
  colors?: string[];
  /** Dash patterns, one per series (e.g. `[[1, 0], [6, 3]]`); default solid. */
  dashes?: number[][];
  /** Panel width in pixels (default 260). */
  panelWidth?: number;
}

/**
 * A vega-lite spec of per-epoch curves: one panel per metric side by side (independent y axes),
 * one coloured line with points per series, epochs on the x axis as integers.
 *
 * @example
 * ```ts
 * curvesSpec([{ epoch: 1, panel: "loss", series: "train", value: 0.7 }], { title: "Training", panels: ["loss"], series: ["train"] });
 * ```
 */
export function curvesSpec(points: CurvePoint[], options: CurvesSpecOptions): TopLevelSpec {
  const maxEpoch = points.reduce((m, p) => Math.max(m, p.epoch), 1);
  const color: Record<string, unknown> = {
    field: "series",
    type: "nominal",
    title: options.seriesTitle ?? "series",
    sort: options.series,
    scale: options.colors ? { domain: options.series, range: options.colors } : { domain: options.series },
    legend: { orient: "bottom", direction: "horizontal", columns: Math.min(options.series.length, 4), labelLimit: 320 },
  };
  const encoding: Record<string, unknown> = {
    x: {
      field: "epoch",
      type: "quantitative",
      title: "epoch",
      scale: { domain: [1, Math.max(2, maxEpoch)], nice: false },
      axis: { tickMinStep: 1, format: "d" },
    },
    y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
    color,
    tooltip: [{ field: "series" }, { field: "epoch" }, { field: "value", format: ".4f" }],
  };
  if (options.dashes) {
    encoding.strokeDash = { field: "series", type: "nominal", sort: options.series, scale: { domain: options.series, range: options.dashes } };
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: options.title, anchor: "start", fontSize: 15, offset: 14 },
    background: "white",
    padding: 12,
    data: { values: points as unknown as Record<string, unknown>[] },
    facet: { column: { field: "panel", type: "nominal", sort: options.panels, title: null, header: { labelFontSize: 13, labelFontWeight: "bold" } } },
    spec: {
      width: options.panelWidth ?? 260,
      height: 190,
      mark: { type: "line", point: { size: 28 }, strokeWidth: 2 },
      encoding,
    },
    resolve: { scale: { y: "independent" } },
    config: { font: CHART_FONT, view: { stroke: "#ccc" }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 12, titleFontSize: 12 } },
  } as TopLevelSpec;
}
