import { join } from "node:path";
import { getBackend } from "@unetkit/tensor";
import { writeFileAtomic } from "@unetkit/tensor/node";
import { encodeUNetWeights } from "@unetkit/unet";
import type { TopLevelSpec } from "vega-lite";
import { curvesSpec, renderVegaLite, type CurvePoint } from "./chart.js";
import type { EpochRecord } from "./epoch-record.js";
import { classLegend, escapeHtml, figure, figureCards, flattenConfig, fmt, fmtSeconds, htmlPage, swatch, table } from "./html.js";
import { predictionGrid } from "./prediction-grid.js";
import type { TrainResult } from "./trainer.js";

/**
 * The JSON summary of a run: configuration, seed, per-epoch and final figures, wall time, kernel
 * backend.
 *
 * @example
 * ```ts
 * (metricsJson(result) as { final: { testMeanIoU: number } }).final.testMeanIoU;
 * ```
 */
export function metricsJson(result: TrainResult): object {
  const { session, history, wallSeconds } = result;
  const final = history[history.length - 1];
  return {
    format: "unetkit.metrics",
    version: 1,
    config: session.config,
    seed: session.config.seed,
    model: { ...session.model.config, parameters: session.model.parameterCount() },
    classNames: session.classNames,
    normalize: session.normalize ?? null,
    epochs: history,
    final: {
      trainLoss: final.trainLoss,
      trainAccuracy: final.trainAccuracy,
      trainMeanIoU: final.trainMeanIoU,
      // After precise BN when it is on (result.final); the per-epoch figures are as trained.
      testAccuracy: result.final.testAccuracy,
      testMeanIoU: result.final.testMeanIoU,
      testIoU: Object.fromEntries(session.classNames.map((n, i) => [n, result.final.testIoU[i]])),
      preciseBn: result.final.preciseBn,
      lastEpochTestMeanIoU: final.testMeanIoU,
    },
    wallSeconds,
    backend: getBackend().name,
    node: process.version,
  };
}

/** The panels of the training-curves chart, left to right. */
export const TRAINING_PANELS = ["loss", "pixel accuracy", "mean IoU"] as const;

/**
 * The long-format points of a run's training curves: the train loss, and pixel accuracy and mean
 * IoU on the training batches and on the test set, per epoch.
 *
 * @example
 * ```ts
 * trainingCurvePoints(history).filter((p) => p.panel === "mean IoU" && p.series === "test");
 * ```
 */
export function trainingCurvePoints(history: EpochRecord[]): CurvePoint[] {
  return history.flatMap((r) => [
    { epoch: r.epoch, panel: "loss", series: "train", value: r.trainLoss },
    { epoch: r.epoch, panel: "pixel accuracy", series: "train", value: r.trainAccuracy },
    { epoch: r.epoch, panel: "pixel accuracy", series: "test", value: r.testAccuracy },
    { epoch: r.epoch, panel: "mean IoU", series: "train", value: r.trainMeanIoU },
    { epoch: r.epoch, panel: "mean IoU", series: "test", value: r.testMeanIoU },
  ]);
}

/**
 * The vega-lite spec of a run's training curves: three panels (loss; pixel accuracy train and
 * test; mean IoU train and test) over epochs. Train figures are over the epoch's training batches
 * in training mode, test figures over the whole test set in eval mode.
 *
 * @example
 * ```ts
 * const chart = await renderVegaLite(trainingCurvesSpec(result.history));
 * ```
 */
export function trainingCurvesSpec(history: EpochRecord[]): TopLevelSpec {
  return curvesSpec(trainingCurvePoints(history), {
    title: "Training curves",
    panels: [...TRAINING_PANELS],
    series: ["train", "test"],
    seriesTitle: "data",
    colors: ["#1f77b4", "#ff7f0e"],
  });
}

const encoder = new TextEncoder();

