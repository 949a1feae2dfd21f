import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadClassificationSubsets } from "./classification-data.js";
import { trainClassifier, type ClassifierEpoch } from "./classifier-trainer.js";
import { fmtSeconds } from "./html.js";
import type { OutputMode } from "./reporter.js";
import { writeResidualReport, type ResidualConfig, type ResidualRun } from "./residual-report.js";
import { SmallResNet } from "./small-resnet.js";
import { UsageError } from "./usage-error.js";

/**
 * Flags only `compare residual` takes (it also takes the shared ones in
 * {@link RESIDUAL_SHARED_FLAGS} and the common ones).
 *
 * @example
 * ```ts
 * Object.keys(RESIDUAL_FLAGS); // ["cifar", "fashion-mnist", "shallow-depth", "widths"]
 * ```
 */
export const RESIDUAL_FLAGS = {
  cifar: { type: "string", help: "residual: CIFAR-10 binary file (data_batch_1.bin) or its folder" },
  "fashion-mnist": { type: "string", help: "residual: Fashion-MNIST IDX folder (/usr/share/datasets/fashion-mnist)" },
  "shallow-depth": { type: "string", help: "residual: blocks per stage of the shallow pair (1)" },
  widths: { type: "string", help: "residual: channels per stage (8,16,32)" },
} as const;

/**
 * `train` flags that `compare residual` takes too (`--depth` = blocks per stage of the deep pair).
 *
 * @example
 * ```ts
 * RESIDUAL_SHARED_FLAGS.includes("epochs"); // true
 * ```
 */
export const RESIDUAL_SHARED_FLAGS = ["train-size", "test-size", "epochs", "batch-size", "lr", "momentum", "weight-decay", "seed", "depth"] as const;

/** Options of the residual experiment. */
export interface ResidualOptions {
  cifar?: string;
  fashionMnistDir?: string;
  trainSize: number;
  testSize: number;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  seed: number;
  shallowBlocks: number;
  deepBlocks: number;
  widths: number[];
  stemStride: number;
}

/**
 * The defaults: 1000 training and 500 test images of Fashion-MNIST (28x28), networks of widths
 * 8/16/32 with a stride-2 stem, 1 vs 6 BasicBlocks per stage (8 vs 38 weight layers), 3 epochs of
 * SGD (lr 0.05, momentum 0.9, weight decay 5e-4), batch 32, seed 42. About 3.5 CPU-minutes with
 * the TypeScript backend (measured: 3 min 26 s of CPU, 7 min wall on a machine loaded 3x over).
 *
 * @example
 * ```ts
 * await runResidualExperiment({ ...RESIDUAL_DEFAULTS, epochs: 5 }, "runs/residual", "pretty");
 * ```
 */
export const RESIDUAL_DEFAULTS: ResidualOptions = {
  trainSize: 1000,
  testSize: 500,
  epochs: 3,
  batchSize: 32,
  lr: 0.05,
  momentum: 0.9,
  weightDecay: 5e-4,
  seed: 42,
  shallowBlocks: 1,
  deepBlocks: 6,
  widths: [8, 16, 32],
  stemStride: 2,
};

type Values = Record<string, string | boolean | undefined>;

function int(name: string, v: string | boolean | undefined, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== "string" || !/^\d+$/.test(v.trim()) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got ${String(v)})`);
  return n;
}

function num(name: string, v: string | boolean | undefined, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max} (got ${String(v)})`);
  return n;
}

/**
 * Builds and validates the residual experiment's options from parsed flags (UsageError on bad
 * ones); unset flags take {@link RESIDUAL_DEFAULTS}.
 *
 * @example
 * ```ts
 * residualOptionsFromFlags({ depth: "8", epochs: "5" }).deepBlocks; // 8
 * ```
 */
export function residualOptionsFromFlags(values: Values): ResidualOptions {
  const d = RESIDUAL_DEFAULTS;
  const widths =
    typeof values.widths === "string"
      ? values.widths.split(",").map((s, i) => int(`widths (entry ${i + 1})`, s.trim(), 0, 1, 512))
      : d.widths;
  if (widths.length === 0 || widths.length > 5) throw new UsageError(`--widths needs 1 to 5 stages (got ${widths.length})`);
  const o: ResidualOptions = {
    cifar: typeof values.cifar === "string" ? values.cifar : undefined,
    fashionMnistDir: typeof values["fashion-mnist"] === "string" ? values["fashion-mnist"] : undefined,
    trainSize: int("train-size", values["train-size"], d.trainSize, 1, 60_000),
    testSize: int("test-size", values["test-size"], d.testSize, 1, 10_000),
    epochs: int("epochs", values.epochs, d.epochs, 1, 10_000),
    batchSize: int("batch-size", values["batch-size"], d.batchSize, 1, 4096),
    lr: num("lr", values.lr, d.lr, 1e-12, 10),
    momentum: num("momentum", values.momentum, d.momentum, 0, 0.999999),
    weightDecay: num("weight-decay", values["weight-decay"], d.weightDecay, 0, 1),
    seed: int("seed", values.seed, d.seed, 0, 2 ** 31 - 1),
    shallowBlocks: int("shallow-depth", values["shallow-depth"], d.shallowBlocks, 1, 64),
    deepBlocks: int("depth", values.depth, d.deepBlocks, 1, 64),
    widths,
    stemStride: d.stemStride,
  };
  if (o.cifar !== undefined && o.fashionMnistDir !== undefined) throw new UsageError("--cifar and --fashion-mnist exclude each other");
  return o;
}

