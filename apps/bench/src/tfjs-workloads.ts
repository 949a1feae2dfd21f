import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type { Task, Workload } from "./measure.js";
import type { RunCounts } from "./unetkit-workloads.js";
import { fallbackMode, fallbackStats, registerConvFilterGradFallback, wasmMissingKernels, type FallbackMode } from "./tfjs-conv-filter-grad.js";
import { PROBLEM, type BenchData } from "./workload-data.js";

/** The TensorFlow.js backends the benchmark runs. */
export type TfjsBackendName = "wasm" | "cpu";

let wasmPathsSet = false;

/**
 * Points the tfjs wasm backend at the `.wasm` files of the installed `@tensorflow/tfjs-backend-wasm`
 * (its `dist` folder, as a file path with a trailing slash: Emscripten's Node loader reads it with
 * `fs`). Idempotent.
 */
export function configureTfjsWasm(): string {
  const require = createRequire(import.meta.url);
  const dir = `${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`;
  if (!wasmPathsSet) {
    setWasmPaths(dir);
    wasmPathsSet = true;
  }
  return dir;
}

/** Makes a tfjs backend active (initialising it the first time) and checks that it took. */
export async function activateTfjs(name: TfjsBackendName): Promise<void> {
  if (tf.getBackend() === name) return;
  if (name === "wasm") configureTfjsWasm();
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) throw new Error(`tfjs: could not activate the ${name} backend (active: ${tf.getBackend()})`);
}

/**
 * SimpleUNet (base 16, depth 2) in tfjs-layers, channels-last (NHWC: tfjs's conv kernels on the cpu
 * and wasm backends only take NHWC): per DoubleConv, twice Conv2D 3x3 `same` without bias +
 * BatchNormalization (momentum 0.9 and epsilon 1e-5, i.e. PyTorch's 0.1 and 1e-5) + ReLU; MaxPool
 * 2x2; nearest UpSampling2D 2x; Concatenate [upsampled, skip] on the channel axis; a 1x1 output
 * Conv2D with bias. Returns logits `[N, 64, 64, 3]`. Trainable parameters: 118,339, as unetkit's.
 */
