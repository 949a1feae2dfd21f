import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodePng } from "@unetkit/data/node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cifarBatchBytes, writeBarIdxSet } from "./__fixtures__/classification-files.js";
import { main } from "./cli.js";
import { residualCurvePoints, residualCurvesSpec, residualFindings, RESIDUAL_FILES, type ResidualRun } from "./residual-report.js";
import { RESIDUAL_DEFAULTS, residualNetworks, residualOptionsFromFlags, runResidualExperiment, type ResidualOptions } from "./residual-command.js";

const tmp = () => mkdtempSync(join(tmpdir(), "unetkit-residual-"));

let err = "";
let out = "";
beforeEach(() => {
  err = "";
  out = "";
  vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
  vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

const TINY: ResidualOptions = {
  ...RESIDUAL_DEFAULTS,
  trainSize: 32,
  testSize: 16,
  epochs: 2,
  batchSize: 8,
  widths: [2, 4],
  shallowBlocks: 1,
  deepBlocks: 2,
  seed: 7,
};

/** compare.json without the timings, which are the only thing allowed to differ between runs. */
function withoutTimes(text: string): unknown {
  return JSON.parse(text, (k, v) => (k === "seconds" || k === "wallSeconds" ? undefined : v));
}

describe("compare residual: options and missing data", () => {
  it("ends with one line saying how to get the data when there is none, exit 1", async () => {
    const empty = tmp();
    const code = await main(["compare", "residual", "--fashion-mnist", empty, "--out", join(empty, "run")]);
    expect(code).toBe(1);
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toMatch(/^unetkit: compare residual: no data for compare residual: Fashion-MNIST is not in /);
    expect(err).toMatch(/apt-get install dataset-fashion-mnist.*--cifar data_batch_1\.bin/);
    expect(existsSync(join(empty, "run"))).toBe(false);
  });

  it("refuses segmentation flags, and residual flags on other comparisons, in one line with exit 2", async () => {
    expect(await main(["compare", "residual", "--upsample", "bilinear"])).toBe(2);
    expect(err).toMatch(/compare residual does not take --upsample/);
    err = "";
    expect(await main(["compare", "skip", "--cifar", "x.bin"])).toBe(2);
    expect(err).toMatch(/--cifar is an option of compare residual only/);
    err = "";
    expect(await main(["compare", "residual", "--widths", "4,0"])).toBe(2);
    expect(err).toMatch(/--widths \(entry 2\) must be an integer from 1/);
    expect(err.trim().split("\n")).toHaveLength(1);
  });

  it("reads its options: --depth is the deep pair's blocks per stage", () => {
    const o = residualOptionsFromFlags({ depth: "4", "shallow-depth": "2", widths: "3,5", epochs: "1", "train-size": "100", seed: "9" });
    expect(o).toMatchObject({ deepBlocks: 4, shallowBlocks: 2, widths: [3, 5], epochs: 1, trainSize: 100, seed: 9 });
    expect(residualNetworks(o).map((n) => n.name)).toEqual(["residual-10", "plain-10", "residual-18", "plain-18"]);
    expect(residualNetworks({ ...o, deepBlocks: 2 }).map((n) => n.name)).toEqual(["residual-10", "plain-10"]);
  });
});

describe("compare residual: a tiny run on a synthetic IDX set", () => {
  it("writes compare.json, the chart and index.html; the same seed gives the same figures bit for bit", async () => {
    const data = tmp();
    writeBarIdxSet(data, 48, 24);
    const a = tmp();
    const b = tmp();
    const first = await runResidualExperiment({ ...TINY, fashionMnistDir: data }, a, "quiet");
    await runResidualExperiment({ ...TINY, fashionMnistDir: data }, b, "quiet");
    expect(out).toBe("");
    for (const f of RESIDUAL_FILES) expect(existsSync(join(a, f)), f).toBe(true);
    const textA = readFileSync(join(a, "compare.json"), "utf8");
    expect(withoutTimes(textA)).toEqual(withoutTimes(readFileSync(join(b, "compare.json"), "utf8")));
    const summary = JSON.parse(textA);
    expect(summary.kind).toBe("residual");
    expect(summary.runs.map((r: { name: string }) => r.name)).toEqual(["residual-6", "plain-6", "residual-10", "plain-10"]);
    for (const r of summary.runs) {
      expect(r.curves).toHaveLength(2);
      expect(r.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(r.testAccuracy).toBeLessThanOrEqual(1);
      expect(Object.keys(r.perClassTestAccuracy)).toHaveLength(10);
    }
    expect(summary.config.data).toMatchObject({ trainSize: 32, testSize: 16, imageShape: [1, 12, 12] });
    // The residual networks have the projection shortcuts the plain ones lack.
    expect(summary.runs[0].parameters).toBeGreaterThan(summary.runs[1].parameters);
    expect(first.runs[0].history[1].trainLoss).toBeLessThan(first.runs[0].history[0].trainLoss);

    const png = decodePng(readFileSync(join(a, "curves.png")));
    const svg = readFileSync(join(a, "curves.svg"), "utf8");
    expect(png.width).toBe(2 * Number(/width="(\d+)"/.exec(svg)?.[1]));
    for (const name of ["residual-6", "plain-10", "train loss", "test accuracy"]) expect(svg).toContain(name);

    const html = readFileSync(join(a, "index.html"), "utf8");
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs).toEqual(expect.arrayContaining(["curves.png", "curves.svg", "compare.json"]));
    for (const r of refs) expect(existsSync(join(a, r)), r).toBe(true);
    expect(html).toMatch(/What was measured/);
    expect(html).toContain("32 of its 48 training images");
    for (const r of first.runs) expect(html).toContain(r.history[1].testAccuracy.toFixed(3));
  });

  it("runs from a CIFAR-10 file through the CLI, with JSON lines", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "data_batch_1.bin"), cifarBatchBytes(24));
    const code = await main([
      "compare", "residual", "--cifar", join(dir, "data_batch_1.bin"), "--train-size", "16", "--test-size", "8",
      "--epochs", "1", "--batch-size", "8", "--widths", "2", "--depth", "1", "--json", "--out", join(dir, "run"),
    ]);
    expect(code, err).toBe(0);
    const lines = out.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event)).toEqual(["start", "epoch", "start", "epoch", "done"]);
    expect(lines[1]).toMatchObject({ network: "residual-4", epoch: 1 });
    const summary = JSON.parse(readFileSync(join(dir, "run", "compare.json"), "utf8"));
    expect(summary.config.data).toMatchObject({ name: "CIFAR-10", imageShape: [3, 32, 32] });
  });
});

