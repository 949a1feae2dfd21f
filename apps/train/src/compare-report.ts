import { join } from "node:path";
import { getBackend } from "@unetkit/tensor";
import { writeFileAtomic } from "@unetkit/tensor/node";
import type { TopLevelSpec } from "vega-lite";
import { curvesSpec, type CurvePoint } from "./chart.js";
import { classLegend, escapeHtml, figure, figureCards, flattenConfig, fmt, fmtSeconds, htmlPage, swatch, table } from "./html.js";
import { firstTestImages, imageCells, maskCells, predictMasks, renderGrid } from "./prediction-grid.js";
import { writeChart, writeTextAtomic, type ChartFiles } from "./report.js";
import type { TrainResult } from "./trainer.js";

/** One trained variant of a segmentation comparison. */
export interface CompareRun {
  /** Variant name, also its subfolder (`with-skip`, `bilinear`, ...). */
  name: string;
  result: TrainResult;
}

/** What each comparison is about, for the page's title and lead paragraph. */
const DESCRIPTIONS: Record<string, { title: string; text: string }> = {
  skip: {
    title: "Skip connections: with vs without",
    text: "The seed notebook's experiment: the same U-Net trained with and without its skip connections (the encoder features copied into the decoder), same data, same seed, same schedule. Without skips the decoder must rebuild the shapes' edges from the bottleneck alone.",
  },
  upsampling: {
    title: "Upsampling: nearest vs bilinear vs transposed convolution",
    text: "The same U-Net with its decoder upsampling by nearest-neighbour repetition, bilinear interpolation, or a learned 2x2 transposed convolution; same data, same seed, same schedule.",
  },
};

/** The panels of the comparison chart, left to right. */
export const COMPARE_PANELS = ["test mean IoU", "train loss"] as const;

/**
 * The long-format points of a comparison chart: test mean IoU and train loss per epoch, one series
 * per variant.
 *
 * @example
 * ```ts
 * compareCurvePoints(runs).filter((p) => p.series === "without-skip");
 * ```
 */
export function compareCurvePoints(runs: CompareRun[]): CurvePoint[] {
  return runs.flatMap(({ name, result }) =>
    result.history.flatMap((r) => [
      { epoch: r.epoch, panel: "test mean IoU", series: name, value: r.testMeanIoU },
      { epoch: r.epoch, panel: "train loss", series: name, value: r.trainLoss },
    ]),
  );
}

/**
 * The vega-lite spec of a comparison: test mean IoU and train loss per epoch side by side, one
 * colour per variant.
 *
 * @example
 * ```ts
 * await renderVegaLite(compareCurvesSpec("skip", runs));
 * ```
 */
export function compareCurvesSpec(kind: string, runs: CompareRun[]): TopLevelSpec {
  return curvesSpec(compareCurvePoints(runs), {
    title: DESCRIPTIONS[kind]?.title ?? `compare ${kind}`,
    panels: [...COMPARE_PANELS],
    series: runs.map((r) => r.name),
    seriesTitle: "variant",
    panelWidth: 340,
  });
}

/**
 * The `compare.json` summary: kind, seed, the shared configuration, and per variant its final test
 * mean IoU, pixel accuracy and per-class IoU (a table by class name), parameters, wall time and
 * per-epoch curves.
 *
 * @example
 * ```ts
 * JSON.stringify(compareSummary("skip", runs), null, 2);
 * ```
 */
export function compareSummary(kind: string, runs: CompareRun[]): object {
  const base = runs[0].result.session;
  return {
    format: "unetkit.compare",
    version: 1,
    kind,
    seed: base.config.seed,
    backend: getBackend().name,
    config: base.config,
    classNames: base.classNames,
    runs: runs.map(({ name, result }) => {
      const final = { ...result.history[result.history.length - 1], ...result.final };
      return {
        name,
        folder: name,
        model: result.session.config.model,
        testMeanIoU: final.testMeanIoU,
        testAccuracy: final.testAccuracy,
        testIoU: Object.fromEntries(result.session.classNames.map((c, i) => [c, final.testIoU[i]])),
        trainLoss: final.trainLoss,
        parameters: result.session.model.parameterCount(),
        wallSeconds: result.wallSeconds,
        curves: result.history.map((r) => ({ epoch: r.epoch, trainLoss: r.trainLoss, testMeanIoU: r.testMeanIoU, testAccuracy: r.testAccuracy })),
      };
    }),
  };
}

/**
 * The side-by-side prediction grid: for the first `count` test images (the variants share the data
 * and seed), columns input, ground truth, then one prediction column per variant (eval mode).
 * Cells are centre-cropped to the smallest output size among the variants (`valid` padding).
 *
 * @example
 * ```ts
 * const { png } = compareGrid(runs, 8); // 2 + runs.length columns
 * ```
 */
export function compareGrid(runs: CompareRun[], count = 8): { png: Uint8Array; width: number; height: number } {
  const { images, masks } = firstTestImages(runs[0].result.session, count);
  const preds = runs.map((r) => predictMasks(r.result.session, images));
  const h = Math.min(...preds.map((p) => p.shape[1]));
  const w = Math.min(...preds.map((p) => p.shape[2]));
  return renderGrid([
    { title: "input", cells: imageCells(images, h, w) },
    { title: "ground truth", cells: maskCells(masks, h, w) },
    ...runs.map((r, i) => ({ title: r.name, cells: maskCells(preds[i], h, w) })),
  ]);
}

