import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as browser from "./index.js";
import * as node from "./node.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Every module reachable from a source file through relative imports, with its bare imports. */
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, "utf8");
    const specs = [...text.matchAll(/^(?:import|export)[^'"]*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]);
    seen.set(file, specs.filter((s) => !s.startsWith(".")));
    for (const s of specs) if (s.startsWith(".")) visit(join(dirname(file), s.replace(/\.js$/, ".ts")));
  };
  visit(join(here, entry));
  return seen;
}

describe("entry points", () => {
  it("the main entry is browser-safe: no node: modules and no pngjs anywhere in its import graph", () => {
    const graph = reachable("index.ts");
    expect(graph.size).toBeGreaterThan(10);
    for (const [file, bare] of graph) {
      for (const spec of bare) {
        expect(`${file}: ${spec}`).not.toMatch(/: (node:|pngjs|fs$|path$|zlib$)/);
      }
    }
    const nodeGraph = [...reachable("node.ts").values()].flat();
    expect(nodeGraph).toContain("pngjs");
    expect(nodeGraph).toContain("node:zlib");
  });

  it("the node entry re-exports the whole browser entry", () => {
    for (const key of Object.keys(browser)) expect((node as Record<string, unknown>)[key]).toBe((browser as Record<string, unknown>)[key]);
    expect(typeof node.loadImageFolder).toBe("function");
    expect(typeof node.loadFashionMnist).toBe("function");
  });
});
