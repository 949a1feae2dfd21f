import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FormatError, decodeSafetensors, fromArray } from "./index.js";
import { loadSafetensors, saveSafetensors, writeFileAtomic, writeFileAtomicSync } from "./node.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "unetkit-tensor-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("@unetkit/tensor/node", () => {
  it("writeFileAtomic replaces the file and leaves no temporary file", async () => {
    const dir = tempDir();
    const path = join(dir, "out.bin");
    writeFileSync(path, "old");
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect(Array.from(readFileSync(path))).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(["out.bin"]);
  });

  it("writeFileAtomic fails cleanly into a missing directory", async () => {
    const dir = tempDir();
    await expect(writeFileAtomic(join(dir, "missing", "x.bin"), new Uint8Array(1))).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
    await expect(writeFileAtomic("", new Uint8Array(1))).rejects.toThrow(/writeFileAtomic: path must be a non-empty string/);
  });

  it("writeFileAtomicSync replaces the file, leaves no temporary file, and cleans up on failure", () => {
    const dir = tempDir();
    const path = join(dir, "out.bin");
    writeFileSync(path, "old");
    writeFileAtomicSync(path, new Uint8Array([4, 5]));
    expect(Array.from(readFileSync(path))).toEqual([4, 5]);
    expect(readdirSync(dir)).toEqual(["out.bin"]);
    expect(() => writeFileAtomicSync(join(dir, "missing", "x.bin"), new Uint8Array(1))).toThrow(/ENOENT/);
    // renaming onto a directory fails after the temporary file was written: it must be removed
    mkdirSync(join(dir, "sub"));
    expect(() => writeFileAtomicSync(join(dir, "sub"), new Uint8Array(1))).toThrow();
    expect(readdirSync(dir).sort()).toEqual(["out.bin", "sub"]);
    expect(() => writeFileAtomicSync(path, [1] as unknown as Uint8Array)).toThrow(/writeFileAtomicSync: bytes must be a Uint8Array/);
  });

  it("saveSafetensors / loadSafetensors round trip", async () => {
    const dir = tempDir();
    const path = join(dir, "model.safetensors");
    const w = fromArray([[1, 2], [3, 4]]);
    const n = fromArray(7, { dtype: "float64" });
    await saveSafetensors(path, { w, n }, { metadata: { epoch: "3" }, storeAs: { n: "I64" } });
    const bytes = new Uint8Array(readFileSync(path));
    expect(decodeSafetensors(bytes).dtypes).toEqual({ n: "I64", w: "F32" });
    const { tensors, metadata } = await loadSafetensors(path);
    expect(metadata).toEqual({ epoch: "3" });
    expect(tensors.w.toNested()).toEqual([[1, 2], [3, 4]]);
    expect(tensors.n.item()).toBe(7);
    expect(readdirSync(dir)).toEqual(["model.safetensors"]);
  });

  it("loadSafetensors names the file in its FormatError", async () => {
    const dir = tempDir();
    const path = join(dir, "bad.safetensors");
    writeFileSync(path, new Uint8Array([255, 0, 0, 0, 0, 0, 0, 0, 123]));
    const err = await loadSafetensors(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toMatch(/decodeSafetensors: header length 255 exceeds the 1 bytes after the length field .*\(file .*bad\.safetensors\)/);
  });
});
