import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Arena, ArgumentError, Tensor, activeArena, allocate, allocateUninitialized, empty, withArena, zeros, type KernelBackend } from "./index.js";

/** A backend that hands out blocks of one big buffer (as the wasm backend does) and records what it gets back. */
function blockBackend(floats = 1 << 23) {
  const memory = new Float32Array(new SharedArrayBuffer(floats * 4));
  let top = 0;
  const freed: Float32Array[] = [];
  const backend: KernelBackend = {
    name: "blocks",
    dtypes: ["float32"],
    gemm: () => {
      throw new Error("unused");
    },
    allocateBlock(length) {
      if (top + length > memory.length) return null;
      const b = memory.subarray(top, top + length);
      b.fill(Number.NaN); // contents are unspecified: the arena must zero what it hands out
      top += length;
      return b;
    },
    freeBlock(block) {
      freed.push(block);
    },
  };
  return { backend, memory, freed };
}

const sameMemory = (a: ArrayLike<number> & ArrayBufferView, b: ArrayLike<number> & ArrayBufferView) => a.buffer === b.buffer && a.byteOffset === b.byteOffset;

describe("Arena", () => {
  it("inside withArena, float32 tensors are zero-filled views of one chunk; float64 ones and tensors outside are ordinary", () => {
    const arena = new Arena();
    const [a, b, d] = withArena(arena, () => [zeros([3, 5]), new Tensor("float32", [7]), allocate("float64", 4)]);
    expect(a.data.buffer).toBe(b.data.buffer);
    expect(a.data.buffer.byteLength).toBeGreaterThan(a.data.byteLength); // a view, not its own buffer
    expect(b.data.byteOffset).toBe(64); // 15 floats rounded up to 16: every tensor starts on a 64-byte line
    expect([...a.data, ...b.data].every((v) => v === 0)).toBe(true);
    expect(d.buffer.byteLength).toBe(32);
    expect(zeros([2]).data.buffer.byteLength).toBe(8);
    expect(activeArena()).toBe(null);
  });

  it("reset hands the same memory out again, zero-filled", () => {
    const arena = new Arena();
    const first = withArena(arena, () => [zeros([100]), zeros([50])]);
    first[0].data.fill(3);
    first[1].data.fill(4);
    arena.reset();
    const second = withArena(arena, () => [zeros([100]), zeros([50])]);
    expect(sameMemory(first[0].data, second[0].data)).toBe(true);
    expect(sameMemory(first[1].data, second[1].data)).toBe(true);
    expect(second[0].data.every((v) => v === 0) && second[1].data.every((v) => v === 0)).toBe(true);
    expect(arena.generation).toBe(1);
  });

  it("empty and allocateUninitialized: zeros outside an arena, the memory as it is inside one (NaN when poisoned)", () => {
    expect([...empty([3]).data]).toEqual([0, 0, 0]);
    expect([...allocateUninitialized("float64", 2)]).toEqual([0, 0]);
    const arena = new Arena();
    withArena(arena, () => zeros([4]).data.fill(7));
    arena.reset();
    expect([...withArena(arena, () => empty([4]).data)]).toEqual([7, 7, 7, 7]); // not zero-filled
    arena.reset();
    expect([...withArena(arena, () => zeros([4]).data)]).toEqual([0, 0, 0, 0]);
    arena.reset();
    Arena.poisonUninitialized = true;
    try {
      expect(withArena(arena, () => [...empty([2]).data, ...allocateUninitialized("float32", 2)]).every(Number.isNaN)).toBe(true);
      expect(withArena(arena, () => empty([2], "float64").data)).toEqual(new Float64Array(2));
    } finally {
      Arena.poisonUninitialized = false;
    }
    expect(() => empty([2], "int8" as "float32")).toThrow(/empty: unknown dtype int8/);
  });

  it("withArena restores the previous arena after nesting and after a throw", () => {
    const outer = new Arena();
    const inner = new Arena();
    withArena(outer, () => {
      withArena(inner, () => expect(activeArena()).toBe(inner));
      expect(activeArena()).toBe(outer);
      expect(() =>
        withArena(null, () => {
          expect(activeArena()).toBe(null);
          throw new Error("boom");
        }),
      ).toThrow("boom");
      expect(activeArena()).toBe(outer);
    });
    expect(activeArena()).toBe(null);
  });

  it("takes a new chunk when a pass outgrows the first, then merges them into one at reset", () => {
    const { backend, freed } = blockBackend();
    const arena = new Arena(backend);
    const pass = () => withArena(arena, () => [zeros([900_000]), zeros([900_000]), zeros([10])]);
    const one = pass();
    expect(one[0].data.buffer).toBe(one[1].data.buffer); // the backend's memory
    expect(arena.reservedFloats).toBe(2 * (1 << 20));
    arena.reset();
    expect(freed.length).toBe(2); // both chunks went back to the backend
    const two = pass();
    expect(arena.reservedFloats).toBeGreaterThanOrEqual(arena.highWaterFloats);
    arena.reset();
    const three = pass();
    expect(sameMemory(two[2].data, three[2].data)).toBe(true); // one chunk: every pass now lands in the same places
    expect(three.every((t) => t.data.every((v) => v === 0))).toBe(true);
    arena.dispose();
    expect(freed.length).toBe(3);
    expect(() => arena.allocateFloat32(1)).toThrow(/Arena: the arena was disposed/);
    expect(() => arena.reset()).toThrow(ArgumentError);
  });

  it("falls back to ordinary memory when the backend has no room, and gives back only what came from it", () => {
    const { backend, freed } = blockBackend(1 << 20);
    const arena = new Arena(backend);
    withArena(arena, () => [zeros([1 << 20]), zeros([1 << 20])]);
    arena.reset();
    expect(freed.length).toBe(1);
  });

  it("refuses a bad length", () => {
    expect(() => new Arena().allocateFloat32(-1)).toThrow(/Arena: length must be a non-negative integer \(got -1\)/);
    expect(() => new Arena().allocateFloat32(1.5)).toThrow(ArgumentError);
  });

  it("views of one generation never overlap, and every view is zero-filled, whatever the sizes", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 300_000 }), { maxLength: 12 }), { minLength: 1, maxLength: 4 }), (passes) => {
        const arena = new Arena(blockBackend().backend);
        for (const sizes of passes) {
          arena.reset();
          const views = withArena(arena, () => sizes.map((n) => allocate("float32", n) as Float32Array));
          views.forEach((v, i) => {
            expect(v.length).toBe(sizes[i]);
            expect(v.every((x) => x === 0)).toBe(true);
            v.fill(i + 1); // a later view overlapping this one would see it
          });
          views.forEach((v, i) => expect(v.every((x) => x === i + 1)).toBe(true));
        }
      }),
      { numRuns: 40 },
    );
  });
});
