// Benchmark (not a test): losses (value + gradient) on SimpleUNet-sized logits and optimizer steps
// on a UNet-sized parameter set, float32. Median CPU time per call.
// Run: npx tsx --conditions=@unetkit/source bench/losses.bench.ts
import { Rng, randn } from "@unetkit/tensor";
import { medianCpuMs } from "@unetkit/testing";
import {
  Adam,
  AdamW,
  Parameter,
  SGD,
  bceWithLogitsLoss,
  crossEntropyLoss,
  diceLoss,
  focalLoss,
  labels,
  type Optimizer,
} from "../src/index.js";

/** Median CPU ms per call of `fn` (see medianCpuMs of @unetkit/testing). */
const time = (fn: () => void, budgetMs = 1000) => medianCpuMs(fn, { budgetMs, warmupCalls: 2 });

const rng = new Rng(0);
const [N, C, H, W] = [8, 3, 64, 64];
const logits = randn([N, C, H, W], rng);
const y = labels(Array.from({ length: N * H * W }, () => rng.int(0, C)), [N, H, W]);
const logits1 = randn([N, 1, H, W], rng);
const y1 = labels(Array.from({ length: N * H * W }, () => rng.int(0, 2)), [N, H, W]);
const rows: [string, number][] = [
  ["crossEntropyLoss [8,3,64,64]", time(() => crossEntropyLoss(logits, y))],
  ["diceLoss multiclass [8,3,64,64]", time(() => diceLoss(logits, y))],
  ["focalLoss [8,3,64,64]", time(() => focalLoss(logits, y))],
  ["bceWithLogitsLoss [8,1,64,64]", time(() => bceWithLogitsLoss(logits1, y1))],
];

// About the SimpleUNet's parameter count spread over a few tensors.
const params = [[16, 1, 3, 3], [16, 16, 3, 3], [32, 16, 3, 3], [32, 32, 3, 3], [64, 32, 3, 3], [64, 64, 3, 3], [64]].map(
  (s) => new Parameter(randn(s, rng)),
);
for (const p of params) rng.fillNormal(p.grad.data);
const count = params.reduce((a, p) => a + p.value.size, 0);
const opts: [string, Optimizer][] = [
  ["SGD momentum 0.9", new SGD(params, { lr: 1e-3, momentum: 0.9 })],
  ["Adam", new Adam(params, { lr: 1e-5 })],
  ["AdamW", new AdamW(params, { lr: 1e-5 })],
];
for (const [name, opt] of opts) rows.push([`${name} step (${count} parameters)`, time(() => opt.step())]);

console.log("| operation | median CPU ms |\n| --- | --- |");
for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(2)} |`);
