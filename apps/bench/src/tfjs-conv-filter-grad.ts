import * as tf from "@tensorflow/tfjs";

/**
 * How the benchmark gives tfjs-backend-wasm 4.22 the `Conv2DBackpropFilter` kernel it lacks
 * (without one, a training step throws "Kernel 'Conv2DBackpropFilter' not registered for backend
 * 'wasm'"):
 * - `"wasm-ops"` (default): composed from kernels the wasm backend has: pad the input, then for
 *   each of the kh*kw filter taps slice the shifted input and `matMul(patch^T, dy)`
 *   (`[Ci, N*Ho*Wo] x [N*Ho*Wo, Co]`), and stack the taps. The work stays in wasm (XNNPACK/SIMD).
 * - `"cpu"`: tfjs's own cpu kernel (plain JavaScript reading each element through
 *   `TensorBuffer.get`) on copies of the inputs, the result written back into wasm memory. Measured
 *   here at a few MFLOP/s: minutes per training step.
 */
export type FallbackMode = "wasm-ops" | "cpu";

/** Calls and milliseconds spent in the registered fallback since it was registered. */
export const fallbackStats = { calls: 0, ms: 0 };

const TRAINING_KERNELS = [
  "Conv2D",
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "MaxPool",
  "MaxPoolGrad",
  "ResizeNearestNeighbor",
  "ResizeNearestNeighborGrad",
  "FusedBatchNorm",
  "Relu",
  "Softmax",
];
let missingAsShipped: string[] | null = null;
let registered: FallbackMode | null = null;

/** Kernels of the training step that tfjs-backend-wasm does not register as shipped (before any fallback). */
export function wasmMissingKernels(): string[] {
  missingAsShipped ??= TRAINING_KERNELS.filter((k) => tf.getKernel(k, "wasm") === undefined);
  return missingAsShipped;
}

/** The registered fallback, or null. */
export function fallbackMode(): FallbackMode | null {
  return registered;
}

interface FilterGradAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

/** dW `[kh, kw, Ci, Co]` from x `[N, H, W, Ci]` and dy `[N, Ho, Wo, Co]` with ops the wasm backend has (stride 1, NHWC). */
function filterGradByOps(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: FilterGradAttrs): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    attrs.dataFormat === "NHWC" ? "channelsLast" : "channelsFirst",
  );
  if (info.dataFormat !== "channelsLast" || info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error(
      `Conv2DBackpropFilter fallback: only NHWC, stride 1, dilation 1 (got ${attrs.dataFormat}, strides ${String(attrs.strides)})`,
    );
  }
  const { batchSize: n, outHeight: ho, outWidth: wo, inChannels: ci, outChannels: co, filterHeight: kh, filterWidth: kw } = info;
  const { top, bottom, left, right } = info.padInfo;
  return tf.tidy(() => {
    const xp = top || bottom || left || right ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]) : x;
    const dy2 = tf.reshape(dy, [n * ho * wo, co]);
    const taps: tf.Tensor2D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const patch = tf.reshape(tf.slice(xp, [0, i, j, 0], [n, ho, wo, ci]), [n * ho * wo, ci]);
        taps.push(tf.matMul(patch, dy2, true, false));
      }
    }
    return tf.reshape(tf.stack(taps), [kh, kw, ci, co]);
  });
}

/** dW by tfjs's cpu kernel on copies of the wasm tensors; the result is written into the wasm backend. */
function filterGradOnCpu(xInfo: tf.TensorInfo, dyInfo: tf.TensorInfo, wasm: tf.KernelBackend, attrs: tf.NamedAttrMap): tf.TensorInfo {
  const cpuKernel = tf.getKernel("Conv2DBackpropFilter", "cpu");
  const cpu = tf.findBackend("cpu");
  if (!cpuKernel || !cpu) throw new Error("Conv2DBackpropFilter fallback: the cpu backend is not initialised");
  const copy = (t: tf.TensorInfo): tf.TensorInfo => ({ dataId: cpu.write(wasm.readSync(t.dataId), t.shape, t.dtype), shape: t.shape, dtype: t.dtype });
  const x = copy(xInfo);
  const dy = copy(dyInfo);
  const out = cpuKernel.kernelFunc({ inputs: { x, dy }, backend: cpu, attrs }) as tf.TensorInfo;
  const values = cpu.readSync(out.dataId);
  for (const t of [x, dy, out]) cpu.disposeData(t.dataId, true);
  return { dataId: wasm.write(values, out.shape, out.dtype), shape: out.shape, dtype: out.dtype };
}

