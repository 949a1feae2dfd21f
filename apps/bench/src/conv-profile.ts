import { SGD, crossEntropyLoss, labels as makeLabels } from "@unetkit/layers";
import { Tensor, setBackend, type ConvGeometry, type KernelBackend } from "@unetkit/tensor";
import { SimpleUNet } from "@unetkit/unet";
import { PROBLEM, type BenchData } from "./workload-data.js";

/** The convolution kernels of a backend that {@link profileConvKernels} times. */
export const CONV_KERNELS = ["conv2dForward", "conv2dBackwardData", "conv2dBackwardWeight"] as const;
export type ConvKernel = (typeof CONV_KERNELS)[number];

/** One convolution kernel at one layer shape of the training step. */
export interface ConvKernelRow {
  backend: string;
  kernel: ConvKernel;
  /** `Cin->Cout kKxK HxW`, e.g. `16->16 k3 64x64`. */
  shape: string;
  /** Calls per training step (a shape can occur in more than one layer). */
  callsPerStep: number;
  /** Milliseconds per training step, median over the timed steps. */
  msPerStep: number;
  /** 2 * batch * Cout * Cin * kh * kw * outH * outW per call, over the median time. */
  gflops: number;
}

const shapeOf = (g: ConvGeometry, cout: number) => `${g.channels}->${cout} k${g.kernelH} ${g.height}x${g.width}`;
const flopsOf = (g: ConvGeometry, batch: number, cout: number) =>
  2 * batch * cout * g.channels * g.kernelH * g.kernelW * g.outH * g.outW;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Times every convolution kernel call inside the benchmark's SimpleUNet training step on `backend`
 * (a Proxy around it times `conv2dForward`, `conv2dBackwardData`, `conv2dBackwardWeight` and hides
 * `conv2dBackward`, so that the two gradients are timed one by one; every other kernel runs untouched): `warmup` untimed steps, then `steps` timed ones. Per kernel and layer shape:
 * median ms per step and GFLOP/s. The backend must have the fused conv kernels.
 *
 * @example
 * ```ts
 * const rows = profileConvKernels(wasm, makeBenchData(), { warmup: 2, steps: 5 });
 * ```
 */
export function profileConvKernels(
  backend: KernelBackend,
  data: BenchData,
  options: { warmup: number; steps: number },
): ConvKernelRow[] {
  const perStep = new Map<string, { kernel: ConvKernel; shape: string; flops: number; calls: number; ms: number[] }>();
  let timing = false;
  let stepMs = new Map<string, number>();
  let stepCalls = new Map<string, number>();
  const wrapped = new Proxy(backend, {
    get(target, prop, receiver) {
      // without the combined backward kernel the layers call the two gradient kernels one by one,
      // so each is timed on its own (the concurrent weight + input gradient is not in this table)
      if (prop === "conv2dBackward") return undefined;
      const value = Reflect.get(target, prop, receiver);
      if (!(CONV_KERNELS as readonly (string | symbol)[]).includes(prop) || typeof value !== "function") return value;
      const kernel = prop as ConvKernel;
      return (args: { geometry: ConvGeometry; batch: number; cout: number }) => {
        const t0 = performance.now();
        value.call(target, args);
        const dt = performance.now() - t0;
        if (!timing) return;
        const key = `${kernel} ${shapeOf(args.geometry, args.cout)}`;
        let e = perStep.get(key);
        if (!e) {
          e = { kernel, shape: shapeOf(args.geometry, args.cout), flops: flopsOf(args.geometry, args.batch, args.cout), calls: 0, ms: [] };
          perStep.set(key, e);
        }
        stepMs.set(key, (stepMs.get(key) ?? 0) + dt);
        stepCalls.set(key, (stepCalls.get(key) ?? 0) + 1);
      };
    },
  });
  const { batch, size, inChannels, numClasses, baseChannels, lr, momentum } = PROBLEM;
  const x = new Tensor("float32", [batch, inChannels, size, size], data.images.slice());
  const y = makeLabels(data.labels, [batch, size, size]);
  const model = new SimpleUNet({ inChannels, numClasses, baseChannels, depth: PROBLEM.depth, seed: 0 }).train();
  const opt = new SGD(model.parameters(), { lr, momentum });
  const previous = setBackend(wrapped);
  try {
    for (let i = 0; i < options.warmup + options.steps; i++) {
      timing = i >= options.warmup;
      stepMs = new Map();
      stepCalls = new Map();
      opt.zeroGrad();
      const logits = model.forward(x);
      model.backward(crossEntropyLoss(logits, y).grad, { inputGrad: false });
      opt.step();
      for (const [key, ms] of stepMs) {
        const e = perStep.get(key)!;
        e.ms.push(ms);
        e.calls = stepCalls.get(key)!;
      }
    }
  } finally {
    setBackend(previous);
  }
  const rows: ConvKernelRow[] = [];
  for (const e of perStep.values()) {
    const ms = median(e.ms);
    rows.push({ backend: backend.name, kernel: e.kernel, shape: e.shape, callsPerStep: e.calls, msPerStep: ms, gflops: (e.flops * e.calls) / ms / 1e6 });
  }
  return rows;
}

/**
 * The rows as a table: one line per kernel and shape, a column per backend (ms per step and
 * GFLOP/s), then the totals.
 *
 * @example
 * ```ts
 * console.log(formatConvKernelTable(rows));
 * ```
 */
export function formatConvKernelTable(rows: readonly ConvKernelRow[]): string {
  const backends = [...new Set(rows.map((r) => r.backend))];
  const keys = [...new Set(rows.map((r) => `${r.kernel}|${r.shape}`))].sort();
  const header = ["kernel", "layer shape", "calls", ...backends.map((b) => `${b} ms (GFLOP/s)`)];
  const body = keys.map((k) => {
    const [kernel, shape] = k.split("|");
    const cells = backends.map((b) => {
      const r = rows.find((x) => x.backend === b && x.kernel === kernel && x.shape === shape);
      return r ? `${r.msPerStep.toFixed(2)} (${r.gflops.toFixed(1)})` : "";
    });
    const calls = rows.find((x) => x.kernel === kernel && x.shape === shape)!.callsPerStep;
    return [kernel, shape, String(calls), ...cells];
  });
  const totals = backends.map((b) => {
    const mine = rows.filter((r) => r.backend === b);
    const ms = mine.reduce((s, r) => s + r.msPerStep, 0);
    const gflop = mine.reduce((s, r) => s + (r.gflops * r.msPerStep) / 1e3, 0);
    return `${ms.toFixed(1)} (${(gflop / ms * 1e3).toFixed(1)})`;
  });
  body.push(["all", "", "", ...totals]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), ...body.map(line)].join("\n");
}
