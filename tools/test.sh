#!/usr/bin/env bash
# The README's test command: install (pinned pnpm, frozen lockfile), then every package's tests,
# typecheck and packaging check (publint) through turbo, then one summary line. Needs only Node 20
# and npm.
set -uo pipefail
cd "$(dirname "$0")/.."
PNPM="npx -y pnpm@12.21.0"
$PNPM install --frozen-lockfile || exit 1
rm -f packages/*/.vitest-result.json apps/*/.vitest-result.json
$PNPM exec turbo run test typecheck lint --concurrency=2 --output-logs=new-only
status=$?
node tools/test-summary.mjs || status=1
exit $status
