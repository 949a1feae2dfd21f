// Ad-hoc: per-kernel time and GFLOP/s of the conv calls inside a training step.
import { SGD, crossEntropyLoss, labels as makeLabels } from "@unetkit/layers";
import { Tensor, setBackend } from "@unetkit/tensor";
import { SimpleUNet } from "@unetkit/unet";
import { createWasmBackend } from "@unetkit/backend-wasm";
import { PROBLEM, makeBenchData } from "./workload-data.js";

const threads = Number(process.env.THREADS ?? 1);
if (process.env.FMA) { const { enableRelaxedSimd } = await import("@unetkit/backend-wasm"); await enableRelaxedSimd(); }
const backend: any = await createWasmBackend({ threads });
const stats = new Map<string, { t: number; f: number; n: number }>();
let collect = false;
for (const name of ["conv2dForward", "conv2dBackwardData", "conv2dBackwardWeight", "gemm", "im2col", "col2imAccumulate"]) {
  const orig = backend[name].bind(backend);
  backend[name] = (a: any) => {
    const t0 = performance.now();
    orig(a);
    const dt = performance.now() - t0;
    if (!collect) return;
    let key = name, f = 0;
    if (a.geometry && a.cout !== undefined) {
      const g = a.geometry;
      f = 2 * a.batch * a.cout * g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
      key = `${name} ${g.channels}->${a.cout} k${g.kernelH} ${g.height}x${g.width}`;
    } else if (a.m !== undefined) { f = 2 * a.m * a.n * a.k; key = `gemm ${a.m}x${a.n}x${a.k}`; }
    const s = stats.get(key) ?? { t: 0, f: 0, n: 0 };
    s.t += dt; s.f += f; s.n++;
    stats.set(key, s);
  };
}
setBackend(backend);
const { batch, size, inChannels, numClasses, baseChannels, lr, momentum } = PROBLEM;
const data = makeBenchData();
const x8 = new Tensor("float32", [batch, inChannels, size, size], data.images.slice());
const y8 = makeLabels(data.labels, [batch, size, size]);
const train = new SimpleUNet({ inChannels, numClasses, baseChannels, depth: PROBLEM.depth, seed: 0 }).train();
const opt = new SGD(train.parameters(), { lr, momentum });
const steps = Number(process.env.STEPS ?? 10);
let total = 0;
for (let i = 0; i < steps + 3; i++) {
  collect = i >= 3;
  const t0 = performance.now();
  opt.zeroGrad();
  const logits = train.forward(x8);
  const { grad } = crossEntropyLoss(logits, y8);
  train.backward(grad);
  opt.step();
  if (collect) total += performance.now() - t0;
}
let kt = 0, kf = 0;
for (const [k, s] of [...stats].sort()) {
  kt += s.t; kf += s.f;
  console.log(k.padEnd(48), (s.t / steps).toFixed(2).padStart(8), "ms", (s.f / s.t / 1e6).toFixed(1).padStart(6), "GFLOP/s");
}
console.log(`step ${(total / steps).toFixed(1)} ms; kernels ${(kt / steps).toFixed(1)} ms, ${(kf / steps / 1e9).toFixed(2)} GFLOP/step, ${(kf / kt / 1e6).toFixed(1)} GFLOP/s`);
backend.dispose();
