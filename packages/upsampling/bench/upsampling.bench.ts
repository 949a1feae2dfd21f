// Benchmark (not a test): each upsampler's forward and backward at the SimpleUNet decoder shapes
// (batch 8: 64 channels 16x16 -> 32x32, 32 channels 32x32 -> 64x64), median milliseconds.
// Bilinear is also timed against a per-pixel baseline (coordinates recomputed for every pixel of
// every plane, the seed's approach) to show what the tables buy.
// Run: pnpm --filter @unetkit/upsampling bench
import { Rng, Tensor, getBackend, type DType } from "@unetkit/tensor";
import { BilinearUpsample, NearestUpsample, TransposedConv2D } from "../src/index.js";

const BATCH = 8;
const SHAPES: [number, number][] = [
  [64, 16],
  [32, 32],
];

/**
 * Median wall-clock and CPU milliseconds of `fn` over repeats filling about `budgetMs`, after a
 * warm-up. CPU time (this process's user + system) is the steadier figure on a shared machine.
 */
function time(fn: () => void, budgetMs = 600): { wall: number; cpu: number } {
  for (let i = 0; i < 3; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  const start = performance.now();
  while (wall.length < 5 || (performance.now() - start < budgetMs && wall.length < 200)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const median = (a: number[]) => a.sort((p, q) => p - q)[a.length >> 1];
  return { wall: median(wall), cpu: median(cpu) };
}

function random(shape: number[], dtype: DType, seed: number): Tensor {
  const t = new Tensor(dtype, shape);
  new Rng(seed).fillNormal(t.data);
  return t;
}

/** Per-pixel bilinear x2 (alignCorners false), coordinates computed inside the N, C loops. */
function perPixelBilinear(x: Tensor, outH: number, outW: number): Tensor {
  const [n, c, h, w] = x.shape;
  const y = new Tensor(x.dtype, [n, c, outH, outW]);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          const sy = Math.max((oy + 0.5) * (h / outH) - 0.5, 0);
          const sx = Math.max((ox + 0.5) * (w / outW) - 0.5, 0);
          const y0 = Math.floor(sy);
          const x0 = Math.floor(sx);
          const y1 = Math.min(y0 + 1, h - 1);
          const x1 = Math.min(x0 + 1, w - 1);
          const fy = sy - y0;
          const fx = sx - x0;
          const base = (b * c + ch) * h * w;
          const d = x.data;
          y.data[((b * c + ch) * outH + oy) * outW + ox] =
            (1 - fy) * ((1 - fx) * d[base + y0 * w + x0] + fx * d[base + y0 * w + x1]) +
            fy * ((1 - fx) * d[base + y1 * w + x0] + fx * d[base + y1 * w + x1]);
        }
  return y;
}

function row(cells: (string | number)[], widths: number[]): string {
  return cells.map((c, i) => String(c).padStart(widths[i])).join("  ");
}

const widths = [7, 26, 10, 9, 9, 9, 9, 12];
console.log(`upsampling, batch ${BATCH}, backend ${getBackend().name}, node ${process.version}`);
console.log(row(["dtype", "layer", "input", "fwd ms", "fwd cpu", "bwd ms", "bwd cpu", "fwd Melem/s"], widths));
for (const dtype of ["float32", "float64"] as DType[]) {
  for (const [C, S] of SHAPES) {
    const x = random([BATCH, C, S, S], dtype, 1);
    const dy = random([BATCH, C, 2 * S, 2 * S], dtype, 2);
    const outElems = dy.size;
    const layers: [string, { forward(x: Tensor): Tensor; backward(dy: Tensor): Tensor }][] = [
      ["nearest x2", new NearestUpsample({ scaleFactor: 2 })],
      ["bilinear x2", new BilinearUpsample({ scaleFactor: 2 })],
      ["bilinear x2 alignCorners", new BilinearUpsample({ scaleFactor: 2, alignCorners: true })],
      ["tconv k2 s2", new TransposedConv2D(C, C, 2, { stride: 2, dtype, rng: new Rng(0) })],
      ["tconv k4 s2 p1", new TransposedConv2D(C, C, 4, { stride: 2, padding: 1, dtype, rng: new Rng(0) })],
    ];
    for (const [name, layer] of layers) {
      const fwd = time(() => {
        layer.forward(x);
      });
      // backward alone: each sample runs a forward (untimed) to have something to differentiate
      let bwdWall: number[] = [];
      let bwdCpu: number[] = [];
      for (let i = 0; i < 3; i++) {
        layer.forward(x);
        layer.backward(dy);
      }
      const start = performance.now();
      while (bwdWall.length < 5 || (performance.now() - start < 1200 && bwdWall.length < 200)) {
        layer.forward(x);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        layer.backward(dy);
        bwdWall.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        bwdCpu.push((c.user + c.system) / 1000);
      }
      const median = (a: number[]) => a.sort((p, q) => p - q)[a.length >> 1];
      const cells = [
        dtype,
        name,
        `${C}x${S}x${S}`,
        fwd.wall.toFixed(2),
        fwd.cpu.toFixed(2),
        median(bwdWall).toFixed(2),
        median(bwdCpu).toFixed(2),
        (outElems / fwd.cpu / 1e3).toFixed(0),
      ];
      bwdWall = [];
      bwdCpu = [];
      console.log(row(cells, widths));
    }
    const naive = time(() => {
      perPixelBilinear(x, 2 * S, 2 * S);
    });
    console.log(
      row([dtype, "bilinear per-pixel (ref)", `${C}x${S}x${S}`, naive.wall.toFixed(2), naive.cpu.toFixed(2), "-", "-", (outElems / naive.cpu / 1e3).toFixed(0)], widths),
    );
  }
}
console.log("Medians. fwd Melem/s is output elements per CPU second. tconv backward computes dx, dW and db.");
