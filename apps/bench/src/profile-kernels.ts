/**
 * Quick look at the convolution kernels inside one SimpleUNet training step on the wasm backend (the
 * bench's table, without the rest of the bench):
 *
 *   THREADS=1 FMA=1 STEPS=10 npx tsx --conditions=@unetkit/source src/profile-kernels.ts
 *
 * FMA=1 turns on relaxed SIMD (the fused multiply-add build, as the CLI does). Two columns: the
 * default backend (Winograd F(2x2, 3x3) where faster) and `winograd: false` (the direct kernels),
 * profiled in alternating rounds of STEPS / ROUNDS steps; WINOGRAD=0 or WINOGRAD=1 profiles only one.
 */
import { createWasmBackend, enableRelaxedSimd } from "@unetkit/backend-wasm";
import { formatConvKernelTable, profileConvKernels, type ConvKernelRow } from "./conv-profile.js";
import { makeBenchData } from "./workload-data.js";

const threads = Number(process.env.THREADS ?? 1);
const fma = process.env.FMA ? await enableRelaxedSimd() : false;
const which = process.env.WINOGRAD === "0" ? [false] : process.env.WINOGRAD === "1" ? [true] : [true, false];
const backends = await Promise.all(which.map((winograd) => createWasmBackend({ threads, fma, winograd })));
const data = makeBenchData();
const steps = Number(process.env.STEPS ?? 10);
const rounds = Math.max(1, Math.min(steps, Number(process.env.ROUNDS ?? 1)));
const perBackend: ConvKernelRow[][][] = backends.map(() => []);
for (let r = 0; r < rounds; r++) {
  const n = Math.floor((steps * (r + 1)) / rounds) - Math.floor((steps * r) / rounds);
  backends.forEach((b, i) => perBackend[i].push(profileConvKernels(b, data, { warmup: r === 0 ? 2 : 1, steps: n })));
}
console.log(formatConvKernelTable(perBackend.flatMap((runs) => (runs.length === 1 ? runs[0] : mergeRounds(runs)))));
for (const b of backends) b.dispose();

/** One row per kernel and shape from several rounds: the median over the rounds of each round's median. */
function mergeRounds(runs: ConvKernelRow[][]): ConvKernelRow[] {
  return runs[0].map((row) => {
    const same = runs.map((rs) => rs.find((r) => r.kernel === row.kernel && r.shape === row.shape)!);
    const ms = same.map((r) => r.msPerStep).sort((a, b) => a - b);
    const msPerStep = ms.length % 2 ? ms[ms.length >> 1] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
    return { ...row, msPerStep, gflops: (row.gflops * row.msPerStep) / msPerStep };
  });
}
