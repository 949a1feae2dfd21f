import { ArgumentError, type ConvGeometry } from "@unetkit/tensor";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { useBothBuilds } from "../test/both-builds.js";
import { createWasmBackend, type WasmBackend } from "./wasm-backend.js";

const builds = useBothBuilds();

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 12.9898) * 2);
const sameBits = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));

/** Where a call's float32 operands live: ordinary arrays, or blocks of the backend's memory (all, or only some). */
type Placement = "heap" | "blocks" | "inputs" | "outputs";

/**
 * Runs `call` with float32 operands made from `init` (name -> contents), placed per `placement`
 * (`inputs`: only the names in `inputs` in blocks; `outputs`: only the others), and returns every
 * operand's contents afterwards, as ordinary arrays.
 */
function run(
  backend: WasmBackend, placement: Placement, init: Record<string, Float32Array>, inputs: string[],
  call: (ops: Record<string, Float32Array>, backend: WasmBackend) => void,
): Record<string, Float32Array> {
  const ops: Record<string, Float32Array> = {};
  const blocks: Float32Array[] = [];
  for (const [name, v] of Object.entries(init)) {
    const input = inputs.includes(name);
    const inBlock = placement === "blocks" || (placement === "inputs" && input) || (placement === "outputs" && !input);
    const b = inBlock ? backend.allocateBlock(v.length) : new Float32Array(v.length);
    expect(b).not.toBe(null);
    b!.set(v);
    ops[name] = b!;
    if (inBlock) blocks.push(b!);
  }
  call(ops, backend);
  const out = Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, v.slice()]));
  for (const b of blocks) backend.freeBlock(b);
  return out;
}

/** Checks that every placement gives the heap's bits for every operand, and that inputs are left as they were. */
function expectSameEverywhere(
  backend: WasmBackend, init: Record<string, Float32Array>, inputs: string[],
  call: (ops: Record<string, Float32Array>, backend: WasmBackend) => void, reference = backend,
): void {
  const heap = run(reference, "heap", init, inputs, call);
  for (const name of inputs) expect(sameBits(heap[name], init[name]), `${name} is an input`).toBe(true);
  for (const placement of ["blocks", "inputs", "outputs"] as const) {
    const got = run(backend, placement, init, inputs, call);
    for (const name of Object.keys(init)) {
      expect({ placement, name, same: sameBits(got[name], heap[name]) }).toEqual({ placement, name, same: true });
    }
  }
}

const geometry = (channels: number, size: number, k: number, pad: number): ConvGeometry => ({
  channels, height: size, width: size, kernelH: k, kernelW: k, strideH: 1, strideW: 1, padH: pad, padW: pad,
  dilationH: 1, dilationW: 1, outH: size + 2 * pad - k + 1, outW: size + 2 * pad - k + 1,
});

