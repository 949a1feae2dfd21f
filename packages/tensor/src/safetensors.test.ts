import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ArgumentError,
  FormatError,
  Tensor,
  decodeSafetensors,
  encodeSafetensors,
  fromArray,
  type SafetensorsStoreDType,
} from "./index.js";

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url)));

/** Builds a file from a header object (or raw header text) and a data section, as a hostile writer could. */
function craft(header: unknown, data: Uint8Array | number = 0, opts: { rawHeader?: string; lengthField?: bigint } = {}): Uint8Array {
  const text = opts.rawHeader ?? JSON.stringify(header);
  const h = new TextEncoder().encode(text);
  const d = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, opts.lengthField ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

function expectFormatError(bytes: Uint8Array, message: RegExp): void {
  let err: unknown;
  try {
    decodeSafetensors(bytes);
  } catch (e) {
    err = e;
  }
  expect(err, "decodeSafetensors should refuse this file").toBeInstanceOf(FormatError);
  expect((err as FormatError).op).toBe("decodeSafetensors");
  expect((err as Error).message).toMatch(message);
}

/** Bitwise comparison that also distinguishes -0 and NaN payload-insensitive NaN. */
function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe("safetensors encode/decode", () => {
  it("round-trips random names, shapes, dtypes, values and metadata", () => {
    const entry = fc.record({
      shape: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 }),
      dtype: fc.constantFrom("float32" as const, "float64" as const),
      store: fc.constantFrom<SafetensorsStoreDType | "default">("default", "F32", "F64", "I64"),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 0, maxLength: 12, unit: "grapheme" }).filter((s) => s !== "__metadata__"), entry, { maxKeys: 6 }),
        fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 16 }), { maxKeys: 4 }), { nil: undefined }),
        fc.array(fc.double(), { minLength: 64, maxLength: 64 }),
        (spec, metadata, pool) => {
          const tensors: Record<string, Tensor> = {};
          const storeAs: Record<string, SafetensorsStoreDType> = {};
          for (const [name, e] of Object.entries(spec)) {
            const t = new Tensor(e.dtype, e.shape);
            for (let i = 0; i < t.size; i++) {
              const v = pool[(i + Math.abs(e.seed)) % pool.length];
              // I64 values stay within ±2^52: a float32 tensor rounds 2^53 - 1 up to 2^53, which is
              // not a safe integer (the encoder rightly refuses it; that was a flaky draw here).
              t.data[i] = e.store === "I64" ? (Number.isFinite(v) ? Math.trunc(v) % 2 ** 52 : i) : v;
            }
            Object.defineProperty(tensors, name, { value: t, enumerable: true });
            if (e.store !== "default") storeAs[name] = e.store;
          }
          const bytes = encodeSafetensors(tensors, { metadata, storeAs });
          const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
          expect(headerLen % 8).toBe(0);
          const back = decodeSafetensors(bytes);
          expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
          expect(back.metadata).toEqual(metadata ?? {});
          for (const [name, t] of Object.entries(tensors)) {
            const got = back.tensors[name];
            // Own keys only: a tensor may be named "toString" or "constructor".
            const stored = Object.hasOwn(storeAs, name) ? storeAs[name] : t.dtype === "float32" ? "F32" : "F64";
            expect(back.dtypes[name]).toBe(stored);
            expect(got.shape).toEqual(t.shape);
            expect(got.dtype).toBe(stored === "F32" ? "float32" : "float64");
            const want = stored === "F32" ? Float32Array.from(t.data) : Float64Array.from(t.data);
            if (stored === "I64") for (let i = 0; i < want.length; i++) want[i] = want[i] + 0; // I64 has no -0
            expect(sameValues(got.data, want)).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("writes the reference writer's bytes (empty file, metadata only, one tensor)", () => {
    const empty = encodeSafetensors({});
    expect(Array.from(empty)).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode("{}      ")]);
    const md = encodeSafetensors({}, { metadata: { framework: "pt" } });
    const mdText = '{"__metadata__":{"framework":"pt"}}';
    expect(new TextDecoder().decode(md.subarray(8))).toBe(mdText + " ".repeat(40 - mdText.length));
    expect(md[0]).toBe(40);
    const one = encodeSafetensors({ "attn.0": fromArray([0, 1, 2, 3, 4, 5], { shape: [1, 2, 3] }) });
    const text = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(one[0]).toBe(text.length);
    expect(new TextDecoder().decode(one.subarray(8, 8 + text.length))).toBe(text);
    expect(Array.from(new Float32Array(one.slice(8 + text.length).buffer))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(decodeSafetensors(empty).tensors).toEqual({});
  });

  it("reads a file written from PyTorch tensors, every supported dtype", () => {
    const expected = JSON.parse(readFileSync(new URL("../test/fixtures/torch-mixed.json", import.meta.url), "utf8")) as {
      meta: { dtypes: Record<string, string> };
      tensors: Record<string, { shape: number[]; data: number[] }>;
    };
    const { tensors, metadata, dtypes } = decodeSafetensors(fixture("torch-mixed.safetensors"));
    expect(metadata).toEqual({ format: "pt", note: "written by tools/fixtures/tensor.py" });
    expect(dtypes).toEqual(expected.meta.dtypes);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, want] of Object.entries(expected.tensors)) {
      const t = tensors[name];
      expect(t.shape, name).toEqual(want.shape);
      const narrow = ["F32", "F16", "BF16"].includes(dtypes[name]);
      expect(t.dtype, name).toBe(narrow ? "float32" : "float64");
      expect(sameValues(t.data, want.data), `${name}: ${Array.from(t.data)} vs ${want.data}`).toBe(true);
    }
    expect(tensors["bn.num_batches_tracked"].item()).toBe(1);
    expect(tensors["i64.big"].toArray()).toEqual([2 ** 53, -(2 ** 53), 123456789012345, -1]);
    expect(tensors["décodeur.poids"].toNested()).toEqual([[0, 1, 2], [3, 4, 5]]);
  });

  it("encodes the same bytes as the reference writer for F32/F64/I64 tensors", () => {
    const file = fixture("torch-f32-f64-i64.safetensors");
    const { tensors, metadata, dtypes } = decodeSafetensors(file);
    const storeAs: Record<string, SafetensorsStoreDType> = {};
    for (const [k, d] of Object.entries(dtypes)) storeAs[k] = d as SafetensorsStoreDType;
    const again = encodeSafetensors(tensors, { metadata, storeAs });
    expect(Buffer.from(again).equals(Buffer.from(file))).toBe(true);
  });

  it("converts every tensor to one dtype on request", () => {
    const { tensors } = decodeSafetensors(fixture("torch-mixed.safetensors"), { dtype: "float32" });
    for (const t of Object.values(tensors)) expect(t.dtype).toBe("float32");
  });

  it("refuses to encode what it cannot store faithfully", () => {
    const x = fromArray([1.5]);
    expect(() => encodeSafetensors({ x }, { storeAs: { x: "I64" } })).toThrow(/encodeSafetensors: "x" \[1\] is stored as I64 but element 0 is 1.5/);
    expect(() => encodeSafetensors({ x: fromArray([2 ** 54]) }, { storeAs: { x: "I64" } })).toThrow(ArgumentError);
    expect(() => encodeSafetensors({ x }, { storeAs: { x: "F16" as SafetensorsStoreDType } })).toThrow(/must be "F32", "F64" or "I64"/);
    expect(() => encodeSafetensors({ x }, { storeAs: { y: "F32" } })).toThrow(/storeAs names "y"/);
    expect(() => encodeSafetensors({ __metadata__: x })).toThrow(/reserved/);
    expect(() => encodeSafetensors({ x: [1] as unknown as Tensor })).toThrow(/"x" is not a Tensor/);
    expect(() => encodeSafetensors({ x }, { metadata: { a: 1 as unknown as string } })).toThrow(/metadata\["a"\] must be a string/);
  });
});

