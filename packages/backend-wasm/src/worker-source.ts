/**
 * Source of the GEMM worker thread (run with `new Worker(source, { eval: true })`, so it works from
 * TypeScript sources and from the bundle alike). It instantiates the shared-memory kernels module
 * on the shared memory and serves requests posted through a control slot in that memory:
 * slot[0] request sequence, slot[1] done sequence, slot[2] status (0 ok, 1 failed), slot[3] command
 * (1 gemm, 2 exit), slot[4..16] the gemm arguments (alpha and beta as float32 bits).
 */
export const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const { module, memory, slot, scratch } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const gemm = instance.exports.gemm;
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
  if (cmd === 1) {
    try {
      gemm(ctl[slot + 4], ctl[slot + 5], ctl[slot + 6], ctl[slot + 7], ctl[slot + 8], ctlF[slot + 9], ctl[slot + 10],
        ctl[slot + 11], ctl[slot + 12], ctl[slot + 13], ctlF[slot + 14], ctl[slot + 15], ctl[slot + 16], scratch);
      ctl[slot + 2] = 0;
    } catch (e) {
      ctl[slot + 2] = 1;
    }
  }
  Atomics.store(ctl, slot + 1, seq);
  Atomics.notify(ctl, slot + 1);
  if (cmd === 2) break;
}
`;
