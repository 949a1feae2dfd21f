import { join } from "node:path";
import { getBackend } from "@unetkit/tensor";
import type { TopLevelSpec } from "vega-lite";
import { curvesSpec, type CurvePoint } from "./chart.js";
import type { ClassifierEpoch } from "./classifier-trainer.js";
import { escapeHtml, figure, figureCards, flattenConfig, fmt, fmtSeconds, htmlPage, table } from "./html.js";
import { writeChart, writeTextAtomic, type ChartFiles } from "./report.js";

/** The residual experiment's settings, as recorded in compare.json and shown in the report. */
export interface ResidualConfig {
  /** Where the data came from (see `loadClassificationSubsets`). */
  data: { name: string; source: string; trainSize: number; testSize: number; imageShape: number[]; classNames: string[] };
  /** Channels of each stage. */
  widths: number[];
  /** Stride of the stem convolution. */
  stemStride: number;
  /** BasicBlocks per stage of the shallow and of the deep pair. */
  shallowBlocks: number;
  deepBlocks: number;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  seed: number;
}

/** One trained network of the residual experiment. */
export interface ResidualRun {
  /** `residual-8`, `plain-38`, ...: kind and weight-layer count. */
  name: string;
  residual: boolean;
  blocksPerStage: number;
  /** Weight layers on the main path (stem, two per block, classifier), as ResNet-20 counts. */
  layers: number;
  parameters: number;
  history: ClassifierEpoch[];
  perClassTestAccuracy: (number | null)[];
  wallSeconds: number;
}

/** The panels of the residual chart, left to right. */
export const RESIDUAL_PANELS = ["train loss", "train accuracy", "test accuracy"] as const;

/** Colours: residual in blues, plain in oranges; the deeper network of each kind darker. */
function runColors(runs: ResidualRun[]): string[] {
  const depths = [...new Set(runs.map((r) => r.layers))].sort((a, b) => a - b);
  const blues = ["#6baed6", "#08519c", "#3182bd"];
  const oranges = ["#fd8d3c", "#a63603", "#e6550d"];
  return runs.map((r) => (r.residual ? blues : oranges)[Math.min(depths.indexOf(r.layers), 2)]);
}

/**
 * The long-format points of the residual chart: train loss, train accuracy and test accuracy per
 * epoch, one series per network.
 *
 * @example
 * ```ts
 * residualCurvePoints(runs).filter((p) => p.series === "plain-38");
 * ```
 */
export function residualCurvePoints(runs: ResidualRun[]): CurvePoint[] {
  return runs.flatMap((run) =>
    run.history.flatMap((r) => [
      { epoch: r.epoch, panel: "train loss", series: run.name, value: r.trainLoss },
      { epoch: r.epoch, panel: "train accuracy", series: run.name, value: r.trainAccuracy },
      { epoch: r.epoch, panel: "test accuracy", series: run.name, value: r.testAccuracy },
    ]),
  );
}

/**
 * The vega-lite spec of the residual experiment: three panels, residual networks in blue and plain
 * ones in orange, the deep pair darker and dashed.
 *
 * @example
 * ```ts
 * await renderVegaLite(residualCurvesSpec(runs));
 * ```
 */
export function residualCurvesSpec(runs: ResidualRun[]): TopLevelSpec {
  const deepest = Math.max(...runs.map((r) => r.layers));
  return curvesSpec(residualCurvePoints(runs), {
    title: "Residual vs plain networks",
    panels: [...RESIDUAL_PANELS],
    series: runs.map((r) => r.name),
    seriesTitle: "network",
    colors: runColors(runs),
    dashes: runs.map((r) => (r.layers === deepest && runs.some((o) => o.layers !== deepest) ? [6, 3] : [1, 0])),
  });
}

/**
 * The `compare.json` of the residual experiment: configuration and per network its final figures
 * (train loss and accuracy, test accuracy overall and per class) and per-epoch curves.
 *
 * @example
 * ```ts
 * JSON.stringify(residualSummary(config, runs), null, 2);
 * ```
 */
