import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodePng } from "@unetkit/data/node";
import { beforeAll, describe, expect, it } from "vitest";
import { variants } from "./compare-command.js";
import { COMPARE_FILES, COMPARE_PANELS, compareCurvePoints, compareCurvesSpec, writeCompareReport, type CompareRun } from "./compare-report.js";
import { GRID_HEADER_HEIGHT, gridScale } from "./prediction-grid.js";
import { DEFAULT_CONFIG, type TrainConfig } from "./train-config.js";
import { trainAndReport } from "./train-command.js";

const TINY: TrainConfig = {
  ...DEFAULT_CONFIG,
  data: { ...DEFAULT_CONFIG.data, trainSize: 8, testSize: 5, imageSize: 32 },
  model: { ...DEFAULT_CONFIG.model, baseChannels: 2 },
  epochs: 2,
  batchSize: 4,
  seed: 11,
};

describe("compare skip report after tiny runs", () => {
  let out = "";
  let runs: CompareRun[] = [];
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), "unetkit-compare-"));
    for (const v of variants("skip", TINY)) runs.push({ name: v.name, result: await trainAndReport(v.config, join(out, v.name), "quiet", false) });
    await writeCompareReport(out, "skip", runs);
  });

  it("writes compare.json with each variant's final test IoU per class, and the curves", () => {
    for (const f of COMPARE_FILES) expect(existsSync(join(out, f)), f).toBe(true);
    const s = JSON.parse(readFileSync(join(out, "compare.json"), "utf8"));
    expect(s.kind).toBe("skip");
    expect(s.seed).toBe(11);
    expect(s.runs.map((r: { name: string }) => r.name)).toEqual(["with-skip", "without-skip"]);
    runs.forEach((run, i) => {
      const final = run.result.final; // after precise BN
      expect(final.preciseBn).toBe(true);
      expect(s.runs[i].testMeanIoU).toBe(final.testMeanIoU);
      expect(s.runs[i].testIoU).toEqual({ background: final.testIoU[0], circle: final.testIoU[1], square: final.testIoU[2] });
      expect(s.runs[i].curves).toHaveLength(2);
      expect(s.runs[i].model.skip).toBe(i === 0);
    });
  });

  it("the chart has test mean IoU and train loss per epoch for every variant", () => {
    const points = compareCurvePoints(runs);
    for (const panel of COMPARE_PANELS) {
      for (const run of runs) {
        const values = points.filter((p) => p.panel === panel && p.series === run.name).map((p) => p.value);
        expect(values).toEqual(run.result.history.map((r) => (panel === "train loss" ? r.trainLoss : r.testMeanIoU)));
      }
    }
    const spec = compareCurvesSpec("skip", runs) as Record<string, any>;
    expect(spec.spec.encoding.color.scale.domain).toEqual(["with-skip", "without-skip"]);
    const svg = readFileSync(join(out, "curves.svg"), "utf8");
    for (const text of ["with-skip", "without-skip", "test mean IoU", "train loss"]) expect(svg).toContain(text);
    const png = decodePng(readFileSync(join(out, "curves.png")));
    expect(png.width).toBe(2 * Number(/width="(\d+)"/.exec(svg)?.[1]));
  });

  it("the side-by-side grid has input, truth and one column per variant, one row per test image", () => {
    const png = decodePng(readFileSync(join(out, "predictions.png")));
    const cell = 32 * gridScale(32);
    expect(png.width).toBe(4 * cell + 3 * 2);
    expect(png.height).toBe(GRID_HEADER_HEIGHT + 5 * cell + 4 * 2);
  });

  it("index.html shows the table, chart and grid and links every variant's report", () => {
    const html = readFileSync(join(out, "index.html"), "utf8");
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs).toEqual(expect.arrayContaining(["curves.png", "curves.svg", "predictions.png", "compare.json", "with-skip/index.html", "without-skip/index.html"]));
    for (const r of refs) expect(existsSync(join(out, r)), r).toBe(true);
    expect(html).not.toMatch(/<script|<link|https?:\/\//);
    for (const run of runs) expect(html).toContain(run.result.final.testMeanIoU.toFixed(4));
    expect(html).toMatch(/Variants change only: with-skip \(nothing: the base configuration\); without-skip \(model\.skip = false\)/);
  });
});
