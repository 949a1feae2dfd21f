/** Compiles assembly/ into build/kernels.wasm and build/kernels-shared.wasm when stale; true when it built. */
export function buildWasm(options?: { force?: boolean }): boolean;
/** Maximum pages of the shared memory. */
export const SHARED_MAX_PAGES: number;
