#!/usr/bin/env bash
# The README's test command: install (pinned pnpm, frozen lockfile), then every test, typecheck and
# packaging check through turbo. Needs only Node 20 and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM="npx -y pnpm@12.21.0"
$PNPM install --frozen-lockfile
$PNPM test