/**
 * The networks of the experiment, in order: for each depth (shallow, then deep), residual then
 * plain, named by kind and weight-layer count.
 *
 * @example
 * ```ts
 * residualNetworks({ shallowBlocks: 1, deepBlocks: 6, widths: [8, 16, 32] }).map((n) => n.name);
 * // ["residual-8", "plain-8", "residual-38", "plain-38"]
 * ```
 */
export function residualNetworks(o: Pick<ResidualOptions, "shallowBlocks" | "deepBlocks" | "widths">): { name: string; residual: boolean; blocksPerStage: number; layers: number }[] {
  const blocks = [...new Set([o.shallowBlocks, o.deepBlocks])].sort((a, b) => a - b);
  return blocks.flatMap((b) => {
    const layers = 2 + 2 * b * o.widths.length;
    return [
      { name: `residual-${layers}`, residual: true, blocksPerStage: b, layers },
      { name: `plain-${layers}`, residual: false, blocksPerStage: b, layers },
    ];
  });
}

function epochText(name: string, r: ClassifierEpoch, epochs: number): string {
  return (
    `${name.padEnd(12)} epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  loss ${r.trainLoss.toFixed(4)}  ` +
    `train acc ${r.trainAccuracy.toFixed(4)}  test acc ${r.testAccuracy.toFixed(4)}  (${r.seconds.toFixed(1)} s)`
  );
}

/**
 * Runs the residual experiment and writes its report into `out`: loads the data subsets, trains
 * each network of {@link residualNetworks} with the same seed, and writes compare.json, the
 * curves and index.html. Returns the configuration and the runs.
 *
 * @example
 * ```ts
 * await runResidualExperiment({ ...RESIDUAL_DEFAULTS, epochs: 1 }, "runs/residual", "quiet");
 * ```
 */
export async function runResidualExperiment(o: ResidualOptions, out: string, mode: OutputMode): Promise<{ config: ResidualConfig; runs: ResidualRun[] }> {
  const data = loadClassificationSubsets({ cifar: o.cifar, fashionMnistDir: o.fashionMnistDir, trainSize: o.trainSize, testSize: o.testSize, seed: o.seed });
  mkdirSync(out, { recursive: true });
  const [, c, h, w] = data.train.images.shape;
  const config: ResidualConfig = {
    data: { name: data.name, source: data.source, trainSize: o.trainSize, testSize: o.testSize, imageShape: [c, h, w], classNames: [...data.train.classNames] },
    widths: o.widths,
    stemStride: o.stemStride,
    shallowBlocks: o.shallowBlocks,
    deepBlocks: o.deepBlocks,
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    momentum: o.momentum,
    weightDecay: o.weightDecay,
    seed: o.seed,
  };
  const write = (s: string) => process.stdout.write(s);
  const tty = process.stdout.isTTY === true;
  if (mode === "pretty") {
    write(`residual vs plain on ${data.source}\n`);
  }
  const runs: ResidualRun[] = [];
  for (const net of residualNetworks(o)) {
    const model = new SmallResNet({ inChannels: c, numClasses: data.train.numClasses, widths: o.widths, blocksPerStage: net.blocksPerStage, plain: !net.residual, stemStride: o.stemStride, seed: o.seed });
    const parameters = model.parameterCount();
    if (mode === "json") write(JSON.stringify({ event: "start", network: net.name, residual: net.residual, layers: net.layers, parameters }) + "\n");
    if (mode === "pretty") write(`== ${net.name}: ${net.residual ? "residual" : "plain"}, ${net.blocksPerStage} block${net.blocksPerStage > 1 ? "s" : ""} per stage, ${net.layers} layers, ${parameters.toLocaleString("en-US")} parameters\n`);
    const result = trainClassifier(
      model,
      data.train,
      data.test,
      { epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, seed: o.seed },
      {
        onBatch: ({ epoch, batch, batches, loss }) => {
          if (mode === "pretty" && tty) write(`\r\x1b[2K${net.name} epoch ${epoch + 1}/${o.epochs} batch ${batch}/${batches} loss ${loss.toFixed(4)}`);
        },
        onEpoch: (r) => {
          if (mode === "json") write(JSON.stringify({ event: "epoch", network: net.name, ...r, heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 17) / 8 }) + "\n");
          if (mode === "pretty") write(`${tty ? "\r\x1b[2K" : ""}${epochText(net.name, r, o.epochs)}\n`);
        },
      },
    );
    runs.push({ ...net, parameters, history: result.history, perClassTestAccuracy: result.perClassTestAccuracy, wallSeconds: result.wallSeconds });
  }
  const files = await writeResidualReport(out, config, runs);
  const total = runs.reduce((a, r) => a + r.wallSeconds, 0);
  if (mode === "json") {
    write(JSON.stringify({ event: "done", out, files, runs: runs.map((r) => ({ name: r.name, testAccuracy: r.history[r.history.length - 1].testAccuracy })), wallSeconds: total }) + "\n");
  }
  if (mode === "pretty") {
    write(`\nresidual vs plain (seed ${o.seed}, ${fmtSeconds(total)}), final test accuracy:\n`);
    for (const r of runs) write(`  ${r.name.padEnd(12)} ${r.history[r.history.length - 1].testAccuracy.toFixed(4)}  (${r.parameters.toLocaleString("en-US")} parameters)\n`);
    write(`report: ${join(out, "index.html")}\n`);
  }
  return { config, runs };
}
