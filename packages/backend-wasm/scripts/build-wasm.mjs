#!/usr/bin/env node
// Compiles assembly/ with the AssemblyScript compiler from node_modules into
//   build/kernels.wasm                  single-threaded, own (growable) memory
//   build/kernels-shared.wasm           imports a shared memory (env.memory) for worker threads
//   build/kernels-relaxed.wasm          the same two with relaxed SIMD (the GEMM micro-kernel uses
//   build/kernels-relaxed-shared.wasm   f32x4.relaxed_madd: fused multiply-add where the CPU has it)
// Skips the work when both outputs are newer than every source (pass --force to rebuild).
// Used by the package's `build` script and by its vitest globalSetup, so tests from a fresh clone
// (`npx vitest run`) find the .wasm without a build step.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const assemblyDir = join(root, "assembly");
const buildDir = join(root, "build");
/** Maximum pages of the shared memory (a shared memory must declare one): 2 GiB. */
export const SHARED_MAX_PAGES = 32768;

const SHARED = ["--enable", "threads", "--importMemory", "--sharedMemory", "--initialMemory", "1", "--maximumMemory", String(SHARED_MAX_PAGES)];
const RELAXED = ["--enable", "relaxed-simd"];
const targets = [
  { out: "kernels.wasm", flags: [] },
  { out: "kernels-shared.wasm", flags: SHARED },
  { out: "kernels-relaxed.wasm", flags: RELAXED },
  { out: "kernels-relaxed-shared.wasm", flags: [...RELAXED, ...SHARED] },
];

function newestSource() {
  let newest = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  for (const f of readdirSync(assemblyDir)) newest = Math.max(newest, statSync(join(assemblyDir, f)).mtimeMs);
  return newest;
}

export function buildWasm({ force = false } = {}) {
  const newest = newestSource();
  const stale = targets.filter((t) => {
    const p = join(buildDir, t.out);
    return force || !existsSync(p) || statSync(p).mtimeMs < newest;
  });
  if (stale.length === 0) return false;
  mkdirSync(buildDir, { recursive: true });
  const require = createRequire(join(root, "package.json"));
  const asc = join(dirname(require.resolve("assemblyscript/package.json")), "bin", "asc.js");
  for (const t of stale) {
    // write to a temp file, then rename: concurrent test runs never see a half-written module
    const tmp = join(buildDir, `${t.out}.${process.pid}.tmp`);
    execFileSync(
      process.execPath,
      [asc, join(assemblyDir, "index.ts"), "--enable", "simd", "-O3", "--runtime", "stub", "--noAssert", "--use", "abort=", ...t.flags, "-o", tmp],
      { stdio: "inherit" },
    );
    renameSync(tmp, join(buildDir, t.out));
  }
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = buildWasm({ force: process.argv.includes("--force") });
  console.log(built ? `backend-wasm: built ${targets.map((t) => `build/${t.out}`).join(", ")}` : "backend-wasm: wasm up to date");
}