export function residualSummary(config: ResidualConfig, runs: ResidualRun[]): object {
  return {
    format: "unetkit.compare",
    version: 1,
    kind: "residual",
    seed: config.seed,
    backend: getBackend().name,
    config,
    runs: runs.map((r) => {
      const f = r.history[r.history.length - 1];
      return {
        name: r.name,
        residual: r.residual,
        blocksPerStage: r.blocksPerStage,
        layers: r.layers,
        parameters: r.parameters,
        testAccuracy: f.testAccuracy,
        trainAccuracy: f.trainAccuracy,
        trainLoss: f.trainLoss,
        perClassTestAccuracy: Object.fromEntries(config.data.classNames.map((c, i) => [c, r.perClassTestAccuracy[i] ?? null])),
        wallSeconds: r.wallSeconds,
        curves: r.history,
      };
    }),
  };
}

function final(r: ResidualRun): ClassifierEpoch {
  return r.history[r.history.length - 1];
}

function signed(v: number): string {
  return `${v >= 0 ? "+" : "−"}${Math.abs(v * 100).toFixed(1)} points`;
}

/**
 * What the figures say, in sentences computed from them (no claim the numbers do not support):
 * residual vs plain at each depth, and for each kind whether the deeper network fits the training
 * set worse (degradation) or not.
 *
 * @example
 * ```ts
 * residualFindings(runs); // ["At 8 layers the residual network ends at 0.748 ...", ...]
 * ```
 */
export function residualFindings(runs: ResidualRun[]): string[] {
  const out: string[] = [];
  const depths = [...new Set(runs.map((r) => r.layers))].sort((a, b) => a - b);
  for (const d of depths) {
    const res = runs.find((r) => r.residual && r.layers === d);
    const plain = runs.find((r) => !r.residual && r.layers === d);
    if (!res || !plain) continue;
    out.push(
      `At ${d} layers the residual network ends at ${fmt(final(res).testAccuracy, 3)} test accuracy and the plain one at ${fmt(final(plain).testAccuracy, 3)} ` +
        `(residual ${signed(final(res).testAccuracy - final(plain).testAccuracy)}); train accuracy ${fmt(final(res).trainAccuracy, 3)} vs ${fmt(final(plain).trainAccuracy, 3)}.`,
    );
  }
  if (depths.length >= 2) {
    const [lo, hi] = [depths[0], depths[depths.length - 1]];
    for (const residual of [false, true]) {
      const a = runs.find((r) => r.residual === residual && r.layers === lo);
      const b = runs.find((r) => r.residual === residual && r.layers === hi);
      if (!a || !b) continue;
      const kind = residual ? "residual" : "plain";
      const dTrain = final(b).trainAccuracy - final(a).trainAccuracy;
      const dTest = final(b).testAccuracy - final(a).testAccuracy;
      const verdict =
        dTrain < 0
          ? `the deeper ${kind} network fits the training set worse than the shallow one (${signed(dTrain)} train accuracy, ${signed(dTest)} test accuracy)${residual ? "" : ": the degradation problem, a deeper plain network optimises worse"}`
          : `the deeper ${kind} network fits the training set at least as well as the shallow one (${signed(dTrain)} train accuracy, ${signed(dTest)} test accuracy)${residual ? "" : ": no degradation at this size and budget"}`;
      out.push(`Going from ${lo} to ${hi} layers, ${verdict}.`);
    }
  }
  return out;
}

/**
 * The residual experiment's `index.html`: what was measured, the results table, findings, the chart.
 *
 * @example
 * ```ts
 * residualReportHtml(config, runs, { chart });
 * ```
 */
