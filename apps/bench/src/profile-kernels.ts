/**
 * Quick look at the convolution kernels inside one SimpleUNet training step on the wasm backend (the
 * bench's table, without the rest of the bench):
 *
 *   THREADS=1 FMA=1 STEPS=10 npx tsx --conditions=@unetkit/source src/profile-kernels.ts
 *
 * FMA=1 turns on relaxed SIMD (the fused multiply-add build, as the CLI does).
 */
import { createWasmBackend, enableRelaxedSimd } from "@unetkit/backend-wasm";
import { formatConvKernelTable, profileConvKernels } from "./conv-profile.js";
import { makeBenchData } from "./workload-data.js";

const threads = Number(process.env.THREADS ?? 1);
const fma = process.env.FMA ? await enableRelaxedSimd() : false;
const backend = await createWasmBackend({ threads, fma });
const rows = profileConvKernels(backend, makeBenchData(), { warmup: 2, steps: Number(process.env.STEPS ?? 10) });
console.log(formatConvKernelTable(rows));
backend.dispose();
