#!/usr/bin/env node
// Adds up the vitest JSON results every package wrote (.vitest-result.json) and prints one line,
// "tests: N passed, N failed", plus the failing test names. Exits 1 if any failed or none ran.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
const perPackage = [];
for (const group of ["packages", "apps"]) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    for (const file of readdirSync(join(dir, name)).filter((f) => /^\.vitest-result(-[a-z]+)?\.json$/.test(f)).map((f) => join(dir, name, f))) {
    const label = file.includes("-wasm") ? `${name} (wasm backend)` : name;
    const r = JSON.parse(readFileSync(file, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    perPackage.push(`${group}/${label}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
    for (const suite of r.testResults ?? []) {
      for (const t of suite.assertionResults ?? []) {
        if (t.status === "failed") failures.push(`${group}/${label}: ${t.fullName}`);
      }
      if (suite.status === "failed" && (suite.assertionResults ?? []).length === 0) {
        failures.push(`${group}/${label}: ${suite.name} (the file failed to load: ${String(suite.message ?? "").split("\n")[0]})`);
        failed += 1;
      }
    }
    }
  }
}
for (const line of perPackage) console.log(`  ${line}`);
for (const f of failures) console.log(`FAILED ${f}`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