describe("residual report", () => {
  const run = (name: string, residual: boolean, layers: number, trainAccuracy: number, testAccuracy: number): ResidualRun => ({
    name,
    residual,
    blocksPerStage: (layers - 2) / 4,
    layers,
    parameters: 100,
    history: [{ epoch: 1, trainLoss: 1, trainAccuracy, testAccuracy, seconds: 1 }],
    perClassTestAccuracy: [],
    wallSeconds: 1,
  });

  it("the chart has one series per network in each panel, residual in blues and plain in oranges, the deep pair dashed", () => {
    const runs = [run("residual-6", true, 6, 0.8, 0.7), run("plain-6", false, 6, 0.7, 0.6), run("residual-10", true, 10, 0.85, 0.75), run("plain-10", false, 10, 0.5, 0.4)];
    const points = residualCurvePoints(runs);
    for (const panel of ["train loss", "train accuracy", "test accuracy"]) {
      expect(points.filter((p) => p.panel === panel).map((p) => p.series)).toEqual(runs.map((r) => r.name));
    }
    const spec = residualCurvesSpec(runs) as Record<string, any>;
    expect(spec.spec.encoding.color.scale.domain).toEqual(runs.map((r) => r.name));
    expect(spec.spec.encoding.color.scale.range).toEqual(["#6baed6", "#fd8d3c", "#08519c", "#a63603"]);
    expect(spec.spec.encoding.strokeDash.scale.range).toEqual([[1, 0], [1, 0], [6, 3], [6, 3]]);
  });

  it("states degradation only when the figures show it", () => {
    const degrade = residualFindings([run("residual-6", true, 6, 0.8, 0.7), run("plain-6", false, 6, 0.7, 0.6), run("residual-10", true, 10, 0.85, 0.75), run("plain-10", false, 10, 0.5, 0.4)]);
    expect(degrade.join(" ")).toMatch(/deeper plain network fits the training set worse .* the degradation problem/);
    expect(degrade.join(" ")).toMatch(/deeper residual network fits the training set at least as well/);
    const none = residualFindings([run("residual-6", true, 6, 0.8, 0.7), run("plain-6", false, 6, 0.7, 0.6), run("residual-10", true, 10, 0.85, 0.75), run("plain-10", false, 10, 0.75, 0.65)]);
    expect(none.join(" ")).toMatch(/no degradation at this size and budget/);
    expect(none[0]).toMatch(/At 6 layers the residual network ends at 0\.700 test accuracy and the plain one at 0\.600 \(residual \+10\.0 points\)/);
  });
});
