import * as tf from "@tensorflow/tfjs";
import { Rng } from "@unetkit/tensor";
import { median } from "./measure.js";
import { activateTfjs, type TfjsBackendName } from "./tfjs-workloads.js";

/** One tfjs `matMul` timing (forward shapes only: `[M,K] x [K,N]`). */
export interface TfjsGemmRow {
  backend: string;
  m: number;
  k: number;
  n: number;
  medianMs: number;
  gflops: number;
  runs: number;
}

/**
 * Times `tf.matMul` (+ `dataSync`) on a tfjs backend at the given shapes: one warm-up, then `runs`
 * timed runs, median. For comparison with unetkit's GEMM table; tfjs's conv2d does not necessarily
 * go through this kernel (the wasm backend calls XNNPACK's convolution directly).
 */
export async function runTfjsGemm(
  backend: TfjsBackendName,
  shapes: readonly { m: number; k: number; n: number }[],
  runs: number,
): Promise<TfjsGemmRow[]> {
  await activateTfjs(backend);
  const rows: TfjsGemmRow[] = [];
  const rng = new Rng(1234);
  for (const { m, k, n } of shapes) {
    const a = tf.tensor2d(rng.fillUniform(new Float32Array(m * k), -1, 1), [m, k]);
    const b = tf.tensor2d(rng.fillUniform(new Float32Array(k * n), -1, 1), [k, n]);
    const once = () => tf.tidy(() => void tf.matMul(a, b).dataSync());
    once();
    const wall: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      once();
      wall.push(performance.now() - t0);
    }
    a.dispose();
    b.dispose();
    const ms = median(wall);
    rows.push({ backend: `tfjs ${backend}`, m, k, n, medianMs: ms, gflops: (2 * m * n * k) / ms / 1e6, runs });
  }
  return rows;
}
