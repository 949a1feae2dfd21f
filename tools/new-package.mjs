#!/usr/bin/env node
// Creates the skeleton of a workspace package: manifest, tsconfig, tsup and vitest configs, README.
// Usage: node tools/new-package.mjs <name> "<description>" [dep ...] [--dev dep ...]
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const [name, description, ...rest] = process.argv.slice(2);
if (!name || !description) {
  console.error('usage: node tools/new-package.mjs <name> "<description>" [dep ...] [--dev dep ...]');
  process.exit(2);
}
const devAt = rest.indexOf("--dev");
const deps = devAt < 0 ? rest : rest.slice(0, devAt);
const devDeps = devAt < 0 ? [] : rest.slice(devAt + 1);
const dir = join("packages", name);
if (existsSync(dir)) {
  console.error(`${dir} exists already`);
  process.exit(2);
}
mkdirSync(join(dir, "src"), { recursive: true });
const asDeps = (list) =>
  Object.fromEntries(list.map((d) => (d.startsWith("@unetkit/") ? [d, "workspace:*"] : d.split(/(?<=.)@/))));
const manifest = {
  name: `@unetkit/${name}`,
  version: "0.0.0",
  description,
  license: "MIT",
  type: "module",
  sideEffects: false,
  exports: {
    ".": {
      "@unetkit/source": "./src/index.ts",
      types: "./dist/index.d.ts",
      import: "./dist/index.js",
    },
    "./package.json": "./package.json",
  },
  main: "./dist/index.js",
  types: "./dist/index.d.ts",
  files: ["dist", "src", "!src/**/*.test.ts", "!src/**/__fixtures__"],
  scripts: {
    build: "tsup",
    test: "vitest run",
    typecheck: "tsc --noEmit",
    lint: "publint --strict",
  },
  dependencies: asDeps(deps),
  devDependencies: asDeps(devDeps),
  engines: { node: ">=20" },
  publishConfig: { access: "public" },
};
writeFileSync(join(dir, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
writeFileSync(
  join(dir, "tsconfig.json"),
  JSON.stringify({ extends: "../../tsconfig.base.json", include: ["src", "test"] }, null, 2) + "\n",
);
writeFileSync(
  join(dir, "tsup.config.ts"),
  `import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2022",
});
`,
);
writeFileSync(
  join(dir, "vitest.config.ts"),
  `import { packageConfig } from "../../vitest.shared.ts";

export default packageConfig();
`,
);
console.log(`created ${dir}`);
