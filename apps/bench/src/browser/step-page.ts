// Entry of the browser step page (bundled by src/browser-step.ts with esbuild, served cross-origin
// isolated, run in Chromium). It times the benchmark's SimpleUNet training step on the wasm backend
// with 1 and 2 threads, in alternating rounds, on the thread it runs on: the page's main thread
// (where the backend spins while it waits for its workers) or a module Worker (where it may block in
// Atomics.wait).
import { createWasmBackend, type WasmBackend } from "@unetkit/backend-wasm";
import { SGD, crossEntropyLoss, labels as makeLabels } from "@unetkit/layers";
import { Tensor, setBackend } from "@unetkit/tensor";
import { SimpleUNet } from "@unetkit/unet";
import { PROBLEM, makeBenchData } from "../workload-data.js";

/** Median and minimum step time of one backend. */
export interface StepTiming {
  backend: string;
  threads: number;
  medianMs: number;
  minMs: number;
  steps: number;
}

/** What the page reports. */
export interface StepReport {
  crossOriginIsolated: boolean;
  inWorker: boolean;
  userAgent: string;
  timings: StepTiming[];
  /** Parameter sums after the runs, per backend: equal when 1 and 2 threads trained the same bits (they ran the same number of steps). */
  parameterSums: number[];
}

async function runSteps(steps: number, rounds: number): Promise<StepReport> {
  const { batch, size, inChannels, numClasses, baseChannels, lr, momentum } = PROBLEM;
  const data = makeBenchData();
  const x = new Tensor("float32", [batch, inChannels, size, size], data.images.slice());
  const y = makeLabels(data.labels, [batch, size, size]);
  const setups: { backend: WasmBackend; model: SimpleUNet; opt: SGD; times: number[] }[] = [];
  for (const threads of [1, 2]) {
    const backend = await createWasmBackend({ threads });
    setBackend(backend);
    const model = new SimpleUNet({ inChannels, numClasses, baseChannels, depth: PROBLEM.depth, seed: 0 }).train();
    setups.push({ backend, model, opt: new SGD(model.parameters(), { lr, momentum }), times: [] });
  }
  const step = (s: (typeof setups)[number]) => {
    setBackend(s.backend);
    const t0 = performance.now();
    s.opt.zeroGrad();
    const logits = s.model.forward(x);
    s.model.backward(crossEntropyLoss(logits, y).grad, { inputGrad: false });
    s.opt.step();
    return performance.now() - t0;
  };
  for (const s of setups) for (let w = 0; w < 2; w++) step(s); // warm-up
  for (let r = 0; r < rounds; r++) for (const s of setups) for (let i = 0; i < steps / rounds; i++) s.times.push(step(s));
  const timings = setups.map((s) => {
    const sorted = s.times.slice().sort((a, b) => a - b);
    return { backend: s.backend.name, threads: s.backend.threads, medianMs: sorted[sorted.length >> 1], minMs: sorted[0], steps: sorted.length };
  });
  const parameterSums = setups.map((s) => {
    let sum = 0;
    for (const p of s.model.parameters()) for (let i = 0; i < p.value.data.length; i++) sum += p.value.data[i];
    return sum;
  });
  for (const s of setups) s.backend.dispose();
  return { crossOriginIsolated: globalThis.crossOriginIsolated === true, inWorker: typeof window === "undefined", userAgent: navigator.userAgent, timings, parameterSums };
}

(globalThis as unknown as { unetkitStep: typeof runSteps }).unetkitStep = runSteps;
if (typeof window === "undefined") {
  self.onmessage = async (e: MessageEvent<{ steps: number; rounds: number }>) => {
    try {
      self.postMessage(await runSteps(e.data.steps, e.data.rounds));
    } catch (err) {
      self.postMessage({ error: String((err as Error)?.stack ?? err) });
    }
  };
}
