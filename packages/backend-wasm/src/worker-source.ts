/**
 * Source of the GEMM worker thread (run with `new Worker(source, { eval: true })`, so it works from
 * TypeScript sources and from the bundle alike). It instantiates the shared-memory kernels module
 * on the shared memory and serves requests posted through a control slot in that memory:
 * slot[0] request sequence, slot[1] done sequence, slot[2] status (0 ok, 1 failed), slot[3] command
 * (1 gemm, 2 exit, 3 conv forward, 4 conv input gradient, 5 direct conv, 6 direct conv weight gradient, 7 direct conv with a shared image counter), slot[4..16] the gemm arguments (alpha and
 * beta as float32 bits); for 3 and 4: slot[4..10] weight, K, cout, L, input base, image size, output
 * base, slot[11..12] the image range, slot[13] this thread's column scratch, slot[14] beta,
 * slot[15..27] the geometry; for 5 (direct stride-1 convolution): slot[4..26] the arguments of the
 * kernels' convDirect (convWinograd takes the same ones) and slot[28] the kernel (0 convDirect,
 * 1 convWinograd); for 6 (its weight gradient): slot[4..19] those of convDirectWeightGradT; for 7 (direct convolution,
 * work items taken one at a time): slot[4..26] and slot[28] as for 5 (the image range is the whole batch),
 * slot[27] the index (int32 words) of the shared work counter, taken with Atomics.add, slot[29] the
 * index of the work-item table (image, first output row, end row: 3 int32 per item, written by the
 * calling thread) and slot[30] its item count. For 8 (Winograd weight gradient):
 * slot[4..15] the arguments of the kernels' winogradWeightGrad. For 11 (command 7 after Winograd
 * weight gradient rows taken one at a time from a shared counter): the words of 7, and slot[31] the
 * index (int32 words) of a record of 14 words: winogradWeightGrad's arguments (the row range unused),
 * the index of the item counter and the rows per item. For 13 (a deferred scope's job
 * queue, see WasmKernels.beginDeferred): slot[4] the index (int32 words) of the queue: the posted
 * job count (bit 30 set once the scope closes), the ticket counter, the finished count, a failure
 * flag, then each job's record index; slot[5] the worker's index; the thread takes tickets and runs each
 * ticket's job until the queue closes with no job for its ticket. A job's record starts with its
 * kind: 0, kernel calls (the call count, then per call the kernel's index in CALLABLE_KERNELS, the
 * argument count and the arguments); 1, a convolution's work items (the kernel as in word 28 of
 * command 7, the 23 arguments of convDirect with thread 0's scratch, the scratch stride, the index
 * of the item counter, of the item table, the item count, and the index of the finished-item count,
 * which wakes the calling thread when it reaches the item count); 2, a list of calls' items (the
kernel's index in CALLABLE_KERNELS, its argument count, the item count, the indices of the item
counter and of the finished-item count, of the items' first rows (count + 1) and of the argument
rows; items are taken one at a time and the finished count wakes the calling thread when it
reaches the item count). For 9 (a list of calls of one kernel):
 * slot[4] the kernel's index in CALLABLE_KERNELS, slot[5] its argument count, slot[6] the index
 * (int32 words) of the items' first rows (count + 1 of them), slot[7] that of the argument rows (one
 * per call), slot[8] the item count and slot[9] the index of the shared item counter: items are
 * taken one at a time, and an item's rows run in order.
 * Addresses are bytes, sizes elements.
 */
/**
 * The kernels a worker runs by name for command 9 (a list of calls): the command names one by its
 * index here.
 */
export const CALLABLE_KERNELS = [
  "reluForward", "reluBackward", "batchNormSums", "batchNormNormalize", "batchNormBackwardSums", "batchNormBackwardApply",
  "maxPool2x2", "maxPoolBackward", "upsampleNearest2x", "upsampleNearest2xBackward", "winogradPadPlanes",
  "winogradWeightGrad", "winogradWeightGradFinish", "zeroBytes", "padImages", "directOffsets", "convDirectWeightGradT", "addArrays",
  "softmaxCrossEntropyPositions", "batchNormBackwardChannels", "batchNormForwardChannels", "bilinearForward", "bilinearBackward",
] as const;

