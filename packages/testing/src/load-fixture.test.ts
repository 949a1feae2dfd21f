import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FormatError } from "@unetkit/tensor";
import { afterAll, describe, expect, it } from "vitest";
import { loadFixture } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "unetkit-fixture-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

// What tools/fixtures/common.py writes: float32 values as the float64 repr of the float32 value.
const f32 = Math.fround(0.1);
const fixture = {
  meta: { torch: "1.13.0", stride: 2 },
  tensors: {
    x: { shape: [2, 3], dtype: "float32", data: [f32, 1, 2, 3, 4, -5.5] },
    w: { shape: [1], dtype: "float64", data: [0.1] },
    labels: { shape: [2, 2], dtype: "int64", data: [0, 3, 1, 2] },
    empty: { shape: [0, 4], dtype: "float32", data: [] },
  },
};

describe("loadFixture", () => {
  it("reads tensors with their dtype and shape, integer entries and metadata (path or URL)", () => {
    const path = write("ok.json", fixture);
    for (const fx of [loadFixture(path), loadFixture(pathToFileURL(path))]) {
      expect(fx.meta).toEqual({ torch: "1.13.0", stride: 2 });
      expect(fx.tensors.x.dtype).toBe("float32");
      expect(fx.tensors.x.shape).toEqual([2, 3]);
      expect(fx.tensors.x.data[0]).toBe(f32); // exact float32 round trip
      expect(fx.tensors.x.toNested()).toEqual([[f32, 1, 2], [3, 4, -5.5]]);
      expect(fx.tensors.w.dtype).toBe("float64");
      expect(fx.tensors.w.data[0]).toBe(0.1);
      expect(fx.tensors.empty.shape).toEqual([0, 4]);
      expect(fx.ints).toEqual({ labels: { shape: [2, 2], data: [0, 3, 1, 2] } });
      expect(Object.keys(fx.tensors).sort()).toEqual(["empty", "w", "x"]);
    }
    expect(loadFixture(write("nometa.json", { tensors: {} }))).toEqual({ meta: {}, tensors: {}, ints: {} });
  });

  it("refuses missing, unparsable and malformed fixtures with a FormatError", () => {
    const bad: [string, unknown, RegExp][] = [
      ["notjson.json", "{ tensors: ", /^loadFixture: cannot read .*notjson\.json/],
      ["notfixture.json", { meta: {} }, /is not a fixture \(no "tensors"\)/],
      ["noshape.json", { tensors: { a: { dtype: "float32", data: [1] } } }, /entry a needs shape and data arrays/],
      ["dtype.json", { tensors: { a: { shape: [1], dtype: "int8", data: [1] } } }, /entry a has unknown dtype int8/],
      ["count.json", { tensors: { a: { shape: [2, 2], dtype: "float32", data: [1, 2, 3] } } }, /entry a has 3 values but shape \[2,2\] needs 4/],
      ["shape.json", { tensors: { a: { shape: [-1], dtype: "float32", data: [] } } }, /entry a has an invalid shape \[-1\]/],
      ["value.json", { tensors: { a: { shape: [2], dtype: "float64", data: [1, "2"] } } }, /entry a value 1 is not a number/],
      ["int.json", { tensors: { a: { shape: [1], dtype: "int64", data: [1.5] } } }, /entry a value 0 is not an integer/],
    ];
    for (const [name, content, message] of bad) {
      const path = write(name, content);
      expect(() => loadFixture(path)).toThrow(FormatError);
      expect(() => loadFixture(path)).toThrow(message);
    }
    expect(() => loadFixture(join(dir, "missing.json"))).toThrow(/^loadFixture: cannot read .*missing\.json/);
  });
});