/**
 * Writes text atomically (temp file, then rename).
 *
 * @example
 * ```ts
 * await writeTextAtomic("runs/a/index.html", html);
 * ```
 */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, encoder.encode(text));
}

/** The files of a chart written by {@link writeChart}, and its display size in CSS pixels. */
export interface ChartFiles {
  svg: string;
  png: string;
  /** The SVG's size (the PNG is twice as large, for sharp text). */
  width: number;
  height: number;
}

/**
 * Renders a vega-lite spec and writes `<name>.svg` and `<name>.png` (2x) atomically into `out`.
 *
 * @example
 * ```ts
 * await writeChart("runs/a", "curves", trainingCurvesSpec(history)); // { svg: "curves.svg", png: "curves.png", width, height }
 * ```
 */
export async function writeChart(out: string, name: string, spec: TopLevelSpec): Promise<ChartFiles> {
  const zoom = 2;
  const chart = await renderVegaLite(spec, zoom);
  await writeTextAtomic(join(out, `${name}.svg`), chart.svg);
  await writeFileAtomic(join(out, `${name}.png`), chart.png);
  return { svg: `${name}.svg`, png: `${name}.png`, width: chart.width / zoom, height: chart.height / zoom };
}

function describeModel(result: TrainResult): string {
  const m = result.session.config.model;
  return (
    `U-Net, depth ${m.depth}, base ${m.baseChannels} channels, ${m.upsample} upsampling, ` +
    `${m.skip ? (m.attention ? "skip connections with attention gates" : "skip connections") : "no skip connections"}, ` +
    `${m.padding} padding${m.batchNorm ? ", BatchNorm" : ""}`
  );
}

function describeData(result: TrainResult): string {
  const { session } = result;
  const d = session.config.data;
  const [nTrain, c, h, w] = session.train.images.shape;
  const nTest = session.test.images.shape[0];
  const source = d.kind === "shapes" ? `the circles/squares set${d.binary ? " (foreground/background)" : ""}` : `the PNG folder ${d.images}`;
  return `${source}: ${nTrain} training and ${nTest} test images of ${w}x${h}, ${c} channel${c > 1 ? "s" : ""}, classes ${session.classNames.join(", ")}`;
}

/**
 * The run's `index.html`: title, headline test figures, per-class IoU, the curves and prediction
 * grid (relative paths), the per-epoch table, the configuration, the seed and the wall time.
 * Self-contained: inline CSS, no scripts, nothing fetched.
 *
 * @example
 * ```ts
 * const html = trainingReportHtml(result, { chart, grid: "predictions.png", gridWidth: 388, gridRows: 8 });
 * ```
 */
