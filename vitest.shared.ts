import { defineConfig } from "vitest/config";

/**
 * Shared vitest configuration: resolve workspace packages to their TypeScript sources through the
 * `@unetkit/source` export condition, so tests run with no build first.
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
    },
  });
}
