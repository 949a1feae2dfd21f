// Benchmark (not a test): Conv2D forward and backward at the SimpleUNet layer shapes (batch 8,
// kernel 3, padding 1), float32, on the active kernel backend. Median CPU time per call.
// Run: pnpm --filter @unetkit/layers bench   (UNETKIT_BACKEND=wasm for the wasm kernel backend,
// installed the way the test suites do it, by path, so layers needs no dependency on it)
import { Rng, getBackend, randn } from "@unetkit/tensor";
import { formatRow, medianCpuMs } from "@unetkit/testing";
import { Conv2D, conv2dBackwardData, conv2dBackwardWeight, conv2dForward } from "../src/index.js";

if (process.env.UNETKIT_BACKEND) await import("../../../tools/vitest-backend-setup.ts");

const BATCH = 8;
/** [inChannels, outChannels, size]: the four shapes, then the second conv of each DoubleConv. */
const SHAPES: [number, number, number][] = [
  [1, 16, 64],
  [16, 16, 64],
  [16, 32, 32],
  [32, 64, 16],
  [32, 32, 32],
  [64, 64, 16],
];

/** Median CPU ms per call of `fn` (see medianCpuMs of @unetkit/testing). */
const time = (fn: () => void, budgetMs = 1500) => medianCpuMs(fn, { budgetMs, warmupCalls: 2 });

const widths = [16, 10, 10, 10, 10, 10, 9];
console.log(`Conv2D float32, batch ${BATCH}, kernel 3, padding 1; backend "${getBackend().name}"; median CPU ms per call`);
console.log(formatRow(["shape", "forward", "bwd data", "bwd weight", "backward", "layer f+b", "GFLOP/s"], widths));
for (const [cin, cout, size] of SHAPES) {
  const rng = new Rng(0);
  const x = randn([BATCH, cin, size, size], rng);
  const conv = new Conv2D(cin, cout, 3, { padding: 1, rng });
  const w = conv.weight.value;
  const b = conv.bias!.value;
  const dy = randn([BATCH, cout, size, size], rng);
  const opts = { padding: 1 };
  const fwd = time(() => conv2dForward(x, w, b, opts));
  const bwdData = time(() => conv2dBackwardData(dy, w, x.shape, opts));
  const bwdWeight = time(() => conv2dBackwardWeight(dy, x, w.shape, opts));
  const layer = time(() => {
    conv.forward(x);
    conv.backward(dy);
  });
  // 2 flops per multiply-add; forward, backward-data and backward-weight each do N*Cout*Cin*9*H*W.
  const flops = 3 * 2 * BATCH * cout * cin * 9 * size * size;
  console.log(
    formatRow(
      [
        `${cin}->${cout} @${size}x${size}`,
        fwd.toFixed(2),
        bwdData.toFixed(2),
        bwdWeight.toFixed(2),
        (bwdData + bwdWeight).toFixed(2),
        layer.toFixed(2),
        (flops / (layer * 1e6)).toFixed(2),
      ],
      widths,
    ),
  );
}
