import { mergeConfig } from "vitest/config";
import { packageConfig } from "../../vitest.shared.ts";

// build the .wasm (if stale) before the tests: they run from sources with no build step
export default mergeConfig(packageConfig(), { test: { globalSetup: ["./scripts/vitest-global-setup.ts"] } });
