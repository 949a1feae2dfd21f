import { mergeConfig } from "vitest/config";
import { packageConfig } from "../../vitest.shared.ts";

// --expose-gc lets the trainer measure the heap after a collection (the memory-flatness test).
export default mergeConfig(packageConfig({ testTimeout: 300_000 }), {
  test: { execArgv: ["--expose-gc"] },
});
