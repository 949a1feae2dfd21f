// Entry of the browser test page (bundled by test/browser.test.ts with esbuild, served with and
// without cross-origin isolation, run in Chromium, on the page's main thread and in a module Worker). It loads the backend the way an application
// does (no `module` option: the default fetch of build/*.wasm), runs GEMMs and the fused conv
// kernels on 1 and 2 threads and on the TypeScript reference, and reports what it saw; the vitest
// side makes the assertions.
import { col2imAccumulateTs, im2colTs } from "@unetkit/im2col";
import { tsBackend, type ConvGeometry, type GemmArgs } from "@unetkit/tensor";
import { createWasmBackend, type WasmBackend } from "../../src/index.js";
import { atomicsWaitAllowed } from "../../src/web-workers.js";

/** One comparison of a wasm result with the reference and with the 1-thread wasm result. */
export interface Comparison {
  name: string;
  /** Largest |wasm - reference| / (1e-5 * sum of |terms| + 1e-6): at most 1 is within tolerance. */
  worstError: number;
  /** Whether the result equals the 1-thread backend's bit for bit (null on the 1-thread page). */
  sameBitsAsOneThread: boolean | null;
  /** Whether the op was split across threads (`stats().parallelGemms` grew). */
  split: boolean;
}

/** What the page reports to the test. */
export interface PageReport {
  crossOriginIsolated: boolean;
  /**
   * Whether the thread running the checks may block in `Atomics.wait`: not on a page's main thread
   * (the backend spins there), yes in a Worker; null without shared memory.
   */
  callerCanWait: boolean | null;
  hardwareConcurrency: number;
  /** `threads` of `createWasmBackend()` (defaults). */
  defaultThreads: number;
  /** `threads` of `createWasmBackend({ threads: 2 })`. */
  requestedTwoThreads: number;
  name: string;
  fma: boolean;
  comparisons: Comparison[];
  /**
   * Tensors in blocks of the WebAssembly memory, per backend (`threads: 2` as asked, and 1 thread
   * when the first has more): whether `allocateBlock` gave one, and whether a convolution and a ReLU
   * on operands in blocks gave the bits they give on copies (null without blocks).
   */
  blocks: { threads: number; available: boolean; sameBits: boolean | null }[];
  /**
   * A deferred scope on the 2-thread backend (beginDeferred / endDeferred): the jobs it queued (two
   * weight gradients and two input gradients' work items), and whether the gradients equal those of
   * the same calls without a scope; null on one thread or without blocks.
   */
  deferred: { jobs: number; sameBits: boolean } | null;
}

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 12.9898) * 2);
const abs = (x: Float32Array) => x.map(Math.abs);
const sameBits = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));

