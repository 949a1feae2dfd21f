/**
 * Metrics benchmark (not a test): throughput of the confusion-matrix updates and of HD95 on
 * realistic sizes. Prints a table; timings are medians of `--runs N` (default 7) after a warm-up,
 * as wall-clock and as process CPU time (steadier on a busy machine).
 *
 *   pnpm --filter @unetkit/metrics bench
 *   pnpm --filter @unetkit/metrics bench -- --runs 15
 */
import { Rng, Tensor } from "@unetkit/tensor";
import { ConfusionMatrix, hausdorff95 } from "../src/index.js";

const runsArg = process.argv.indexOf("--runs");
const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 7;

function median(fn: () => void): { ms: number; cpuMs: number } {
  fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  return { ms: mid(wall), cpuMs: mid(cpu) };
}

function rate(pixels: number, ms: number): string {
  return `${(pixels / ms / 1e3).toFixed(1)} Mpx/s`;
}

const rng = new Rng(0);
const rows: { case: string; ms: number; cpuMs: number; cpuRate: string }[] = [];

// Confusion matrix: a batch of 16 masks 256 x 256, 3 and 21 classes.
for (const c of [3, 21]) {
  const n = 16;
  const h = 256;
  const w = 256;
  const size = n * h * w;
  const truth = { shape: [n, h, w], data: new Int32Array(size) };
  const pred = { shape: [n, h, w], data: new Int32Array(size) };
  for (let i = 0; i < size; i++) {
    truth.data[i] = Math.floor(rng.uniform() * c);
    pred.data[i] = rng.uniform() < 0.8 ? truth.data[i] : Math.floor(rng.uniform() * c);
  }
  const logits = new Tensor("float32", [n, c, h, w]);
  for (let i = 0; i < logits.size; i++) logits.data[i] = rng.uniform();
  const cm = new ConfusionMatrix(c, { ignoreIndex: 255 });
  const t1 = median(() => cm.update(pred, truth));
  rows.push({ case: `update ${n}x${h}x${w}, C=${c}`, ...t1, cpuRate: rate(size, t1.cpuMs) });
  const t2 = median(() => cm.updateFromLogits(logits, truth));
  rows.push({ case: `updateFromLogits [${n},${c},${h},${w}]`, ...t2, cpuRate: rate(size, t2.cpuMs) });
}

// HD95 on one mask: two overlapping discs with ragged edges.
for (const size of [128, 512]) {
  const pred = { shape: [size, size], data: new Int32Array(size * size) };
  const truth = { shape: [size, size], data: new Int32Array(size * size) };
  const r = size * 0.3;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d1 = Math.hypot(y - size / 2, x - size / 2);
      const d2 = Math.hypot(y - size / 2 - size * 0.05, x - size / 2 + size * 0.03);
      truth.data[y * size + x] = d1 < r + 2 * rng.uniform() ? 1 : 0;
      pred.data[y * size + x] = d2 < r * 0.95 + 2 * rng.uniform() ? 1 : 0;
    }
  }
  const t = median(() => hausdorff95(pred, truth, { classIndex: 1 }));
  rows.push({ case: `hausdorff95 ${size}x${size} (disc)`, ...t, cpuRate: rate(size * size, t.cpuMs) });
}

console.table(rows.map((r) => ({ ...r, ms: Number(r.ms.toFixed(2)), cpuMs: Number(r.cpuMs.toFixed(2)) })));