/** A kernel of {@link CALLABLE_KERNELS}. */
export type CallableKernel = (typeof CALLABLE_KERNELS)[number];

export const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const { module, memory, slot, scratch } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const { gemm, im2col, col2imAccumulate, convDirect, convWinograd, convDirectWeightGradT, winogradWeightGrad } = instance.exports;
const callable = ${JSON.stringify(CALLABLE_KERNELS)}.map((name) => instance.exports[name]);
const ctl = new Int32Array(memory.buffer, 0, slot + 32);
const ctlF = new Float32Array(memory.buffer, 0, slot + 32);
let seen = 0;
parentPort.postMessage("ready");
for (;;) {
  Atomics.wait(ctl, slot, seen);
  const seq = Atomics.load(ctl, slot);
  if (seq === seen) continue;
  seen = seq;
  const cmd = ctl[slot + 3];
  try {
    if (cmd === 1) {
      gemm(ctl[slot + 4], ctl[slot + 5], ctl[slot + 6], ctl[slot + 7], ctl[slot + 8], ctlF[slot + 9], ctl[slot + 10],
        ctl[slot + 11], ctl[slot + 12], ctl[slot + 13], ctlF[slot + 14], ctl[slot + 15], ctl[slot + 16], scratch);
    } else if (cmd === 5) {
      (ctl[slot + 28] === 1 ? convWinograd : convDirect)(...Array.from(ctl.subarray(slot + 4, slot + 27)));
    } else if (cmd === 7 || cmd === 11) {
      if (cmd === 11) {
        const rec = new Int32Array(memory.buffer, ctl[slot + 31] << 2, 14);
        const w = Array.from(rec.subarray(0, 12));
        const rows = rec[12], per = rec[13];
        for (let r = Atomics.add(ctl, rows, 1); r * per < 4; r = Atomics.add(ctl, rows, 1)) {
          w[7] = r * per;
          w[8] = Math.min(4, (r + 1) * per);
          winogradWeightGrad(...w);
        }
      }
      const a = Array.from(ctl.subarray(slot + 4, slot + 27));
      const conv = ctl[slot + 28] === 1 ? convWinograd : convDirect;
      const counter = ctl[slot + 27], table = ctl[slot + 29], count = ctl[slot + 30];
      const items = new Int32Array(memory.buffer, table << 2, 3 * count);
      for (let u = Atomics.add(ctl, counter, 1); u < count; u = Atomics.add(ctl, counter, 1)) {
        a[17] = items[3 * u];
        a[18] = items[3 * u] + 1;
        a[19] = items[3 * u + 1];
        a[20] = items[3 * u + 2];
        conv(...a);
      }
    } else if (cmd === 6) {
      convDirectWeightGradT(...Array.from(ctl.subarray(slot + 4, slot + 20)));
    } else if (cmd === 9) {
      const fn = callable[ctl[slot + 4]], n = ctl[slot + 5], count = ctl[slot + 8], counter = ctl[slot + 9];
      const starts = new Int32Array(memory.buffer, ctl[slot + 6] << 2, count + 1);
      const rows = new Int32Array(memory.buffer, ctl[slot + 7] << 2, starts[count] * n);
      for (let u = Atomics.add(ctl, counter, 1); u < count; u = Atomics.add(ctl, counter, 1)) {
        for (let r = starts[u]; r < starts[u + 1]; r++) fn(...Array.from(rows.subarray(r * n, (r + 1) * n)));
      }
    } else if (cmd === 13) {
      const q = ctl[slot + 4];
      const queue = new Int32Array(memory.buffer, q << 2, 4);
      for (;;) {
        const u = Atomics.add(queue, 1, 1);
        let state = Atomics.load(queue, 0);
        while ((state & 0x3fffffff) <= u && (state & 0x40000000) === 0) {
          Atomics.wait(queue, 0, state);
          state = Atomics.load(queue, 0);
        }
        if ((state & 0x3fffffff) <= u) break;
        try {
          const mem = new Int32Array(memory.buffer);
          let p = mem[q + 4 + u];
          if (mem[p] === 2) {
            // a list of calls' items, taken one at a time from the job's counter
            const fn = callable[mem[p + 1]], n = mem[p + 2], count = mem[p + 3], counter = mem[p + 4], done = mem[p + 5];
            const starts = mem[p + 6], rows = mem[p + 7];
            for (let v = Atomics.add(mem, counter, 1); v < count; v = Atomics.add(mem, counter, 1)) {
              try {
                for (let r = mem[starts + v]; r < mem[starts + v + 1]; r++) fn(...Array.from(mem.subarray(rows + r * n, rows + (r + 1) * n)));
              } finally {
                if (Atomics.add(mem, done, 1) + 1 === count) Atomics.notify(mem, done);
              }
            }
          } else if (mem[p] === 0) {
            // kernel calls in order
            p++;
            for (let c = mem[p++]; c > 0; c--) {
              const fn = callable[mem[p]], n = mem[p + 1];
              fn(...Array.from(mem.subarray(p + 2, p + 2 + n)));
              p += 2 + n;
            }
          } else {
            // a convolution's work items, this thread's scratch at its index times the stride
            const conv = mem[p + 1] === 1 ? convWinograd : convDirect;
            const a = Array.from(mem.subarray(p + 2, p + 25));
            a[22] += ctl[slot + 5] * mem[p + 25];
            const counter = mem[p + 26], table = mem[p + 27], count = mem[p + 28], done = mem[p + 29];
            for (let v = Atomics.add(mem, counter, 1); v < count; v = Atomics.add(mem, counter, 1)) {
              a[17] = mem[table + 3 * v];
              a[18] = a[17] + 1;
              a[19] = mem[table + 3 * v + 1];
              a[20] = mem[table + 3 * v + 2];
              try {
                conv(...a);
              } finally {
                if (Atomics.add(mem, done, 1) + 1 === count) Atomics.notify(mem, done);
              }
            }
          }
        } catch (e) {
          Atomics.store(queue, 3, 1);
        }
        Atomics.add(queue, 2, 1);
        Atomics.notify(queue, 2);
      }
    } else if (cmd === 8) {
      winogradWeightGrad(...Array.from(ctl.subarray(slot + 4, slot + 16)));
    } else if (cmd === 3 || cmd === 4) {
      const w = ctl[slot + 4], K = ctl[slot + 5], cout = ctl[slot + 6], L = ctl[slot + 7];
      const inBase = ctl[slot + 8], image = ctl[slot + 9], outBase = ctl[slot + 10];
      const b0 = ctl[slot + 11], b1 = ctl[slot + 12], cols = ctl[slot + 13], beta = ctlF[slot + 14];
      const g = Array.from(ctl.subarray(slot + 15, slot + 28));
      for (let b = b0; b < b1; b++) {
        if (cmd === 3) {
          im2col(inBase + b * image * 4, cols, ...g);
          gemm(0, 0, cout, L, K, 1, w, K, cols, L, beta, outBase + b * cout * L * 4, L, scratch);
        } else {
          gemm(1, 0, K, L, cout, 1, w, K, inBase + b * cout * L * 4, L, 0, cols, L, scratch);
          col2imAccumulate(outBase + b * image * 4, cols, ...g);
        }
      }
    }
    ctl[slot + 2] = 0;
  } catch (e) {
    ctl[slot + 2] = 1;
  }
  Atomics.store(ctl, slot + 1, seq);
  Atomics.notify(ctl, slot + 1);
  if (cmd === 2) break;
}
`;