export function residualReportHtml(config: ResidualConfig, runs: ResidualRun[], files: { chart: ChartFiles }): string {
  const totalWall = runs.reduce((a, r) => a + r.wallSeconds, 0);
  const rows = runs.map((r) => {
    const f = final(r);
    return [
      escapeHtml(r.name),
      r.residual ? "residual" : "plain",
      String(r.blocksPerStage),
      String(r.layers),
      r.parameters.toLocaleString("en-US"),
      fmt(f.trainLoss),
      fmt(f.trainAccuracy),
      `<b>${fmt(f.testAccuracy)}</b>`,
      fmtSeconds(r.wallSeconds),
    ];
  });
  const [c, h, w] = config.data.imageShape;
  const stages = config.widths.map((wd, i) => `${wd} channels${i > 0 ? " (stride 2)" : ""}`).join(", ");
  const measured =
    `Data: ${escapeHtml(config.data.source)}; ${w}x${h} pixels, ${c} channel${c > 1 ? "s" : ""}, ${config.data.classNames.length} classes, inputs normalised with the training images' mean and std. ` +
    `Networks: a stem (3x3 convolution${config.stemStride > 1 ? `, stride ${config.stemStride}` : ""}, BatchNorm, ReLU), ${config.widths.length} stages of BasicBlocks (${stages}), global average pooling and a Linear layer. ` +
    `Each BasicBlock is conv3x3-BN-ReLU-conv3x3-BN, plus the shortcut (identity, or 1x1 convolution + BN where the shape changes), then ReLU; the plain twin is the same block without the shortcut. ` +
    `Both of a pair start from the same weights in every layer they share. ` +
    `Training: cross-entropy, SGD lr ${config.lr} momentum ${config.momentum}${config.weightDecay ? ` weight decay ${config.weightDecay}` : ""}, batch ${config.batchSize}, ${config.epochs} epochs, seed ${config.seed}. ` +
    `Train figures are over each epoch's batches in training mode; test accuracy is over the test images in eval mode after each epoch.`;
  const body = [
    `<h1>Residual connections: ResNet vs plain network</h1>`,
    `<p class="lead">The course module's experiment: the same small ResNet with and without its residual connections, at two depths (${config.shallowBlocks} and ${config.deepBlocks} blocks per stage). ` +
      `He et al. (2016) found that a deeper plain network trains to a <i>higher</i> training error than a shallower one (degradation), while residual connections let the deeper network train at least as well.</p>`,
    figureCards([
      ...runs.map((r) => ({ label: `${escapeHtml(r.name)}: test accuracy`, value: fmt(final(r).testAccuracy, 3) })),
      { label: "seed", value: String(config.seed) },
      { label: "wall time", value: escapeHtml(fmtSeconds(totalWall)) },
    ]),
    `<h2>What the figures say</h2>`,
    `<ul>${residualFindings(runs).map((s) => `<li>${escapeHtml(s)}</li>`).join("")}</ul>`,
    `<p class="note">A short run on a small subset: differences of a point or two are within what another seed could change. For a firmer answer run longer (<code>--epochs</code>, <code>--train-size</code>) or deeper (<code>--depth</code>).</p>`,
    `<h2>Final figures</h2>`,
    table(["network", "kind", "blocks / stage", "layers", "parameters", "train loss", "train acc", "test acc", "wall time"], rows, "results"),
    `<h2>Curves</h2>`,
    figure(files.chart.png, "residual vs plain curves", `Blue: residual; orange: plain; the deeper pair darker and dashed. Also as <a href="${files.chart.svg}">SVG</a>.`, files.chart.width),
    `<h2>What was measured</h2>`,
    `<p class="note">${measured}</p>`,
    table(["option", "value"], flattenConfig({ ...config, data: { ...config.data, classNames: undefined, source: undefined } }).map(([k, v]) => [escapeHtml(k), escapeHtml(v)]), "config"),
    `<p class="note">Figures: <a href="compare.json">compare.json</a> (per-epoch curves and per-class test accuracy). Kernel backend ${escapeHtml(getBackend().name)}, Node ${escapeHtml(process.version)}.</p>`,
  ].join("\n");
  return htmlPage("Residual vs plain networks", body);
}

/** The file names {@link writeResidualReport} writes. */
export const RESIDUAL_FILES = ["compare.json", "curves.svg", "curves.png", "index.html"] as const;

/**
 * Writes the residual experiment's report into `out`: `compare.json`, `curves.svg`/`.png` and
 * `index.html`, atomically. Returns the file names.
 *
 * @example
 * ```ts
 * await writeResidualReport("runs/compare-residual", config, runs);
 * ```
 */
export async function writeResidualReport(out: string, config: ResidualConfig, runs: ResidualRun[]): Promise<string[]> {
  await writeTextAtomic(join(out, "compare.json"), JSON.stringify(residualSummary(config, runs), null, 2) + "\n");
  const chart = await writeChart(out, "curves", residualCurvesSpec(runs));
  await writeTextAtomic(join(out, "index.html"), residualReportHtml(config, runs, { chart }));
  return [...RESIDUAL_FILES];
}
