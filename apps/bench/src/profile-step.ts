// Ad-hoc: time one SimpleUNet training step and dump a CPU profile.
import { SGD, crossEntropyLoss, labels as makeLabels } from "@unetkit/layers";
import { Tensor, setBackend } from "@unetkit/tensor";
import { SimpleUNet } from "@unetkit/unet";
import { createWasmBackend } from "@unetkit/backend-wasm";
import { PROBLEM, makeBenchData } from "./workload-data.js";

const threads = Number(process.env.THREADS ?? 1);
if (process.env.FMA) { const { enableRelaxedSimd } = await import("@unetkit/backend-wasm"); await enableRelaxedSimd(); }
const backend = await createWasmBackend({ threads });
setBackend(backend);
const { batch, size, inChannels, numClasses, baseChannels, lr, momentum } = PROBLEM;
const data = makeBenchData();
const x8 = new Tensor("float32", [batch, inChannels, size, size], data.images.slice());
const y8 = makeLabels(data.labels, [batch, size, size]);
const train = new SimpleUNet({ inChannels, numClasses, baseChannels, depth: PROBLEM.depth, seed: 0 }).train();
const opt = new SGD(train.parameters(), { lr, momentum });
const times: number[] = [];
for (let i = 0; i < Number(process.env.STEPS ?? 20); i++) {
  const t0 = performance.now();
  opt.zeroGrad();
  const logits = train.forward(x8);
  const { grad } = crossEntropyLoss(logits, y8);
  train.backward(grad);
  opt.step();
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log("median ms", times[times.length >> 1].toFixed(1), "min", times[0].toFixed(1));
backend.dispose();
