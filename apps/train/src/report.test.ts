import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodePng } from "@unetkit/data/node";
import { beforeAll, describe, expect, it } from "vitest";
import { GRID_HEADER_HEIGHT, gridScale } from "./prediction-grid.js";
import { REPORT_FILES, TRAINING_PANELS, trainingCurvePoints, trainingCurvesSpec, writeReport } from "./report.js";
import { DEFAULT_CONFIG, type TrainConfig } from "./train-config.js";
import { train, type TrainResult } from "./trainer.js";

const TINY: TrainConfig = {
  ...DEFAULT_CONFIG,
  data: { ...DEFAULT_CONFIG.data, trainSize: 8, testSize: 10, imageSize: 32 },
  model: { ...DEFAULT_CONFIG.model, baseChannels: 2 },
  epochs: 2,
  batchSize: 4,
  seed: 5,
};

/** Every `src`/`href` of the page. */
function references(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
}

describe("writeReport after a tiny run", () => {
  let dir = "";
  let result: TrainResult;
  let files: string[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "unetkit-report-"));
    result = await train(TINY, dir);
    files = await writeReport(dir, result);
  });

  it("writes every report file and leaves no temporary files", () => {
    expect(files).toEqual([...REPORT_FILES]);
    for (const f of REPORT_FILES) expect(existsSync(join(dir, f)), f).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([...REPORT_FILES, "checkpoint.safetensors"].sort());
  });

  it("the curves are a valid PNG twice the SVG's size", () => {
    const svg = readFileSync(join(dir, "curves.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    const w = Number(/width="(\d+)"/.exec(svg)?.[1]);
    const h = Number(/height="(\d+)"/.exec(svg)?.[1]);
    const png = decodePng(readFileSync(join(dir, "curves.png")));
    expect([png.width, png.height]).toEqual([2 * w, 2 * h]);
    for (const panel of TRAINING_PANELS) expect(svg).toContain(`>${panel}<`);
  });

  it("the prediction grid has 3 columns and one row per test image (at most 8)", () => {
    const png = decodePng(readFileSync(join(dir, "predictions.png")));
    const cell = 32 * gridScale(32);
    expect(png.width).toBe(3 * cell + 2 * 2);
    expect(png.height).toBe(GRID_HEADER_HEIGHT + 8 * cell + 7 * 2);
  });

  it("index.html is self-contained and references every image, each of which exists", () => {
    const html = readFileSync(join(dir, "index.html"), "utf8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    const refs = references(html);
    for (const f of ["curves.png", "curves.svg", "predictions.png", "metrics.json", "model.safetensors"]) expect(refs).toContain(f);
    for (const r of refs) expect(existsSync(join(dir, r)), r).toBe(true);
    expect(html).not.toMatch(/<script|<link|https?:\/\//);
    const final = result.history[result.history.length - 1];
    expect(html).toContain(final.testMeanIoU.toFixed(4));
    expect(html).toContain(final.testAccuracy.toFixed(4));
    for (const name of result.session.classNames) expect(html).toContain(name);
    expect(html).toContain(`<div class="value">${TINY.seed}</div>`);
    expect(html).toMatch(/wall time/);
    expect(html).toContain("data.trainSize");
  });

  it("metrics.json carries the per-epoch figures, the configuration, the seed and the wall time", () => {
    const m = JSON.parse(readFileSync(join(dir, "metrics.json"), "utf8"));
    expect(m.epochs).toHaveLength(2);
    expect(m.seed).toBe(TINY.seed);
    expect(m.config).toEqual(TINY);
    expect(m.wallSeconds).toBeGreaterThan(0);
    expect(Object.keys(m.final.testIoU)).toEqual(result.session.classNames);
  });
});

describe("trainingCurvesSpec", () => {
  it("has the train loss, and train and test series of pixel accuracy and mean IoU, per epoch", () => {
    const history = [1, 2, 3].map((epoch) => ({
      epoch,
      trainLoss: 1 / epoch,
      trainAccuracy: 0.5 + epoch / 10,
      trainMeanIoU: 0.3 + epoch / 10,
      testAccuracy: 0.4 + epoch / 10,
      testMeanIoU: 0.2 + epoch / 10,
      testIoU: [0.5, 0.5, 0.5],
      lr: 0.01,
      seconds: 1,
      heapUsedMiB: 10,
    }));
    const series = (panel: string, s: string) =>
      trainingCurvePoints(history)
        .filter((p) => p.panel === panel && p.series === s)
        .map((p) => [p.epoch, p.value]);
    expect(series("loss", "train")).toEqual(history.map((r) => [r.epoch, r.trainLoss]));
    expect(series("loss", "test")).toEqual([]);
    expect(series("pixel accuracy", "train")).toEqual(history.map((r) => [r.epoch, r.trainAccuracy]));
    expect(series("pixel accuracy", "test")).toEqual(history.map((r) => [r.epoch, r.testAccuracy]));
    expect(series("mean IoU", "train")).toEqual(history.map((r) => [r.epoch, r.trainMeanIoU]));
    expect(series("mean IoU", "test")).toEqual(history.map((r) => [r.epoch, r.testMeanIoU]));
    const spec = trainingCurvesSpec(history) as Record<string, any>;
    expect(spec.data.values).toEqual(trainingCurvePoints(history));
    expect(spec.facet.column.sort).toEqual([...TRAINING_PANELS]);
    expect(spec.spec.encoding.color.scale.domain).toEqual(["train", "test"]);
  });
});
