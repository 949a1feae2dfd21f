import { webWorkerSource } from "./web-worker-source.js";

/** What {@link startWebWorkers} needs of the backend it starts workers for. */
export interface WorkerHost {
  /** Index (in int32 words) of worker `w`'s control slot. */
  slotIndex(w: number): number;
  /** Byte address of thread `t`'s GEMM scratch. */
  scratchOf(t: number): number;
  /** The started workers, stopped by `dispose()`. */
  readonly workers: { terminate(): unknown }[];
  /** Called when a worker fails after starting: GEMMs stop being split. */
  workerLost(): void;
  /** Stops the workers started so far. */
  dispose(): void;
}

/**
 * Whether this browser context can run the GEMM on Web Workers over shared WebAssembly memory: it
 * is cross-origin isolated (`globalThis.crossOriginIsolated === true`, i.e. the page was served
 * with `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`
 * or `credentialless`), so `SharedArrayBuffer` exists, and it can start workers from a Blob URL.
 * False in Node (which uses `worker_threads` instead).
 *
 * @example
 * ```ts
 * webThreadsAvailable(); // true on a page served with COOP same-origin + COEP require-corp
 * ```
 */
export function webThreadsAvailable(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean };
  return (
    g.crossOriginIsolated === true &&
    typeof SharedArrayBuffer === "function" &&
    typeof Worker === "function" &&
    typeof Blob === "function" &&
    typeof URL.createObjectURL === "function"
  );
}

/**
 * The default thread count in a browser: `navigator.hardwareConcurrency` (the logical cores the
 * browser reports), 1 when it reports none. Only used when {@link webThreadsAvailable}.
 *
 * @example
 * ```ts
 * defaultWebThreads(); // 8 on an 8-thread laptop
 * ```
 */
export function defaultWebThreads(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === "number" && Number.isInteger(n) && n >= 1 ? Math.min(n, 256) : 1;
}

let waitAllowed: boolean | undefined;

/**
 * Whether this thread may block in `Atomics.wait`: true in Node (main thread and workers) and in
 * Web Workers, false on a browser page's main thread, where it throws. Probed once (a zero-timeout
 * wait on a value that differs, which returns at once where waiting is allowed) and cached. Where
 * it is false, the backend waits for its workers by spinning on `Atomics.load`.
 *
 * @example
 * ```ts
 * atomicsWaitAllowed(); // false on a page's main thread, true in a Worker
 * ```
 */
export function atomicsWaitAllowed(): boolean {
  if (waitAllowed === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      waitAllowed = true;
    } catch {
      waitAllowed = false;
    }
  }
  return waitAllowed;
}

/**
 * Starts `threads - 1` Web Workers (classic workers from a Blob URL of {@link webWorkerSource}) for
 * `host`, each given the shared-memory kernels `module`, the shared `memory`, its control slot and
 * its scratch, and resolves once all have instantiated the kernels. The workers are pushed to
 * `host.workers` as they start; if one fails to start, all are stopped (`host.dispose()`) and the
 * promise rejects (a Content-Security-Policy without `worker-src blob:` is the usual cause).
 *
 * @example
 * ```ts
 * const backend = new WasmKernels(kernels, memory, 4, fma, []);
 * await startWebWorkers(backend, sharedModule, memory, 4); // 3 workers
 * ```
 */
export async function startWebWorkers(
  host: WorkerHost,
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  threads: number,
): Promise<void> {
  const url = URL.createObjectURL(new Blob([webWorkerSource()], { type: "text/javascript" }));
  const workers: Worker[] = [];
  try {
    const started: Promise<void>[] = [];
    for (let w = 1; w < threads; w++) {
      const worker = new Worker(url, { name: `unetkit-gemm-${w}` });
      workers.push(worker);
      host.workers.push(worker);
      started.push(
        new Promise<void>((resolve, reject) => {
          worker.onmessage = (event: MessageEvent<{ ready?: boolean; error?: string }>) => {
            if (event.data?.ready === true) resolve();
            else reject(new Error(`@unetkit/backend-wasm: web worker ${w} failed to start: ${event.data?.error ?? "unknown error"}`));
          };
          worker.onerror = (event: ErrorEvent) => {
            event.preventDefault();
            reject(new Error(`@unetkit/backend-wasm: web worker ${w} failed to start: ${event.message || "script error (is worker-src blob: allowed?)"}`));
          };
        }),
      );
      worker.postMessage({ module, memory, slot: host.slotIndex(w), scratch: host.scratchOf(w) });
    }
    await Promise.all(started);
  } catch (e) {
    host.dispose();
    throw e;
  } finally {
    URL.revokeObjectURL(url);
  }
  for (const worker of workers) {
    worker.onmessage = null;
    // a failed GEMM is reported through the control slot; an uncaught error means the worker is gone
    // (it catches its own errors, so this should not happen): never wait for it again
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      host.workerLost();
    };
  }
}