export function trainingReportHtml(result: TrainResult, files: { chart: ChartFiles; grid: string; gridWidth: number; gridRows: number }): string {
  const { session, history, wallSeconds } = result;
  const config = session.config;
  const final = history[history.length - 1];
  const params = session.model.parameterCount();
  const iouRows = session.classNames.map((name, i) => [`${swatch(i)} ${escapeHtml(name)}`, fmt(result.final.testIoU[i])]);
  const epochRows = history.map((r) =>
    [String(r.epoch), fmt(r.trainLoss), fmt(r.trainAccuracy), fmt(r.trainMeanIoU), fmt(r.testAccuracy), fmt(r.testMeanIoU), fmt(r.lr, 5), r.seconds.toFixed(1)],
  );
  const body = [
    `<h1>unetkit training report</h1>`,
    `<p class="lead">${escapeHtml(describeModel(result))}, ${params.toLocaleString("en-US")} parameters; trained on ${escapeHtml(describeData(result))}; ` +
      `${config.loss} loss, ${config.optimizer} lr ${config.lr}${config.optimizer === "sgd" ? ` momentum ${config.momentum}` : ""}, batch ${config.batchSize}, ${config.epochs} epochs.</p>`,
    figureCards([
      { label: result.final.preciseBn ? "test mean IoU (precise BN)" : "test mean IoU", value: fmt(result.final.testMeanIoU) },
      { label: "test pixel accuracy", value: fmt(result.final.testAccuracy) },
      { label: "final train loss", value: fmt(final.trainLoss) },
      { label: "wall time", value: escapeHtml(fmtSeconds(wallSeconds)) },
      { label: "seed", value: String(config.seed) },
    ]),
    `<p class="note">Test figures come from one confusion matrix over the whole test set (eval mode); mean IoU averages the classes present in the truth or the prediction.${
      result.resumedFrom > 0 ? ` Resumed after epoch ${result.resumedFrom}; the wall time adds up all parts.` : ""
    }</p>`,
    `<h2>Per-class IoU (test set, after training${result.final.preciseBn ? ", BatchNorm statistics recomputed over the training set" : ""})</h2>`,
    table(["class", "IoU"], iouRows, "iou"),
    `<h2>Training curves</h2>`,
    figure(files.chart.png, "training curves", `Train figures are over each epoch's training batches (training mode); test figures over the test set after the epoch. Also as <a href="${files.chart.svg}">SVG</a>.`, files.chart.width),
    `<h2>Predictions</h2>`,
    figure(files.grid, "prediction grid", `The first ${files.gridRows} test images: input, ground truth and the model's prediction (eval mode). ${classLegend(session.classNames)}`, files.gridWidth),
    `<h2>Per-epoch figures</h2>`,
    table(["epoch", "train loss", "train acc", "train mIoU", "test acc", "test mIoU", "lr", "seconds"], epochRows, "epochs"),
    `<h2>Configuration</h2>`,
    table(["option", "value"], flattenConfig(config).map(([k, v]) => [escapeHtml(k), escapeHtml(v)]), "config"),
    `<p class="note">Files: <a href="metrics.json">metrics.json</a> (all figures), <a href="model.safetensors">model.safetensors</a> (weights, PyTorch state-dict keys), <code>checkpoint.safetensors</code> (for <code>--resume</code>). Kernel backend ${escapeHtml(getBackend().name)}, Node ${escapeHtml(process.version)}.</p>`,
  ].join("\n");
  return htmlPage(`unetkit training report (test mIoU ${fmt(result.final.testMeanIoU)})`, body);
}

/** The file names {@link writeReport} writes, in order. */
export const REPORT_FILES = ["metrics.json", "model.safetensors", "curves.svg", "curves.png", "predictions.png", "index.html"] as const;

/**
 * Writes the run's report into `out`: `metrics.json`, `model.safetensors` (loadable in PyTorch with
 * tools/unet_torch.py), the training curves (`curves.svg`, `curves.png`, vega-lite rendered in
 * Node), the prediction grid of 8 test images (`predictions.png`) and `index.html` showing them
 * all. Every file is written atomically (temp file, then rename). Returns the file names.
 *
 * @example
 * ```ts
 * const result = await train(config, "runs/a");
 * await writeReport("runs/a", result); // ["metrics.json", "model.safetensors", "curves.svg", ...]
 * ```
 */
export async function writeReport(out: string, result: TrainResult): Promise<string[]> {
  await writeTextAtomic(join(out, "metrics.json"), JSON.stringify(metricsJson(result), null, 2) + "\n");
  await writeFileAtomic(join(out, "model.safetensors"), encodeUNetWeights(result.session.model));
  const chart = await writeChart(out, "curves", trainingCurvesSpec(result.history));
  const grid = predictionGrid(result.session, 8);
  await writeFileAtomic(join(out, "predictions.png"), grid.png);
  const gridRows = Math.min(8, result.session.test.images.shape[0]);
  await writeTextAtomic(join(out, "index.html"), trainingReportHtml(result, { chart, grid: "predictions.png", gridWidth: grid.width, gridRows }));
  return [...REPORT_FILES];
}