/** max over elements of |got - want| / (1e-5 * bound + 1e-6), `bound` the sum of |terms|. */
function worstError(got: Float32Array, want: Float32Array, bound: Float32Array): number {
  if (got.length !== want.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (1e-5 * bound[i] + 1e-6);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

interface GemmCase {
  name: string;
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
}

/** All above the 2^21-flop split threshold; the last is the conv weight-gradient shape (operands swapped). */
const GEMMS: GemmCase[] = [
  { name: "gemm 130x96x160", transA: false, transB: false, m: 130, n: 96, k: 160, alpha: 1, beta: 0 },
  { name: "gemm A^T 64x200x96 alpha 0.5 beta 1", transA: true, transB: false, m: 64, n: 200, k: 96, alpha: 0.5, beta: 1 },
  { name: "gemm B^T 100x90x120 beta -0.5", transA: false, transB: true, m: 100, n: 90, k: 120, alpha: 1, beta: -0.5 },
  { name: "gemm B^T 16x144x4096 (dW shape)", transA: false, transB: true, m: 16, n: 144, k: 4096, alpha: 1, beta: 1 },
];

function gemmArgs(c: GemmCase, a: Float32Array, b: Float32Array, out: Float32Array): GemmArgs {
  const { transA, transB, m, n, k, alpha, beta } = c;
  return { transA, transB, m, n, k, alpha, a, aOffset: 0, lda: transA ? m : k, b, bOffset: 0, ldb: transB ? k : n, beta, c: out, cOffset: 0, ldc: n };
}

/** Runs `op` on `backend` and tells whether it split work across threads. */
function splitBy(backend: WasmBackend, op: () => void): boolean {
  const before = backend.stats().parallelGemms;
  op();
  return backend.stats().parallelGemms > before;
}

function compareGemms(wasm: WasmBackend, one: WasmBackend | null): Comparison[] {
  return GEMMS.map((c, i) => {
    const a = values(c.m * c.k, 10 * i + 1);
    const b = values(c.k * c.n, 10 * i + 2);
    const c0 = values(c.m * c.n, 10 * i + 3);
    const want = c0.slice();
    tsBackend.gemm(gemmArgs(c, a, b, want));
    const bound = abs(c0);
    tsBackend.gemm({ ...gemmArgs(c, abs(a), abs(b), bound), alpha: Math.abs(c.alpha), beta: Math.abs(c.beta) });
    const got = c0.slice();
    const split = splitBy(wasm, () => wasm.gemm(gemmArgs(c, a, b, got)));
    let same: boolean | null = null;
    if (one) {
      const got1 = c0.slice();
      one.gemm(gemmArgs(c, a, b, got1));
      same = sameBits(got, got1);
    }
    return { name: c.name, worstError: worstError(got, want, bound), sameBitsAsOneThread: same, split };
  });
}

/**
 * The convolutions checked: 3x3 stride 1 (16 -> 16 channels, 32x32) and 3x3 stride 2 (16 -> 32,
 * 32x32 -> 16x16), so that whichever kernel the backend picks for a shape is covered; every weight
 * gradient GEMM is above the split threshold.
 */
const CONVS: { label: string; g: ConvGeometry; cout: number }[] = [
  {
    label: "3x3 s1",
    g: { channels: 16, height: 32, width: 32, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, outH: 32, outW: 32 },
    cout: 16,
  },
  {
    label: "3x3 s2",
    g: { channels: 16, height: 32, width: 32, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padH: 1, padW: 1, dilationH: 1, dilationW: 1, outH: 16, outW: 16 },
    cout: 32,
  },
];

/** The fused conv kernels on a batch of 3 (an uneven image split over 2 threads) against im2col + TypeScript GEMM. */
function compareConvs(wasm: WasmBackend, one: WasmBackend | null, label: string, g: ConvGeometry, cout: number): Comparison[] {
  const batch = 3;
  const image = g.channels * g.height * g.width;
  const K = g.channels * g.kernelH * g.kernelW;
  const L = g.outH * g.outW;
  const x = values(batch * image, 1);
  const w = values(cout * K, 2);
  const bias = values(cout, 3);
  const dy = values(batch * cout * L, 4);
  const cols = new Float32Array(K * L);
  const absCols = new Float32Array(K * L);

  // forward: out[b] = W @ cols(x[b]) + bias
  const fwdWant = new Float32Array(batch * cout * L);
  const fwdBound = new Float32Array(batch * cout * L);
  for (let b = 0; b < batch; b++) {
    im2colTs({ geometry: g, image: x, imageOffset: b * image, cols, colsOffset: 0 });
    absCols.set(abs(cols));
    for (let co = 0; co < cout; co++) {
      fwdWant.fill(bias[co], (b * cout + co) * L, (b * cout + co + 1) * L);
      fwdBound.fill(Math.abs(bias[co]), (b * cout + co) * L, (b * cout + co + 1) * L);
    }
    const c = b * cout * L;
    tsBackend.gemm({ transA: false, transB: false, m: cout, n: L, k: K, alpha: 1, a: w, aOffset: 0, lda: K, b: cols, bOffset: 0, ldb: L, beta: 1, c: fwdWant, cOffset: c, ldc: L });
    tsBackend.gemm({ transA: false, transB: false, m: cout, n: L, k: K, alpha: 1, a: abs(w), aOffset: 0, lda: K, b: absCols, bOffset: 0, ldb: L, beta: 1, c: fwdBound, cOffset: c, ldc: L });
  }
  // input gradient: dx[b] += col2im(W^T @ dy[b]) (accumulated into dx0)
  const dx0 = values(batch * image, 5);
  const dxWant = dx0.slice();
  const dxBound = abs(dx0);
  for (let b = 0; b < batch; b++) {
    tsBackend.gemm({ transA: true, transB: false, m: K, n: L, k: cout, alpha: 1, a: w, aOffset: 0, lda: K, b: dy, bOffset: b * cout * L, ldb: L, beta: 0, c: cols, cOffset: 0, ldc: L });
    col2imAccumulateTs({ geometry: g, image: dxWant, imageOffset: b * image, cols, colsOffset: 0 });
    tsBackend.gemm({ transA: true, transB: false, m: K, n: L, k: cout, alpha: 1, a: abs(w), aOffset: 0, lda: K, b: abs(dy), bOffset: b * cout * L, ldb: L, beta: 0, c: absCols, cOffset: 0, ldc: L });
    col2imAccumulateTs({ geometry: g, image: dxBound, imageOffset: b * image, cols: absCols, colsOffset: 0 });
  }
  // weight gradient: dW += sum_b dy[b] @ cols(x[b])^T (accumulated into dW0)
  const dW0 = values(cout * K, 6);
  const dwWant = dW0.slice();
  const dwBound = abs(dW0);
  for (let b = 0; b < batch; b++) {
    im2colTs({ geometry: g, image: x, imageOffset: b * image, cols, colsOffset: 0 });
    absCols.set(abs(cols));
    tsBackend.gemm({ transA: false, transB: true, m: cout, n: K, k: L, alpha: 1, a: dy, aOffset: b * cout * L, lda: L, b: cols, bOffset: 0, ldb: L, beta: 1, c: dwWant, cOffset: 0, ldc: K });
    tsBackend.gemm({ transA: false, transB: true, m: cout, n: K, k: L, alpha: 1, a: abs(dy), aOffset: b * cout * L, lda: L, b: absCols, bOffset: 0, ldb: L, beta: 1, c: dwBound, cOffset: 0, ldc: K });
  }

  const kernels = [
    {
      name: "conv2dForward",
      want: fwdWant,
      bound: fwdBound,
      run: (be: WasmBackend) => {
        const out = values(batch * cout * L, 7); // overwritten
        be.conv2dForward({ geometry: g, batch, cout, x, weight: w, bias, out });
        return out;
      },
    },
    {
      name: "conv2dBackwardData",
      want: dxWant,
      bound: dxBound,
      run: (be: WasmBackend) => {
        const dx = dx0.slice();
        be.conv2dBackwardData({ geometry: g, batch, cout, dy, weight: w, dx });
        return dx;
      },
    },
    {
      name: "conv2dBackwardWeight",
      want: dwWant,
      bound: dwBound,
      run: (be: WasmBackend) => {
        const dW = dW0.slice();
        be.conv2dBackwardWeight({ geometry: g, batch, cout, dy, x, dW });
        return dW;
      },
    },
  ];
  return kernels.map(({ name, want, bound, run }) => {
    let got = new Float32Array(0);
    const split = splitBy(wasm, () => {
      got = run(wasm);
    });
    return { name: `${name} ${label}`, worstError: worstError(got, want, bound), sameBitsAsOneThread: one ? sameBits(got, run(one)) : null, split };
  });
}

/** A convolution and a ReLU on operands in blocks against the same on ordinary arrays (see PageReport.blocks). */
function checkBlocks(be: WasmBackend): PageReport["blocks"][number] {
  const g: ConvGeometry = { channels: 8, height: 16, width: 16, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, outH: 16, outW: 16 };
  const x = values(2 * 8 * 256, 11);
  const weight = values(8 * 8 * 9, 12);
  const out = new Float32Array(x.length);
  be.conv2dForward({ geometry: g, batch: 2, cout: 8, x, weight, bias: null, out });
  const y = new Float32Array(x.length);
  be.reluForward({ x: out, y });
  const xb = be.allocateBlock(x.length);
  if (xb === null) return { threads: be.threads, available: false, sameBits: null };
  const ob = be.allocateBlock(x.length)!;
  const yb = be.allocateBlock(x.length)!;
  xb.set(x);
  be.conv2dForward({ geometry: g, batch: 2, cout: 8, x: xb, weight, bias: null, out: ob });
  be.reluForward({ x: ob, y: yb });
  const same = sameBits(ob, out) && sameBits(yb, y);
  for (const b of [xb, ob, yb]) be.freeBlock(b);
  return { threads: be.threads, available: true, sameBits: same };
}

/** Two convolution backwards (operands in blocks), in a deferred scope and without one (see PageReport.deferred). */
function checkDeferred(be: WasmBackend): PageReport["deferred"] {
  if (be.threads < 2) return null;
  const g: ConvGeometry = { channels: 16, height: 32, width: 32, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, outH: 32, outW: 32 };
  const n = 2 * 16 * 1024;
  const blocks: Float32Array[] = [];
  const block = (v: Float32Array) => {
    const b = be.allocateBlock(v.length);
    if (b === null) throw new Error("no block");
    b.set(v);
    blocks.push(b);
    return b;
  };
  const pass = (deferred: boolean) => {
    const x = block(values(n, 21)), dy = block(values(n, 22)), dx = block(new Float32Array(n));
    const dx2 = block(new Float32Array(n));
    const dW = values(16 * 16 * 9, 23), dW2 = values(16 * 16 * 9, 24);
    const w = values(16 * 16 * 9, 25);
    const before = be.stats().parallelGemms;
    if (deferred) be.beginDeferred();
    be.conv2dBackward({ geometry: g, batch: 2, cout: 16, dy, x, weight: w, dx, dW, dxZero: true });
    be.conv2dBackward({ geometry: g, batch: 2, cout: 16, dy: dx, x, weight: w, dx: dx2, dW: dW2, dxZero: true });
    if (deferred) be.endDeferred();
    return { jobs: be.stats().parallelGemms - before, out: [dx.slice(), dx2.slice(), dW, dW2] };
  };
  try {
    if (be.allocateBlock(1) === null) return null;
    const plain = pass(false);
    const deferred = pass(true);
    return { jobs: deferred.jobs, sameBits: deferred.out.every((v, i) => sameBits(v, plain.out[i])) };
  } finally {
    for (const b of blocks) be.freeBlock(b);
  }
}

/** Runs every check and returns what it saw; backends are disposed before returning. */
async function runChecks(): Promise<PageReport> {
  const byDefault = await createWasmBackend();
  const defaultThreads = byDefault.threads;
  byDefault.dispose();
  const wasm = await createWasmBackend({ threads: 2 });
  const one = wasm.threads > 1 ? await createWasmBackend({ threads: 1 }) : null;
  try {
    return {
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      callerCanWait: typeof SharedArrayBuffer === "function" ? atomicsWaitAllowed() : null,
      hardwareConcurrency: navigator.hardwareConcurrency,
      defaultThreads,
      requestedTwoThreads: wasm.threads,
      name: wasm.name,
      fma: wasm.fma,
      comparisons: [...compareGemms(wasm, one), ...CONVS.flatMap((c) => compareConvs(wasm, one, c.label, c.g, c.cout))],
      blocks: [wasm, ...(one ? [one] : [])].map(checkBlocks),
      deferred: checkDeferred(wasm),
    };
  } finally {
    wasm.dispose();
    one?.dispose();
  }
}

(globalThis as { unetkitChecks?: () => Promise<PageReport> }).unetkitChecks = runChecks;
