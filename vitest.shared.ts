import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * Shared vitest configuration: resolve workspace packages to their TypeScript sources through the
 * `@unetkit/source` export condition, so tests run with no build first. Each run also writes
 * `.vitest-result.json` (`.vitest-result-wasm.json` on the wasm backend) beside the package, which
 * `tools/test-summary.mjs` adds up into one line.
 */
const conditions = ["@unetkit/source", "module", "node", "development|production"];

/**
 * `UNETKIT_BACKEND=wasm npx vitest run` runs a package's suite on the wasm kernel backend (see
 * tools/vitest-backend-setup.ts and packages/backend-wasm/README.md); unset, nothing changes.
 */
const backendSetup = process.env.UNETKIT_BACKEND ? [fileURLToPath(new URL("./tools/vitest-backend-setup.ts", import.meta.url))] : [];
/** fast-check: a fixed seed in CI (reproducible landings), a fresh one locally (tools/vitest-fast-check-setup.ts). */
const fastCheckSetup = [fileURLToPath(new URL("./tools/vitest-fast-check-setup.ts", import.meta.url))];

export function packageConfig(extra: { testTimeout?: number } = {}) {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: extra.testTimeout ?? 60_000,
      pool: "forks",
      setupFiles: [...fastCheckSetup, ...backendSetup],
      reporters: ["default", "json"],
      // One results file per backend, so a wasm pass does not overwrite the TypeScript pass.
      outputFile: { json: process.env.UNETKIT_BACKEND ? `.vitest-result-${process.env.UNETKIT_BACKEND}.json` : ".vitest-result.json" },
    },
  });
}