describe("blocks of WebAssembly memory", () => {
  it("are 64-byte aligned views of the shared memory that never overlap, reused once freed, merged with free neighbours", () => {
    const b = builds.fma.one;
    const a1 = b.allocateBlock(10)!;
    const a2 = b.allocateBlock(100)!;
    const a3 = b.allocateBlock(1000)!;
    expect(a1.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([a1.length, a2.length, a3.length]).toEqual([10, 100, 1000]);
    for (const a of [a1, a2, a3]) expect(a.byteOffset % 64).toBe(0);
    expect(a2.byteOffset).toBeGreaterThanOrEqual(a1.byteOffset + 40);
    expect(a3.byteOffset).toBeGreaterThanOrEqual(a2.byteOffset + 400);
    b.freeBlock(a1);
    b.freeBlock(a2);
    const merged = b.allocateBlock(16 + 112)!; // a1 (64 bytes) and a2 (448 bytes) make 512 bytes together
    expect(merged.byteOffset).toBe(a1.byteOffset);
    b.freeBlock(merged);
    b.freeBlock(a3);
    expect(() => b.freeBlock(a3)).toThrow(/freeBlock: not a live block of this backend's allocateBlock/);
    expect(() => b.freeBlock(new Float32Array(4))).toThrow(ArgumentError);
    expect(() => builds.fma.two.freeBlock(b.allocateBlock(4)!)).toThrow(ArgumentError);
    expect(() => b.allocateBlock(-1)).toThrow(/allocateBlock: length must be a non-negative integer/);
  });

  it("none on a memory that is not shared, nor once disposed", async () => {
    const module = readFileSync(new URL("../build/kernels.wasm", import.meta.url));
    const single = await createWasmBackend({ threads: 1, fma: false, module });
    expect(single.allocateBlock(16)).toBe(null);
    single.dispose();
    const b = await createWasmBackend({ threads: 1 });
    const block = b.allocateBlock(16)!;
    b.dispose();
    expect(b.allocateBlock(16)).toBe(null);
    expect(() => b.freeBlock(block)).not.toThrow();
  });

  it("keep their contents while the memory grows", () => {
    const b = builds.plain.one;
    const first = b.allocateBlock(1000)!;
    first.set(values(1000, 1));
    const big = b.allocateBlock(40 << 20)!; // 160 MiB: the memory grows
    expect(sameBits(first, values(1000, 1))).toBe(true);
    b.freeBlock(big);
    b.freeBlock(first);
  });
});

describe("kernels on operands in blocks give the bits they give on copies", () => {
  for (const fma of [false, true]) {
    for (const which of ["one", "two", "direct"] as const) {
      it(`convolutions, ${fma ? "fma" : "plain"} build, ${which}`, () => {
        const backend = builds[fma ? "fma" : "plain"][which];
        fc.assert(
          fc.property(
            fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 }),
            fc.integer({ min: 2, max: 11 }), fc.constantFrom(1, 3), fc.boolean(), fc.integer(),
            (channels, cout, batch, size, k, bias, seed) => {
              const g = geometry(channels, size, k, k === 3 ? 1 : 0);
              const image = channels * size * size;
              const L = g.outH * g.outW;
              const x = values(batch * image, seed);
              const w = values(cout * channels * k * k, seed + 1);
              const dy = values(batch * cout * L, seed + 2);
              const bv = Float64Array.from(values(cout, seed + 3));
              expectSameEverywhere(backend, { x, w, out: values(batch * cout * L, seed + 4) }, ["x", "w"], (o) =>
                backend.conv2dForward({ geometry: g, batch, cout, x: o.x, weight: o.w, bias: bias ? Float32Array.from(bv) : null, out: o.out }),
              );
              for (const dxZero of [false, true]) {
                expectSameEverywhere(backend, { dy, w, dx: dxZero ? new Float32Array(batch * image) : values(batch * image, seed + 5) }, ["dy", "w"], (o) =>
                  backend.conv2dBackwardData({ geometry: g, batch, cout, dy: o.dy, weight: o.w, dx: o.dx, dxZero }),
                );
              }
              expectSameEverywhere(backend, { dy, x, dW: values(w.length, seed + 6) }, ["dy", "x"], (o) =>
                backend.conv2dBackwardWeight({ geometry: g, batch, cout, dy: o.dy, x: o.x, dW: o.dW }),
              );
              expectSameEverywhere(backend, { dy, x, w, dx: new Float32Array(batch * image), dW: values(w.length, seed + 7) }, ["dy", "x", "w"], (o) =>
                backend.conv2dBackward({ geometry: g, batch, cout, dy: o.dy, x: o.x, weight: o.w, dx: o.dx, dW: o.dW, dxZero: true }),
              );
            },
          ),
          { numRuns: 12 },
        );
      });
    }
  }

  it("the concurrent backward (both threads take weight-gradient rows, then input-gradient work items) equals 1 thread", () => {
    for (const fma of [false, true]) {
      const { one, two } = builds[fma ? "fma" : "plain"];
      for (const [N, M, S, B] of [[16, 16, 64, 8], [2, 16, 32, 4], [4, 64, 16, 8], [32, 8, 16, 3], [8, 8, 32, 1]]) {
        const g = geometry(N, S, 3, 1);
        const x = values(B * N * S * S, N);
        const dy = values(B * M * S * S, M);
        const w = values(M * N * 9, S);
        const dW0 = values(w.length, B);
        expectSameEverywhere(two, { dy, x, w, dx: new Float32Array(x.length), dW: dW0 }, ["dy", "x", "w"], (o, b) =>
          b.conv2dBackward({ geometry: g, batch: B, cout: M, dy: o.dy, x: o.x, weight: o.w, dx: o.dx, dW: o.dW, dxZero: true }), one);
        expectSameEverywhere(two, { dy, x, w, dx: values(x.length, 5), dW: dW0 }, ["dy", "x", "w"], (o, b) =>
          b.conv2dBackward({ geometry: g, batch: B, cout: M, dy: o.dy, x: o.x, weight: o.w, dx: o.dx, dW: o.dW }), one);
      }
    }
  });

  it("a SimpleUNet-sized layer on 2 threads: the concurrent backward and the work-item split", () => {
    const backend = builds.fma.two;
    const g = geometry(16, 64, 3, 1);
    const batch = 8;
    const cout = 16;
    const n = batch * 16 * 64 * 64;
    const x = values(n, 1);
    const dy = values(n, 2);
    const w = values(cout * 16 * 9, 3);
    expectSameEverywhere(backend, { x, w, out: new Float32Array(n) }, ["x", "w"], (o) =>
      backend.conv2dForward({ geometry: g, batch, cout, x: o.x, weight: o.w, bias: null, out: o.out }),
    );
    expectSameEverywhere(backend, { dy, x, w, dx: new Float32Array(n), dW: new Float32Array(w.length) }, ["dy", "x", "w"], (o) =>
      backend.conv2dBackward({ geometry: g, batch, cout, dy: o.dy, x: o.x, weight: o.w, dx: o.dx, dW: o.dW, dxZero: true }),
    );
  });

  /** Every elementwise kernel on `backend` with operands in blocks (and mixed), against `reference` on copies. */
  function elementwiseCase(backend: WasmBackend, reference: WasmBackend, batch: number, channels: number, H: number, W: number, batchStats: boolean, seed: number) {
    const plane = H * W;
    const n = batch * channels * plane;
    const x = values(n, seed);
    const dy = values(n, seed + 1);
    const layout = { batch, channels, plane };
    const same = (init: Record<string, Float32Array>, inputs: string[], call: (o: Record<string, Float32Array>, b: WasmBackend) => void) =>
      expectSameEverywhere(backend, init, inputs, call, reference);
    same({ x, y: values(n, 9) }, ["x"], (o, b) => b.reluForward({ x: o.x, y: o.y }));
    same({ x, dy, out: values(n, 9) }, ["x", "dy"], (o, b) => b.add({ a: o.x, b: o.dy, out: o.out }));
    same({ dy, y: x, dx: values(n, 9) }, ["dy", "y"], (o, b) => b.reluBackward({ dy: o.dy, y: o.y, dx: o.dx }));
    same({ x }, [], (o, b) => {
      const mean = new Float64Array(channels);
      const variance = new Float64Array(channels);
      b.batchNormStatistics({ x: o.x, ...layout, mean, variance });
      o.x = Float32Array.from([...o.x, ...new Float32Array(mean.buffer), ...new Float32Array(variance.buffer)]); // compared too, bit for bit
    });
    const mean = Float64Array.from(values(channels, seed + 2));
    const scale = Float64Array.from(values(channels, seed + 3));
    const shift = Float64Array.from(values(channels, seed + 4));
    same({ x, y: values(n, 9) }, ["x"], (o, b) => b.batchNormNormalize({ x: o.x, y: o.y, ...layout, mean, scale, shift }));
    // the fused training forward (per channel group on blocks, two passes on copies), affine or not, with and without ReLU
    for (const [weight, bias, relu] of [[Float32Array.from(scale), Float32Array.from(shift), batchStats], [null, null, !batchStats]] as const) {
      same({ x, y: values(n, 9) }, ["x"], (o, b) => {
        const stats = [new Float64Array(channels), new Float64Array(channels), new Float64Array(channels)];
        b.batchNormForward({ x: o.x, y: o.y, ...layout, weight, bias, eps: 1e-5, relu, mean: stats[0], variance: stats[1], invstd: stats[2] });
        o.y = Float32Array.from([...o.y, ...stats.flatMap((a) => [...new Float32Array(a.buffer)])]); // compared too, bit for bit
      });
    }
    same({ dy, x, dx: values(n, 9) }, ["dy", "x"], (o, b) => {
      const sumDy = new Float64Array(channels);
      const sumDyXhat = new Float64Array(channels);
      b.batchNormBackward({ dy: o.dy, x: o.x, dx: o.dx, ...layout, mean, invstd: scale.map(Math.abs), weight: Float32Array.from(shift), batchStats, sumDy, sumDyXhat });
      o.dx = Float32Array.from([...o.dx, ...new Float32Array(sumDy.buffer), ...new Float32Array(sumDyXhat.buffer)]);
    });
    // with a ReLU fused in: normalize then ReLU, and the backward gated by the ReLU's output
    same({ x, y: values(n, 9) }, ["x"], (o, b) => b.batchNormNormalize({ x: o.x, y: o.y, ...layout, mean, scale, shift, relu: true }));
    same({ dy, x, gate: values(n, seed + 7), dx: values(n, 9) }, ["dy", "x", "gate"], (o, b) => {
      const sumDy = new Float64Array(channels);
      const sumDyXhat = new Float64Array(channels);
      b.batchNormBackward({ dy: o.dy, x: o.x, dx: o.dx, ...layout, mean, invstd: scale.map(Math.abs), weight: Float32Array.from(shift), batchStats, sumDy, sumDyXhat, gate: o.gate });
      o.dx = Float32Array.from([...o.dx, ...new Float32Array(sumDy.buffer), ...new Float32Array(sumDyXhat.buffer)]);
    });
    const planes = batch * channels;
    const outH = H >> 1;
    const outW = W >> 1;
    const outPlane = outH * outW;
    let indices = new Int32Array(0);
    same({ x, y: values(planes * outPlane, 9) }, ["x"], (o, b) => {
      const idx = new Int32Array(planes * outPlane);
      b.maxPool2x2({ x: o.x, y: o.y, indices: idx, planes, height: H, width: W, outH, outW });
      o.y = Float32Array.from([...o.y, ...new Float32Array(idx.buffer)]);
      indices = idx;
    });
    same({ dy: values(planes * outPlane, seed + 5), dx: values(n, 9) }, ["dy"], (o, b) =>
      b.maxPoolBackward({ dy: o.dy, indices, dx: o.dx, planes, inPlane: plane, outPlane }),
    );
    same({ x, y: values(4 * n, 9) }, ["x"], (o, b) => b.upsampleNearest2x({ x: o.x, y: o.y, planes, height: H, width: W }));
    same({ dy: values(4 * n, seed + 6), dx: values(n, 9) }, ["dy"], (o, b) => b.upsampleNearest2xBackward({ dy: o.dy, dx: o.dx, planes, height: H, width: W }));
    // into and from channels 1..1+channels of a wider tensor (channels + 2 per image): planes in runs
    const runStride = (channels + 2) * 4 * plane;
    const runs = { runPlanes: channels, runStride };
    same({ x, y: values(batch * runStride, 9) }, ["x"], (o, b) =>
      b.upsampleNearest2xInto({ x: o.x, y: o.y.subarray(4 * plane), planes, height: H, width: W, ...runs }));
    same({ dy: values(batch * runStride, seed + 6), dx: values(n, 9) }, ["dy"], (o, b) =>
      b.upsampleNearest2xBackwardFrom({ dy: o.dy.subarray(4 * plane), dx: o.dx, planes, height: H, width: W, ...runs }));
    // bilinear resizing to (H + 3) x (2W - 1) by random tables (any valid indices and weights)
    const table = (inSize: number, outSize: number, s: number) => {
      const r = values(4 * outSize, s);
      const at = (v: number) => Math.min(inSize - 1, Math.floor(Math.abs(v) * inSize) % inSize);
      return {
        i0: Int32Array.from({ length: outSize }, (_, o) => at(r[o])), i1: Int32Array.from({ length: outSize }, (_, o) => at(r[outSize + o])),
        w0: Float64Array.from(r.subarray(2 * outSize, 3 * outSize)), w1: Float64Array.from(r.subarray(3 * outSize)),
      };
    };
    const outH2 = H + 3;
    const outW2 = 2 * W - 1;
    const bil = { planes, inH: H, inW: W, outH: outH2, outW: outW2, rows: table(H, outH2, seed + 8), cols: table(W, outW2, seed + 9) };
    same({ x, y: values(planes * outH2 * outW2, 9) }, ["x"], (o, b) => b.bilinearUpsample({ x: o.x, y: o.y, ...bil }));
    same({ dy: values(planes * outH2 * outW2, seed + 10), dx: values(n, 9) }, ["dy"], (o, b) => b.bilinearUpsampleBackward({ dy: o.dy, dx: o.dx, ...bil }));
    // and into / from channels 1..1+channels of a wider tensor (planes in runs)
    const bilRuns = { runPlanes: channels, runStride: (channels + 2) * outH2 * outW2 };
    same({ x, y: values(batch * bilRuns.runStride, 9) }, ["x"], (o, b) =>
      b.bilinearUpsample({ x: o.x, y: o.y.subarray(outH2 * outW2), ...bil, ...bilRuns }));
    same({ dy: values(batch * bilRuns.runStride, seed + 10), dx: values(n, 9) }, ["dy"], (o, b) =>
      b.bilinearUpsampleBackward({ dy: o.dy.subarray(outH2 * outW2), dx: o.dx, ...bil, ...bilRuns }));
  }

  it("ReLU, BatchNorm, max pooling and nearest upsampling, on 1 and 2 threads (against 1 thread on copies)", () => {
    for (const [build, which] of [["plain", "one"], ["fma", "one"], ["plain", "two"], ["fma", "two"]] as const) {
      const backend = builds[build][which];
      const reference = builds[build].one;
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 70 }), fc.boolean(), fc.integer(),
          (batch, channels, H, W, batchStats, seed) => elementwiseCase(backend, reference, batch, channels, H, W, batchStats, seed)),
        { numRuns: 10 },
      );
      // big enough to be split across the threads (odd planes, one channel, several images)
      elementwiseCase(backend, reference, 8, 16, 32, 32, true, 1);
      elementwiseCase(backend, reference, 3, 5, 63, 65, false, 2);
      elementwiseCase(backend, reference, 4, 1, 128, 128, true, 3);
    }
  });

  it("gemm: A, B and C used in place (1 and 2 threads, transposes, offsets, leading dimensions with gaps, beta)", () => {
    for (const build of ["plain", "fma"] as const) {
      for (const which of ["one", "two"] as const) {
        const backend = builds[build][which];
        const reference = builds[build].one;
        fc.assert(
          fc.property(
            // up to 2*120*120*300 flops: past the size where 2 threads split a GEMM
            fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 120 }), fc.integer({ min: 0, max: 300 }),
            fc.boolean(), fc.boolean(), fc.constantFrom(0, 1, -0.5), fc.constantFrom(1, 0.5, 0),
            fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(2), fc.integer(),
            (m, n, k, transA, transB, beta, alpha, off, padA, padC, padB, seed) => {
              const lda = Math.max(1, transA ? m : k) + padA;
              const ldb = Math.max(1, transB ? k : n) + padB;
              const ldc = n + padC;
              const init = {
                a: values(off + Math.max(1, transA ? k : m) * lda + 2, seed),
                b: values(off + Math.max(1, transB ? n : k) * ldb + 1, seed + 1),
                c: values(off + m * ldc + 3, seed + 2),
              };
              expectSameEverywhere(backend, init, ["a", "b"], (o, b) =>
                b.gemm({ transA, transB, m, n, k, alpha, a: o.a, aOffset: off, lda, b: o.b, bOffset: off, ldb, beta, c: o.c, cOffset: off, ldc }),
              reference);
            },
          ),
          { numRuns: 25 },
        );
      }
    }
  });

  it("gemm: C overlapping A or B in the same block gives what the copying path gives (A and B as they were before the call)", () => {
    const backend = builds.fma.two;
    const [m, n, k] = [40, 48, 300]; // k past one packed block of B (256 rows), so B is read again after C is written
    for (const over of ["a", "b"] as const) {
      const length = 4 * m * k + n * k;
      const init = values(length, 9);
      // A at 0 (m x k), B after it (k x n); C (m x n) starts inside the operand it overlaps
      const cOffset = over === "a" ? 10 : m * k + 260 * n + 7; // into the B rows packed second
      const call = (buf: Float32Array) =>
        backend.gemm({ transA: false, transB: false, m, n, k, alpha: 1, a: buf, aOffset: 0, lda: k, b: buf, bOffset: m * k, ldb: n, beta: 0.5, c: buf, cOffset, ldc: n });
      const heap = init.slice();
      call(heap);
      const block = backend.allocateBlock(length)!;
      block.set(init);
      call(block);
      expect(sameBits(block.slice(), heap)).toBe(true);
      backend.freeBlock(block);
      // and it is the product of the operands as they were: row 0 of C against a direct sum
      const want = Array.from({ length: n }, (_, j) => {
        let s = 0;
        for (let p = 0; p < k; p++) s += init[p] * init[m * k + p * n + j];
        return s + 0.5 * init[cOffset + j];
      });
      for (let j = 0; j < n; j++) expect(Math.abs(heap[cOffset + j] - want[j])).toBeLessThan(1e-4);
    }
  });
});