export function buildTfjsSimpleUNet(): tf.LayersModel {
  const { size, inChannels, numClasses, baseChannels, depth } = PROBLEM;
  const doubleConv = (x: tf.SymbolicTensor, channels: number): tf.SymbolicTensor => {
    let h = x;
    for (let i = 0; i < 2; i++) {
      h = tf.layers.conv2d({ filters: channels, kernelSize: 3, padding: "same", useBias: false }).apply(h) as tf.SymbolicTensor;
      h = tf.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5 }).apply(h) as tf.SymbolicTensor;
      h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
    }
    return h;
  };
  const input = tf.input({ shape: [size, size, inChannels] });
  const skips: tf.SymbolicTensor[] = [];
  let h = input;
  for (let level = 0; level < depth; level++) {
    const s = doubleConv(h, baseChannels * 2 ** level);
    skips.push(s);
    h = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(s) as tf.SymbolicTensor;
  }
  h = doubleConv(h, baseChannels * 2 ** depth);
  for (let level = depth - 1; level >= 0; level--) {
    const up = tf.layers.upSampling2d({ size: [2, 2], interpolation: "nearest" }).apply(h) as tf.SymbolicTensor;
    const cat = tf.layers.concatenate({ axis: -1 }).apply([up, skips[level]]) as tf.SymbolicTensor;
    h = doubleConv(cat, baseChannels * 2 ** level);
  }
  const logits = tf.layers.conv2d({ filters: numClasses, kernelSize: 1, useBias: true }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

/** Trainable scalars of a tfjs model (BatchNorm's moving statistics are not trainable). */
export function trainableParameterCount(model: tf.LayersModel): number {
  let n = 0;
  for (const w of model.trainableWeights) n += w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
  return n;
}

/**
 * The three tfjs workloads on one backend. Everything (models, inputs, optimizer state) is created
 * while that backend is active, so nothing moves between backends. The training step is an
 * `optimizer.minimize` loop (what `model.trainOnBatch` runs inside, without its async bookkeeping):
 * forward in training mode (BatchNorm batch statistics and moving-average updates), sparse
 * categorical cross-entropy from the logits (`oneHot` + `tf.losses.softmaxCrossEntropy`, mean over
 * the pixels: tfjs-layers' own sparse loss takes probabilities, not logits), gradients of every
 * trainable weight, and `tf.train.momentum(0.01, 0.9)`, all inside `tf.tidy`; the loss is read
 * with `dataSync`. Inference is `model.predict` (eval mode) + `dataSync` inside `tf.tidy`.
 */
export async function tfjsWorkloads(
  backend: TfjsBackendName,
  data: BenchData,
  counts: Record<Task, RunCounts>,
  fallback: FallbackMode = "wasm-ops",
): Promise<Workload[]> {
  if (backend === "wasm") {
    await activateTfjs("cpu"); // the "cpu" fallback runs the cpu kernel and the check compares with it
    await activateTfjs("wasm");
    await registerConvFilterGradFallback(fallback);
  }
  await activateTfjs(backend);
  const { batch, size, inChannels, numClasses, lr, momentum } = PROBLEM;
  const x8 = tf.tensor4d(data.images, [batch, size, size, inChannels]);
  const x1 = tf.tensor4d(data.images.slice(0, size * size * inChannels), [1, size, size, inChannels]);
  const y8 = tf.tensor3d(data.labels, [batch, size, size], "int32");
  const trainModel = buildTfjsSimpleUNet();
  const inferModel = buildTfjsSimpleUNet();
  const optimizer = tf.train.momentum(lr, momentum);
  const vars = trainModel.trainableWeights.map((w) => w.read() as tf.Variable);
  const activate = () => activateTfjs(backend);
  const threads = 1; // tfjs-backend-wasm runs single-threaded in Node (no worker support there); cpu is plain JS
  const label = backend === "wasm" ? "tfjs wasm (SIMD)" : "tfjs cpu";
  const base = (task: Task) => ({
    id: `tfjs/${backend}/${task}`,
    framework: "tfjs" as const,
    backend: label,
    threads,
    task,
    warmup: counts[task].warmup,
    runs: counts[task].runs,
    activate,
  });
  const tensorsAt: Record<string, number[]> = { "train-b8": [], "infer-b1": [], "infer-b8": [] };
  const fallbackMsPerStep: number[] = [];
  const track = (task: Task) => tensorsAt[task].push(tf.memory().numTensors);
  const infer = (x: tf.Tensor4D, task: Task) => () => {
    tf.tidy(() => {
      (inferModel.predict(x) as tf.Tensor).dataSync();
    });
    track(task);
  };
  const tensorNotes = (task: Task) => () => {
    const seen = tensorsAt[task];
    return {
      tfjsBackend: backend,
      // live tensors after each step: constant when every intermediate is disposed
      tensorsAfterFirstStep: seen[0],
      tensorsAfterLastStep: seen[seen.length - 1],
      ...(backend === "wasm"
        ? { wasmSimd: tf.env().getBool("WASM_HAS_SIMD_SUPPORT"), wasmThreads: tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT") }
        : {}),
    };
  };
  return [
    {
      ...base("train-b8"),
      step: () => {
        const fallbackMs0 = fallbackStats.ms;
        const loss = tf.tidy(() => {
          const cost = optimizer.minimize(
            () => {
              const logits = trainModel.apply(x8, { training: true }) as tf.Tensor4D;
              return tf.losses.softmaxCrossEntropy(tf.oneHot(y8, numClasses), logits) as tf.Scalar;
            },
            true,
            vars,
          );
          if (!cost) throw new Error("tfjs: minimize returned no cost");
          return cost.dataSync()[0];
        });
        track("train-b8");
        if (backend === "wasm") fallbackMsPerStep.push(fallbackStats.ms - fallbackMs0);
        return loss;
      },
      notes: () => ({
        ...tensorNotes("train-b8")(),
        parameters: trainableParameterCount(trainModel),
        ...(backend === "wasm"
          ? {
              // every step, warm-ups included: ms spent in the Conv2DBackpropFilter fallback
              conv2dBackpropFilterFallbackMs: fallbackMsPerStep.map((ms) => Math.round(ms)),
            }
          : {}),
      }),
    },
    { ...base("infer-b1"), step: infer(x1, "infer-b1"), notes: tensorNotes("infer-b1") },
    { ...base("infer-b8"), step: infer(x8, "infer-b8"), notes: tensorNotes("infer-b8") },
  ];
}

/** The tfjs version, the kernels its wasm backend lacks as shipped, and the fallback's counters (for the report). */
export function tfjsFacts(): Record<string, unknown> {
  return { version: tf.version.tfjs, wasmKernelsMissing: wasmMissingKernels(), conv2dBackpropFilterFallback: fallbackMode(), fallbackStats: { ...fallbackStats } };
}
