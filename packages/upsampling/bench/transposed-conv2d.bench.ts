// Benchmark (not a test): TransposedConv2D forward and backward at the SimpleUNet decoder shapes
// (batch 8, kernel 2 stride 2 as in the U-Net paper, and kernel 4 stride 2 padding 1), float32, on
// the active kernel backend. Median CPU time per call.
// Run: pnpm --filter @unetkit/upsampling bench:tconv   (UNETKIT_BACKEND=wasm for the wasm kernel
// backend, UNETKIT_WASM_THREADS for its threads, default 1; installed the way the test suites do it,
// by path). CPU time includes the kernel's page-fault time: a lone large output freed and allocated
// again per call can be handed back to the OS and faulted in anew each time (glibc malloc trimming),
// which adds up to ~0.7 ms per call here. For A/B comparisons keep it out with
// GLIBC_TUNABLES=glibc.malloc.trim_threshold=536870912:glibc.malloc.mmap_threshold=33554432
import { Rng, getBackend, randn } from "@unetkit/tensor";
import { formatRow, medianCpuMs } from "@unetkit/testing";
import {
  TransposedConv2D,
  transposedConv2dBackwardData,
  transposedConv2dBackwardWeight,
  transposedConv2dForward,
  type TransposedConv2dOptions,
} from "../src/index.js";

// By URL, not a literal specifier: this package's typecheck covers bench/ and the setup file lives
// outside any package.
if (process.env.UNETKIT_BACKEND) await import(new URL("../../../tools/vitest-backend-setup.ts", import.meta.url).href);

const BATCH = 8;
/** [inChannels, outChannels, input size, kernel, stride, padding]. */
const SHAPES: [number, number, number, number, number, number][] = [
  [32, 16, 32, 2, 2, 0],
  [64, 32, 16, 2, 2, 0],
  [32, 16, 32, 4, 2, 1],
];

/** Median CPU ms per call of `fn` (see medianCpuMs of @unetkit/testing). */
const time = (fn: () => void, budgetMs = 1500) => medianCpuMs(fn, { budgetMs, warmupCalls: 5, warmupMs: 300 });

const widths = [22, 10, 10, 10, 10, 10, 9];
console.log(`TransposedConv2D float32, batch ${BATCH}; backend "${getBackend().name}"; median CPU ms per call`);
console.log(formatRow(["shape", "forward", "bwd data", "bwd weight", "backward", "layer f+b", "GFLOP/s"], widths));
for (const [cin, cout, size, k, stride, padding] of SHAPES) {
  const rng = new Rng(0);
  const x = randn([BATCH, cin, size, size], rng);
  const layer = new TransposedConv2D(cin, cout, k, { stride, padding, rng });
  const w = layer.weight.value;
  const b = layer.bias!.value;
  const [outH, outW] = layer.outputSize(size, size);
  const dy = randn([BATCH, cout, outH, outW], rng);
  const opts: TransposedConv2dOptions = { stride, padding };
  const dW = layer.weight.grad;
  const db = layer.bias!.grad;
  const fwd = time(() => transposedConv2dForward(x, w, b, opts));
  const bwdData = time(() => transposedConv2dBackwardData(dy, w, x.shape, opts));
  const bwdWeight = time(() => transposedConv2dBackwardWeight(dy, x, w.shape, { ...opts, accumulateInto: dW, biasGradInto: db }));
  const both = time(() => {
    layer.forward(x);
    layer.backward(dy);
  });
  // 2 flops per multiply-add; forward, backward-data and backward-weight each do N*Cin*Cout*k*k*H*W.
  const flops = 3 * 2 * BATCH * cin * cout * k * k * size * size;
  console.log(
    formatRow(
      [
        `${cin}->${cout} k${k} s${stride} p${padding} @${size}`,
        fwd.toFixed(2),
        bwdData.toFixed(2),
        bwdWeight.toFixed(2),
        (bwdData + bwdWeight).toFixed(2),
        both.toFixed(2),
        (flops / (both * 1e6)).toFixed(2),
      ],
      widths,
    ),
  );
}
