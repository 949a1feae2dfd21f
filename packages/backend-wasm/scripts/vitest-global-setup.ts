// vitest globalSetup: compiles the .wasm files if they are missing or older than assembly/, so
// `npx vitest run` works from a fresh clone with no build step.
import { buildWasm } from "./build-wasm.mjs";

export default function setup(): void {
  buildWasm();
}