/**
 * The comparison's `index.html`: results table, per-class IoU, chart, grid, links to each
 * variant's report.
 *
 * @example
 * ```ts
 * compareReportHtml("skip", runs, { chart, grid: "predictions.png", gridWidth: 518, gridRows: 8 });
 * ```
 */
export function compareReportHtml(kind: string, runs: CompareRun[], files: { chart: ChartFiles; grid: string; gridWidth: number; gridRows: number }): string {
  const desc = DESCRIPTIONS[kind] ?? { title: `compare ${kind}`, text: "" };
  const session = runs[0].result.session;
  const config = session.config;
  const finals = runs.map((r) => ({ ...r.result.history[r.result.history.length - 1], ...r.result.final }));
  const best = Math.max(...finals.map((f) => f.testMeanIoU));
  const totalWall = runs.reduce((a, r) => a + r.result.wallSeconds, 0);
  const rows = runs.map((r, i) => {
    const f = finals[i];
    const cls = f.testMeanIoU === best ? ` class="best"` : "";
    return [
      `<a href="${encodeURI(r.name)}/index.html"${cls}>${escapeHtml(r.name)}</a>`,
      `<span${cls}>${fmt(f.testMeanIoU)}</span>`,
      fmt(f.testAccuracy),
      ...session.classNames.map((_, k) => fmt(f.testIoU[k])),
      fmt(f.trainLoss),
      r.result.session.model.parameterCount().toLocaleString("en-US"),
      fmtSeconds(r.result.wallSeconds),
    ];
  });
  const [nTrain, , h, w] = session.train.images.shape;
  const body = [
    `<h1>${escapeHtml(desc.title)}</h1>`,
    `<p class="lead">${escapeHtml(desc.text)} Data: ${config.data.kind === "shapes" ? "the circles/squares set" : `the PNG folder ${escapeHtml(String(config.data.images))}`}, ${nTrain} training and ${session.test.images.shape[0]} test images of ${w}x${h}; ${config.epochs} epochs, batch ${config.batchSize}, ${config.optimizer} lr ${config.lr}.</p>`,
    figureCards([
      ...runs.map((r, i) => ({ label: `${escapeHtml(r.name)}: test mIoU`, value: fmt(finals[i].testMeanIoU) })),
      { label: "seed", value: String(config.seed) },
      { label: "wall time (all variants)", value: escapeHtml(fmtSeconds(totalWall)) },
    ]),
    `<h2>Final test figures</h2>`,
    table(
      ["variant", "test mIoU", "pixel acc", ...session.classNames.map((c, k) => `${swatch(k)} IoU ${escapeHtml(c)}`), "train loss", "parameters", "wall time"],
      rows,
      "results",
    ),
    `<p class="note">Each variant's own report (curves, predictions, metrics.json, weights) is in its folder; the variant names link to them.</p>`,
    `<h2>Curves</h2>`,
    figure(files.chart.png, "comparison curves", `Test mean IoU (whole test set, eval mode) and train loss per epoch. Also as <a href="${files.chart.svg}">SVG</a>.`, files.chart.width),
    `<h2>Predictions side by side</h2>`,
    figure(files.grid, "prediction grid", `The first ${files.gridRows} test images: input, ground truth, then each variant's prediction. ${classLegend(session.classNames)}`, files.gridWidth),
    `<h2>Shared configuration</h2>`,
    table(["option", "value"], flattenConfig(config).map(([k, v]) => [escapeHtml(k), escapeHtml(v)]), "config"),
    `<p class="note">Variants change only: ${runs.map((r) => `${escapeHtml(r.name)} (${escapeHtml(variantDiff(config, r.result.session.config))})`).join("; ")}. Figures: <a href="compare.json">compare.json</a>. Kernel backend ${escapeHtml(getBackend().name)}.</p>`,
  ].join("\n");
  return htmlPage(desc.title, body);
}

function variantDiff(base: object, cfg: object): string {
  const a = new Map(flattenConfig(base));
  const diffs = flattenConfig(cfg).filter(([k, v]) => a.get(k) !== v);
  return diffs.length ? diffs.map(([k, v]) => `${k} = ${v}`).join(", ") : "nothing: the base configuration";
}

/** The file names {@link writeCompareReport} writes into the comparison folder. */
export const COMPARE_FILES = ["compare.json", "curves.svg", "curves.png", "predictions.png", "index.html"] as const;

/**
 * Writes a segmentation comparison's report into `out` (each variant's own report is already in
 * `out/<name>/`): `compare.json`, the chart of all variants (`curves.svg`/`.png`), the side-by-side
 * prediction grid (`predictions.png`) and `index.html`. Atomic writes; returns the file names.
 *
 * @example
 * ```ts
 * await writeCompareReport("runs/compare-skip", "skip", runs);
 * ```
 */
export async function writeCompareReport(out: string, kind: string, runs: CompareRun[]): Promise<string[]> {
  await writeTextAtomic(join(out, "compare.json"), JSON.stringify(compareSummary(kind, runs), null, 2) + "\n");
  const chart = await writeChart(out, "curves", compareCurvesSpec(kind, runs));
  const grid = compareGrid(runs, 8);
  await writeFileAtomic(join(out, "predictions.png"), grid.png);
  const gridRows = Math.min(8, runs[0].result.session.test.images.shape[0]);
  await writeTextAtomic(join(out, "index.html"), compareReportHtml(kind, runs, { chart, grid: "predictions.png", gridWidth: grid.width, gridRows }));
  return [...COMPARE_FILES];
}
