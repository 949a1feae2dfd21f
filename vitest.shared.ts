import { defineConfig } from "vitest/config";

/**
 * Shared vitest configuration: resolve workspace packages to their TypeScript sources through the
 * `@unetkit/source` export condition, so tests run with no build first. Each run also writes
 * `.vitest-result.json` beside the package, which `tools/test-summary.mjs` adds up into one line.
 */
const conditions = ["@unetkit/source", "module", "node", "development|production"];

export function packageConfig(extra: { testTimeout?: number } = {}) {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: extra.testTimeout ?? 60_000,
      pool: "forks",
      reporters: ["default", "json"],
      outputFile: { json: ".vitest-result.json" },
    },
  });
}
