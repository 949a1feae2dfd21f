/**
 * Convolution benchmark of the wasm backend (not a test): forward, input gradient and weight
 * gradient of the SimpleUNet's 3x3 convolutions (batch 8), timed as the layers compose them
 * (im2col + one GEMM per image through the backend: "unfused") and through the backend's fused
 * kernels (the column matrix never leaves wasm memory), on 1 and 2 threads. Median of `--runs`
 * (default 7) CPU and wall times. Writes bench-results/conv-wasm.json at the repo root.
 *
 *   pnpm --filter @unetkit/backend-wasm bench:conv [-- --runs 9]
 */
import { col2imAccumulateTs, im2colTs } from "@unetkit/im2col";
import type { ConvGeometry, KernelBackend } from "@unetkit/tensor";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildWasm } from "../scripts/build-wasm.mjs";
import { createWasmBackend, type WasmBackend } from "../src/index.js";

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

function time(fn: () => void, runs: number): { wall: number; cpu: number } {
  fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

function layer(C: number, H: number, cout: number): ConvGeometry {
  return { channels: C, height: H, width: H, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, outH: H, outW: H };
}

function unfused(b: KernelBackend, g: ConvGeometry, batch: number, cout: number, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const image = g.channels * g.height * g.width;
  const K = g.channels * g.kernelH * g.kernelW;
  const L = g.outH * g.outW;
  const cols = new Float32Array(K * L);
  const out = new Float32Array(batch * cout * L);
  const dx = new Float32Array(batch * image);
  const dW = new Float32Array(cout * K);
  const im2col = b.im2col ?? im2colTs;
  const col2im = b.col2imAccumulate ?? col2imAccumulateTs;
  return {
    forward: () => {
      for (let n = 0; n < batch; n++) {
        im2col({ geometry: g, image: x, imageOffset: n * image, cols, colsOffset: 0 });
        b.gemm({ transA: false, transB: false, m: cout, n: L, k: K, alpha: 1, a: w, aOffset: 0, lda: K, b: cols, bOffset: 0, ldb: L, beta: 0, c: out, cOffset: n * cout * L, ldc: L });
      }
    },
    backwardData: () => {
      for (let n = 0; n < batch; n++) {
        b.gemm({ transA: true, transB: false, m: K, n: L, k: cout, alpha: 1, a: w, aOffset: 0, lda: K, b: dy, bOffset: n * cout * L, ldb: L, beta: 0, c: cols, cOffset: 0, ldc: L });
        col2im({ geometry: g, image: dx, imageOffset: n * image, cols, colsOffset: 0 });
      }
    },
    backwardWeight: () => {
      for (let n = 0; n < batch; n++) {
        im2col({ geometry: g, image: x, imageOffset: n * image, cols, colsOffset: 0 });
        b.gemm({ transA: false, transB: true, m: cout, n: K, k: L, alpha: 1, a: dy, aOffset: n * cout * L, lda: L, b: cols, bOffset: 0, ldb: L, beta: 1, c: dW, cOffset: 0, ldc: K });
      }
    },
  };
}

function fused(b: WasmBackend, g: ConvGeometry, batch: number, cout: number, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const out = new Float32Array(batch * cout * g.outH * g.outW);
  const dx = new Float32Array(batch * g.channels * g.height * g.width);
  const dW = new Float32Array(cout * g.channels * g.kernelH * g.kernelW);
  return {
    forward: () => b.conv2dForward({ geometry: g, batch, cout, x, weight: w, bias: null, out }),
    backwardData: () => b.conv2dBackwardData({ geometry: g, batch, cout, dy, weight: w, dx }),
    backwardWeight: () => b.conv2dBackwardWeight({ geometry: g, batch, cout, dy, x, dW }),
  };
}

async function main(argv: string[]): Promise<void> {
  let runs = 7;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--runs") runs = Number(argv[++i]);
    else if (argv[i] !== "--") throw new Error(`conv-wasm bench: unknown argument ${argv[i]}`);
  }
  buildWasm();
  const one = await createWasmBackend({ threads: 1 });
  const two = await createWasmBackend({ threads: 2 });
  const batch = 8;
  const rows: Record<string, unknown>[] = [];
  console.log(`wasm conv benchmark: node ${process.version}, batch ${batch}, 3x3 padding 1, median of ${runs}; ms wall (cpu)`);
  for (const [C, H, cout] of [[16, 64, 16], [32, 32, 32], [64, 16, 64], [128, 8, 128]]) {
    const g = layer(C, H, cout);
    const x = Float32Array.from({ length: batch * C * H * H }, () => Math.random() - 0.5);
    const w = Float32Array.from({ length: cout * C * 9 }, () => Math.random() - 0.5);
    const dy = Float32Array.from({ length: batch * cout * H * H }, () => Math.random() - 0.5);
    const variants: [string, ReturnType<typeof fused>][] = [
      ["wasm unfused 1t", unfused(one, g, batch, cout, x, w, dy)],
      ["wasm fused 1t", fused(one, g, batch, cout, x, w, dy)],
      ["wasm fused 2t", fused(two, g, batch, cout, x, w, dy)],
    ];
    for (const [name, v] of variants) {
      const cells: string[] = [];
      for (const pass of ["forward", "backwardData", "backwardWeight"] as const) {
        const t = time(v[pass], runs);
        rows.push({ layer: `${C}->${cout} ${H}x${H}`, variant: name, pass, wallMs: t.wall, cpuMs: t.cpu });
        cells.push(`${pass} ${t.wall.toFixed(1)} (${t.cpu.toFixed(1)})`);
      }
      console.log(`${C}->${cout} ${H}x${H}  ${name.padEnd(16)} ${cells.join("  ")}`);
    }
  }
  one.dispose();
  two.dispose();
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
  const out = resolve(root, "bench-results", "conv-wasm.json");
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ benchmark: "conv-wasm", date: new Date().toISOString(), node: process.version, batch, runs, rows }, null, 2) + "\n");
  renameSync(tmp, out);
  console.log(`wrote ${out}`);
}

void main(process.argv.slice(2));
