#!/usr/bin/env bash
# The README's test command: install (pinned pnpm, frozen lockfile), then every package's tests,
# typecheck and packaging check (publint) through turbo, then the kernel-dependent suites again on
# the WebAssembly backend, then one summary line. Needs Node 20 and npm, and installs Debian's
# chromium (apt-get) when it is missing, for the wasm backend's browser test.
set -uo pipefail
cd "$(dirname "$0")/.."
PNPM="npx -y pnpm@12.21.0"
# Chromium for packages/backend-wasm's browser test (Debian's package, driven by playwright-core;
# UNETKIT_CHROMIUM names another binary)
if [ -z "${UNETKIT_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  { $SUDO apt-get update && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } || exit 1
fi
$PNPM install --frozen-lockfile || exit 1
rm -f packages/*/.vitest-result*.json apps/*/.vitest-result*.json
status=0
$PNPM exec turbo run test typecheck lint --concurrency=2 --output-logs=new-only || status=1
# The same suites on the wasm backend (float32 forward passes, PyTorch fixtures; float64 gradient
# checks stay on the TypeScript reference by design).
UNETKIT_BACKEND=wasm $PNPM exec turbo run test --concurrency=2 --output-logs=new-only \
  --filter=@unetkit/im2col --filter=@unetkit/layers --filter=@unetkit/upsampling --filter=@unetkit/unet || status=1
node tools/test-summary.mjs || status=1
exit $status