/**
 * Registers a `Conv2DBackpropFilter` kernel for the `wasm` backend (see {@link FallbackMode}),
 * timing every call in {@link fallbackStats}, then checks it on a small problem against tfjs's
 * cpu kernel (throws if they differ). Needs the cpu and wasm backends initialised. Does nothing if
 * the wasm backend already has the kernel; throws if asked for a different mode than the one
 * registered before.
 */
export async function registerConvFilterGradFallback(mode: FallbackMode): Promise<void> {
  if (registered !== null) {
    if (registered !== mode) throw new Error(`Conv2DBackpropFilter fallback: ${registered} is registered, cannot switch to ${mode}`);
    return;
  }
  if (!wasmMissingKernels().includes("Conv2DBackpropFilter")) return;
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs = {} }) => {
      const t0 = performance.now();
      const { x, dy } = inputs;
      if (!x || !dy) throw new Error("Conv2DBackpropFilter fallback: needs inputs x and dy");
      let out: tf.TensorInfo;
      if (mode === "cpu") {
        out = filterGradOnCpu(x, dy, backend as tf.KernelBackend, attrs);
      } else {
        // Data is reference-counted by the backend: the engine wraps the returned data in a new
        // tensor without a reference of its own, so take one (as tfjs's reshape kernels do); the
        // tensor built here belongs to the enclosing tidy scope, whose end drops the other one.
        const engine = tf.engine();
        const wasm = backend as tf.KernelBackend & { incRef(dataId: tf.DataId): void };
        const wrap = (t: tf.TensorInfo) => {
          wasm.incRef(t.dataId);
          return engine.makeTensorFromTensorInfo(t) as tf.Tensor4D;
        };
        const xt = wrap(x);
        const dyt = wrap(dy);
        const dw = filterGradByOps(xt, dyt, attrs as unknown as FilterGradAttrs);
        xt.dispose();
        dyt.dispose();
        wasm.incRef(dw.dataId);
        out = { dataId: dw.dataId, shape: dw.shape, dtype: dw.dtype };
        dw.dispose();
      }
      fallbackStats.calls++;
      fallbackStats.ms += performance.now() - t0;
      return out;
    },
  });
  registered = mode;
  await checkFallback();
}

/** Compares the registered wasm kernel with tfjs's cpu kernel on a small random problem. */
async function checkFallback(): Promise<void> {
  const previous = tf.getBackend();
  const run = async (backend: string): Promise<Float32Array> => {
    if (!(await tf.setBackend(backend))) throw new Error(`Conv2DBackpropFilter fallback check: no ${backend} backend`);
    return tf.tidy(() => {
      const seedX = Array.from({ length: 2 * 6 * 5 * 3 }, (_, i) => Math.sin(i * 0.7));
      const seedDy = Array.from({ length: 2 * 6 * 5 * 4 }, (_, i) => Math.cos(i * 0.3));
      const x = tf.tensor4d(seedX, [2, 6, 5, 3]);
      const dy = tf.tensor4d(seedDy, [2, 6, 5, 4]);
      const w = tf.zeros([3, 3, 3, 4]) as tf.Tensor4D;
      const g = tf.grad((ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, ww as tf.Tensor4D, 1, "same"), dy)))(w);
      return g.dataSync() as Float32Array;
    });
  };
  const before = { ...fallbackStats };
  const a = await run("wasm");
  const b = await run("cpu");
  if (previous) await tf.setBackend(previous);
  Object.assign(fallbackStats, before); // the check's call is not part of any measured step
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    maxAbs = Math.max(maxAbs, Math.abs(b[i]));
  }
  if (a.length !== b.length || !(maxDiff <= 1e-4 * Math.max(1, maxAbs))) {
    throw new Error(`Conv2DBackpropFilter fallback: differs from the cpu kernel by ${maxDiff} (max |dW| ${maxAbs})`);
  }
}
