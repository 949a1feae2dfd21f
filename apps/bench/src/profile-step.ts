/**
 * Quick timing of the SimpleUNet training step (batch 8, base 16, 64x64) on the wasm backend,
 * median and minimum over STEPS steps, without the rest of the bench:
 *
 *   THREADS=1 FMA=1 STEPS=20 npx tsx --conditions=@unetkit/source src/profile-step.ts
 *
 * WINOGRAD=0 runs the 3x3 convolutions with the direct kernels only (`winograd: false`); ARENA=0
 * allocates every intermediate anew (`arena: false`).
 *
 * Run it under `node --cpu-prof --import tsx --conditions=@unetkit/source` for a CPU profile.
 */
import { createWasmBackend, enableRelaxedSimd } from "@unetkit/backend-wasm";
import { SGD, crossEntropyLoss, labels as makeLabels } from "@unetkit/layers";
import { Tensor, setBackend } from "@unetkit/tensor";
import { SimpleUNet } from "@unetkit/unet";
import { PROBLEM, makeBenchData } from "./workload-data.js";

const threads = Number(process.env.THREADS ?? 1);
const fma = process.env.FMA ? await enableRelaxedSimd() : false;
const backend = await createWasmBackend({ threads, fma, winograd: process.env.WINOGRAD !== "0" });
setBackend(backend);
const { batch, size, inChannels, numClasses, baseChannels, lr, momentum } = PROBLEM;
const data = makeBenchData();
const x = new Tensor("float32", [batch, inChannels, size, size], data.images.slice());
const y = makeLabels(data.labels, [batch, size, size]);
const model = new SimpleUNet({ inChannels, numClasses, baseChannels, depth: PROBLEM.depth, seed: 0, arena: process.env.ARENA !== "0" }).train();
const opt = new SGD(model.parameters(), { lr, momentum });
const times: number[] = [];
for (let i = 0; i < Number(process.env.STEPS ?? 20); i++) {
  const t0 = performance.now();
  opt.zeroGrad();
  const logits = model.forward(x);
  model.backward(crossEntropyLoss(logits, y).grad, { inputGrad: false });
  opt.step();
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(`${backend.name}: median ${times[times.length >> 1].toFixed(1)} ms, min ${times[0].toFixed(1)} ms per step`);
backend.dispose();