describe("decodeSafetensors refuses corrupt and hostile files", () => {
  const good = encodeSafetensors(
    { a: fromArray([1, 2, 3]), b: fromArray([[4, 5]], { dtype: "float64" }) },
    { metadata: { k: "v" } },
  );
  const tensorEntry = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

  it("accepts the untouched file", () => {
    expect(decodeSafetensors(good).tensors.a.toArray()).toEqual([1, 2, 3]);
  });

  it("truncated files", () => {
    expectFormatError(good.subarray(0, 5), /file is 5 bytes, too short for the 8-byte header length/);
    expectFormatError(good.subarray(0, 20), /header length \d+ exceeds the 12 bytes after the length field \(truncated file\?\)/);
    expectFormatError(good.subarray(0, good.length - 1), /data_offsets \[\d+, \d+\] run past the data section|cover/);
  });

  it("header length beyond the file, huge or absurd", () => {
    expectFormatError(craft({}, 0, { lengthField: 1000n }), /header length 1000 exceeds the 2 bytes after the length field/);
    expectFormatError(craft({}, 0, { lengthField: 2n ** 64n - 1n }), /header length 18446744073709551615 exceeds the limit of 100000000 bytes/);
    expectFormatError(craft({}, 0, { lengthField: 200_000_000n }), /header length 200000000 exceeds the limit of 100000000 bytes/);
    expect(() => decodeSafetensors(craft({ a: tensorEntry("F32", [1], 0, 4) }, 4), { maxHeaderBytes: 10 })).toThrow(/exceeds the limit of 10 bytes/);
    expectFormatError(craft({}, 0, { lengthField: 1n, rawHeader: "{" }), /header length 1 is too short/);
  });

  it("bad UTF-8, bad JSON, not an object, not starting with {", () => {
    const bad = craft({}, 0, { rawHeader: "{}" });
    bad[9] = 0xff;
    expectFormatError(bad, /header is not valid UTF-8/);
    expectFormatError(craft(null, 0, { rawHeader: '{"a": ' }), /header is not valid JSON/);
    expectFormatError(craft(null, 0, { rawHeader: "[1,2]   " }), /header must start with "\{"/);
    expectFormatError(craft(null, 0, { rawHeader: " {}" }), /header must start with/);
  });

  it("duplicate keys", () => {
    const raw = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expectFormatError(craft(null, 8, { rawHeader: raw }), /header has the key "a" twice/);
    const inner = '{"a":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}}';
    expectFormatError(craft(null, 4, { rawHeader: inner }), /key "shape" twice \(inside an entry\)/);
    const escaped = '{"\\u0061":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expectFormatError(craft(null, 8, { rawHeader: escaped }), /key "a" twice/);
  });

  it("offsets out of range, overlapping, with gaps or trailing bytes", () => {
    expectFormatError(craft({ a: tensorEntry("F32", [2], 0, 8) }, 4), /tensor "a": data_offsets \[0, 8\] run past the data section of 4 bytes/);
    expectFormatError(
      craft({ a: tensorEntry("F32", [2], 0, 8), b: tensorEntry("F32", [1], 4, 8) }, 8),
      /tensors "a" \[0, 8\] and "b" \[4, 8\] overlap/,
    );
    expectFormatError(craft({ a: tensorEntry("F32", [1], 4, 8) }, 8), /data bytes \[0, 4\) belong to no tensor \(gap before "a"\)/);
    expectFormatError(craft({ a: tensorEntry("F32", [1], 0, 4) }, 12), /data section has 12 bytes but the tensors cover 4/);
    expectFormatError(craft({ a: tensorEntry("F32", [1], 4, 0) }, 4), /data_offsets must be \[begin, end\] with 0 <= begin <= end/);
    expectFormatError(craft({ a: tensorEntry("F32", [1], -4, 0) }, 4), /data_offsets must be/);
    expectFormatError(craft({ a: { dtype: "F32", shape: [1], data_offsets: [0, 2 ** 52] } }, 4), /run past the data section/);
    expectFormatError(craft({ a: { dtype: "F32", shape: [1], data_offsets: [0, 2 ** 60] } }, 4), /data_offsets must be/);
  });

  it("byte count that does not match shape x dtype", () => {
    expectFormatError(craft({ a: tensorEntry("F32", [3], 0, 8) }, 8), /tensor "a": shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] hold 8/);
    expectFormatError(
      craft({ a: tensorEntry("F64", [2 ** 40, 2 ** 40, 2 ** 40], 0, 8) }, 8),
      /needs .* bytes but data_offsets \[0, 8\] hold 8/,
    );
  });

  it("unknown dtypes, bad shapes, bad fields and metadata", () => {
    expectFormatError(craft({ a: tensorEntry("F8_E4M3", [4], 0, 4) }, 4), /tensor "a": unsupported dtype "F8_E4M3"/);
    expectFormatError(craft({ a: tensorEntry("complex64", [1], 0, 8) }, 8), /unsupported dtype "complex64"/);
    expectFormatError(craft({ a: tensorEntry("F32", [-1], 0, 4) }, 4), /shape must be an array of at most 64 non-negative integers \(got \[-1\]\)/);
    expectFormatError(craft({ a: tensorEntry("F32", [1.5], 0, 4) }, 4), /shape must be/);
    expectFormatError(craft({ a: tensorEntry("F32", new Array(65).fill(1), 0, 4) }, 4), /at most 64/);
    expectFormatError(craft({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4], extra: 1 } }, 4), /unknown field "extra"/);
    expectFormatError(craft({ a: { dtype: "F32", shape: [1] } }, 4), /data_offsets must be/);
    expectFormatError(craft({ a: [1, 2] }, 0), /tensor "a": entry must be an object/);
    expectFormatError(craft({ __metadata__: { k: 1 } }, 0), /__metadata__\["k"\] must be a string \(got number\)/);
    expectFormatError(craft({ __metadata__: "x" }, 0), /__metadata__ must be an object of strings/);
  });

  it("integers beyond 2^53 and invalid booleans", () => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigInt64(0, 2n ** 53n + 1n, true);
    expectFormatError(craft({ n: tensorEntry("I64", [], 0, 8) }, data), /tensor "n": I64 element 0 is 9007199254740993, beyond ±2\^53/);
    expectFormatError(craft({ m: tensorEntry("BOOL", [2], 0, 2) }, new Uint8Array([1, 7])), /BOOL element 1 is 7, not 0 or 1/);
  });

  it("a tensor named __proto__ stays an ordinary entry", () => {
    const file = craft({ __proto__x: tensorEntry("F32", [1], 0, 4) }, 4);
    expect(Object.keys(decodeSafetensors(file).tensors)).toEqual(["__proto__x"]);
    const raw = '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    const t = decodeSafetensors(craft(null, new Uint8Array(new Float32Array([3]).buffer), { rawHeader: raw })).tensors;
    expect(Object.keys(t)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(t)).toBe(Object.prototype);
    const bytes = encodeSafetensors(t);
    expect(decodeSafetensors(bytes).tensors["__proto__"].item()).toBe(3);
  });

  it("fuzzed corruptions never escape as anything but a FormatError", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(), (flips, cut) => {
        const bytes = good.slice(0, good.length - (cut % 4 === 0 ? cut % good.length : 0));
        for (const [at, v] of flips) bytes[at % bytes.length] = v;
        try {
          decodeSafetensors(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("encodeSafetensors I64 bounds", () => {
  it("refuses a value that float32 rounding pushed past the safe-integer range, naming it", () => {
    const t = new Tensor("float32", [1]);
    t.data[0] = 2 ** 53 - 1; // rounds to 2^53 in float32
    expect(() => encodeSafetensors({ a: t }, { storeAs: { a: "I64" } })).toThrow(/"a" \[1\] is stored as I64 but element 0 is 9007199254740992/);
  });
});
