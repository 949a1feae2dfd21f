import { WORKER_SOURCE } from "./worker-source.js";

/** The line of {@link WORKER_SOURCE} that reads the Node worker's start data. */
const NODE_START = "const { module, memory, slot, scratch } = workerData;\n";
/** The line of {@link WORKER_SOURCE} that reports the Node worker ready. */
const NODE_READY = 'parentPort.postMessage("ready");\n';

/**
 * Source of the Web Worker variant of the GEMM worker (run as a classic worker from a Blob URL).
 * It is derived from the Node worker's {@link WORKER_SOURCE}, so both run the very same control-slot
 * protocol (commands, slot layout, kernels): only the start-up differs. The worker waits for one
 * message `{ module, memory, slot, scratch }` (the compiled shared-memory kernels, the shared
 * `WebAssembly.Memory`, its control slot index in int32 words, its GEMM scratch address in bytes),
 * instantiates the kernels on that memory, posts `{ ready: true }` (or `{ error }` if it could not
 * start), then serves requests with `Atomics.wait` (allowed in workers) until the exit command.
 * Throws if the Node source no longer has the two lines this derivation cuts at.
 *
 * @example
 * ```ts
 * const url = URL.createObjectURL(new Blob([webWorkerSource()], { type: "text/javascript" }));
 * const worker = new Worker(url);
 * worker.postMessage({ module, memory, slot, scratch });
 * ```
 */
export function webWorkerSource(): string {
  const start = WORKER_SOURCE.indexOf(NODE_START);
  const ready = WORKER_SOURCE.indexOf(NODE_READY);
  if (start < 0 || ready < start) {
    throw new Error("@unetkit/backend-wasm: worker-source.ts changed shape; update web-worker-source.ts to match");
  }
  // instantiation and the views over the control slots
  const setup = WORKER_SOURCE.slice(start + NODE_START.length, ready);
  // the request loop (it ends with `break` on the exit command)
  const loop = WORKER_SOURCE.slice(ready + NODE_READY.length);
  return `"use strict";
self.onmessage = (event) => {
  self.onmessage = null;
  let started = false;
  try {
    const { module, memory, slot, scratch } = event.data;
${setup}
    started = true;
    self.postMessage({ ready: true });
${loop}
  } catch (e) {
    if (!started) self.postMessage({ error: String(e && e.message ? e.message : e) });
  }
  self.close();
};
`;
}
