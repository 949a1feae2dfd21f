export { createWasmBackend, type WasmBackend, type WasmBackendOptions } from "./wasm-backend.js";
export { initDefaultBackend, type DefaultBackendResult } from "./init-default-backend.js";
export { installForTests } from "./install-for-tests.js";
export { enableRelaxedSimd, loadKernelsModule, relaxedSimdSupported, type KernelsFlavor } from "./load-module.js";
