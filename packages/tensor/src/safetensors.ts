import { checkDType, type DType } from "./dtype.js";
import { ArgumentError, FormatError } from "./errors.js";
import { formatShape } from "./shape.js";
import { Tensor } from "./tensor.js";

/**
 * Element types of the safetensors format that {@link decodeSafetensors} reads. Floats of 32 bits
 * or fewer (F32, F16, BF16) decode to float32 tensors; F64 and every integer type decode to float64
 * (exactly; 64-bit integers beyond ±2^53 are refused). BOOL decodes to 0/1. The 8-bit float types
 * (F8_E4M3, F8_E5M2) and complex types are refused.
 */
export type SafetensorsDType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U64" | "U32" | "U16" | "U8" | "BOOL";

/** Element types {@link encodeSafetensors} can write. */
export type SafetensorsStoreDType = "F32" | "F64" | "I64";

const ITEM_SIZE: Record<SafetensorsDType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/**
 * The reference writer's order of element types (its `Dtype` enum, ascending); tensors are laid
 * out by descending rank, then by name.
 */
const DTYPE_RANK: Record<SafetensorsStoreDType, number> = { F32: 11, F64: 12, I64: 13 };

/** The header size limit of the reference implementation (100 MB). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** Largest rank accepted when decoding. */
const MAX_RANK = 64;

/** Options of {@link encodeSafetensors}. */
export interface EncodeSafetensorsOptions {
  /** Free-form string metadata, stored under `__metadata__`. */
  metadata?: Record<string, string>;
  /**
   * The stored element type per tensor name (default: F32 for float32 tensors, F64 for float64).
   * I64 requires integer values within ±2^53 (e.g. BatchNorm's `num_batches_tracked`).
   */
  storeAs?: Record<string, SafetensorsStoreDType>;
}

/** Options of {@link decodeSafetensors}. */
export interface DecodeSafetensorsOptions {
  /** Refuse headers longer than this many bytes. Default {@link SAFETENSORS_MAX_HEADER_BYTES}. */
  maxHeaderBytes?: number;
  /** Convert every tensor to this dtype (default: float32 for F32/F16/BF16, float64 for the rest). */
  dtype?: DType;
}

/** What {@link decodeSafetensors} returns. */
export interface DecodedSafetensors {
  /** The tensors by name. */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` strings (empty when the file has none). */
  metadata: Record<string, string>;
  /** The element type each tensor was stored as. */
  dtypes: Record<string, SafetensorsDType>;
}

function own<T>(obj: Record<string, T>, key: string, value: T): void {
  // defineProperty, so a tensor named "__proto__" is stored as an ordinary own property
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Serializes named tensors in the safetensors format used by PyTorch and the Hugging Face tools:
 * an 8-byte little-endian header length N, N bytes of JSON (`{"name": {"dtype": "F32", "shape":
 * [...], "data_offsets": [begin, end]}, ..., "__metadata__": {...}}`, padded with spaces to a
 * multiple of 8 as the reference writer does), then the little-endian data of every tensor, packed
 * without gaps. Tensors are laid out as the reference writer does (I64, then F64, then F32, each group
 * sorted by name, so every tensor is aligned to its element size); for ASCII names the bytes are
 * identical to the reference writer's. Bytes in, bytes out: no file system, so it runs in a
 * browser.
 *
 * @example
 * ```ts
 * const bytes = encodeSafetensors({ "conv.weight": w, "bn.num_batches_tracked": fromArray(0) },
 *   { metadata: { format: "pt" }, storeAs: { "bn.num_batches_tracked": "I64" } });
 * ```
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, options: EncodeSafetensorsOptions = {}): Uint8Array {
  const op = "encodeSafetensors";
  if (tensors === null || typeof tensors !== "object") throw new ArgumentError(op, "tensors must be an object of name -> Tensor");
  const storeAs = options.storeAs ?? {};
  const names = Object.keys(tensors);
  for (const name of Object.keys(storeAs)) {
    if (!names.includes(name)) throw new ArgumentError(op, `storeAs names "${name}", which is not among the tensors`);
  }
  const entries = names.map((name) => {
    const t = tensors[name];
    if (!(t instanceof Tensor)) throw new ArgumentError(op, `"${name}" is not a Tensor`);
    if (name === "__metadata__") throw new ArgumentError(op, `"__metadata__" is reserved and cannot name a tensor`);
    const dtype: SafetensorsStoreDType = hasOwn(storeAs, name) ? storeAs[name] : t.dtype === "float32" ? "F32" : "F64";
    if (dtype !== "F32" && dtype !== "F64" && dtype !== "I64") {
      throw new ArgumentError(op, `storeAs["${name}"] must be "F32", "F64" or "I64" (got ${String(dtype)})`);
    }
    if (dtype === "I64") {
      for (let i = 0; i < t.size; i++) {
        const v = t.data[i];
        if (!Number.isSafeInteger(v)) {
          throw new ArgumentError(op, `"${name}" ${formatShape(t.shape)} is stored as I64 but element ${i} is ${v}, not an integer within ±2^53`);
        }
      }
    }
    return { name, t, dtype };
  });
  entries.sort((a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (options.metadata !== undefined) {
    const md: Record<string, string> = {};
    if (options.metadata === null || typeof options.metadata !== "object") throw new ArgumentError(op, "metadata must be an object of strings");
    for (const [k, v] of Object.entries(options.metadata)) {
      if (typeof v !== "string") throw new ArgumentError(op, `metadata["${k}"] must be a string (got ${typeof v})`);
      own(md, k, v);
    }
    own(header, "__metadata__", md);
  }
  let offset = 0;
  for (const e of entries) {
    const bytes = e.t.size * ITEM_SIZE[e.dtype];
    own(header, e.name, { dtype: e.dtype, shape: e.t.shape.slice(), data_offsets: [offset, offset + bytes] });
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded % 0x100000000, true);
  view.setUint32(4, Math.floor(padded / 0x100000000), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const { t, dtype } of entries) {
    const x = t.data;
    const n = t.size;
    if (dtype === "F32") {
      if (littleEndianHost && x instanceof Float32Array) out.set(new Uint8Array(x.buffer, x.byteOffset, n * 4), at);
      else for (let i = 0; i < n; i++) view.setFloat32(at + 4 * i, x[i], true);
    } else if (dtype === "F64") {
      if (littleEndianHost && x instanceof Float64Array) out.set(new Uint8Array(x.buffer, x.byteOffset, n * 8), at);
      else for (let i = 0; i < n; i++) view.setFloat64(at + 8 * i, x[i], true);
    } else {
      for (let i = 0; i < n; i++) view.setBigInt64(at + 8 * i, BigInt(x[i]), true);
    }
    at += n * ITEM_SIZE[dtype];
  }
  return out;
}

/**
 * Throws a FormatError if the JSON text has a duplicate key in any object (JSON.parse would keep
 * the last one silently). Assumes the text already parsed as JSON.
 */
function checkDuplicateKeys(op: string, text: string): void {
  const stack: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x7b /* { */) stack.push(new Set());
    else if (ch === 0x5b /* [ */) stack.push(null);
    else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) stack.pop();
    else if (ch === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const raw = text.slice(i, j + 1);
      let k = j + 1;
      while (k < text.length && (text[k] === " " || text[k] === "\n" || text[k] === "\r" || text[k] === "\t")) k++;
      const keys = stack[stack.length - 1];
      if (text[k] === ":" && keys) {
        const key = JSON.parse(raw) as string;
        if (keys.has(key)) {
          throw new FormatError(op, `header has the key ${JSON.stringify(key)} twice${stack.length === 1 ? "" : " (inside an entry)"}`);
        }
        keys.add(key);
      }
      i = j;
    }
  }
}

function isNonNegSafeInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Parses a safetensors file (see {@link encodeSafetensors} for the layout) and validates all of it
 * before allocating any tensor: the header length against the file size and `maxHeaderBytes`, UTF-8
 * and JSON syntax, that the header is an object starting with `{` with no duplicate keys, each
 * entry's fields (`dtype` one of {@link SafetensorsDType}, `shape` non-negative integers, rank <= 64,
 * `data_offsets` two integers, no other fields), `__metadata__` as string -> string, that each
 * entry's byte count equals its element count times its element size, and that the entries cover
 * the data section exactly, without overlaps or gaps (as the format requires). Anything else is
 * refused with a {@link FormatError} from `"decodeSafetensors"` that says what is wrong; a hostile
 * header can neither read out of bounds nor make it allocate more than the file's size.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * tensors["conv.weight"].shape; // [8, 3, 3, 3]
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array, options: DecodeSafetensorsOptions = {}): DecodedSafetensors {
  const op = "decodeSafetensors";
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(op, "bytes must be a Uint8Array");
  const maxHeader = options.maxHeaderBytes ?? SAFETENSORS_MAX_HEADER_BYTES;
  if (!isNonNegSafeInt(maxHeader)) throw new ArgumentError(op, `maxHeaderBytes must be a non-negative integer (got ${maxHeader})`);
  if (options.dtype !== undefined) checkDType(op, options.dtype);
  if (bytes.length < 8) {
    throw new FormatError(op, `file is ${bytes.length} bytes, too short for the 8-byte header length (truncated?)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const headerLen = hi * 0x100000000 + lo; // exact below 2^53; larger values fail the checks below anyway
  if (hi >= 0x200000 || headerLen > maxHeader) {
    throw new FormatError(op, `header length ${hi >= 0x200000 ? `${BigInt(hi) * 0x100000000n + BigInt(lo)}` : headerLen} exceeds the limit of ${maxHeader} bytes`);
  }
  if (headerLen > bytes.length - 8) {
    throw new FormatError(op, `header length ${headerLen} exceeds the ${bytes.length - 8} bytes after the length field (truncated file?)`);
  }
  if (headerLen < 2) throw new FormatError(op, `header length ${headerLen} is too short for a JSON object`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    throw new FormatError(op, "header is not valid UTF-8");
  }
  if (text[0] !== "{") throw new FormatError(op, `header must start with "{" (starts with ${JSON.stringify(text.slice(0, 10))})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FormatError(op, `header is not valid JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new FormatError(op, "header must be a JSON object");
  }
  checkDuplicateKeys(op, text);
  const header = parsed as Record<string, unknown>;
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;

  const metadata: Record<string, string> = {};
  interface Entry {
    name: string;
    dtype: SafetensorsDType;
    shape: number[];
    begin: number;
    end: number;
  }
  const entries: Entry[] = [];
  for (const name of Object.keys(header)) {
    const value = header[name];
    if (name === "__metadata__") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw new FormatError(op, "__metadata__ must be an object of strings");
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== "string") throw new FormatError(op, `__metadata__["${k}"] must be a string (got ${v === null ? "null" : typeof v})`);
        own(metadata, k, v);
      }
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new FormatError(op, `${where}: entry must be an object with dtype, shape and data_offsets`);
    }
    const info = value as Record<string, unknown>;
    for (const key of Object.keys(info)) {
      if (key !== "dtype" && key !== "shape" && key !== "data_offsets") {
        throw new FormatError(op, `${where}: unknown field ${JSON.stringify(key)} (expected dtype, shape, data_offsets)`);
      }
    }
    const dtype = info.dtype;
    if (typeof dtype !== "string" || !hasOwn(ITEM_SIZE, dtype)) {
      throw new FormatError(
        op,
        `${where}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(ITEM_SIZE).join(", ")})`,
      );
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every(isNonNegSafeInt)) {
      throw new FormatError(
        op,
        `${where}: shape must be an array of at most ${MAX_RANK} non-negative integers (got ${JSON.stringify(shape)?.slice(0, 100)})`,
      );
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegSafeInt) || offsets[0] > offsets[1]) {
      throw new FormatError(
        op,
        `${where}: data_offsets must be [begin, end] with 0 <= begin <= end integers (got ${JSON.stringify(offsets)?.slice(0, 100)})`,
      );
    }
    const [begin, end] = offsets as number[];
    if (end > dataLen) {
      throw new FormatError(op, `${where}: data_offsets [${begin}, ${end}] run past the data section of ${dataLen} bytes (truncated file?)`);
    }
    const item = ITEM_SIZE[dtype as SafetensorsDType];
    // element count, checked against the byte range without overflowing
    let count = 1;
    for (const d of shape as number[]) count *= d;
    if (!(count * item === end - begin)) {
      throw new FormatError(
        op,
        `${where}: shape ${formatShape(shape as number[])} of ${dtype} needs ${count * item} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    }
    entries.push({ name, dtype: dtype as SafetensorsDType, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.begin < expected) {
      const prev = entries[i - 1];
      throw new FormatError(
        op,
        `tensors ${JSON.stringify(prev.name)} [${prev.begin}, ${prev.end}] and ${JSON.stringify(e.name)} [${e.begin}, ${e.end}] overlap`,
      );
    }
    if (e.begin > expected) {
      throw new FormatError(op, `data bytes [${expected}, ${e.begin}) belong to no tensor (gap before ${JSON.stringify(e.name)})`);
    }
    expected = e.end;
  }
  if (expected !== dataLen) {
    throw new FormatError(op, `data section has ${dataLen} bytes but the tensors cover ${expected} (trailing bytes or truncated header)`);
  }

  const tensors: Record<string, Tensor> = {};
  const dtypes: Record<string, SafetensorsDType> = {};
  for (const e of entries) {
    const n = (e.end - e.begin) / ITEM_SIZE[e.dtype];
    const at = dataStart + e.begin;
    const narrow = e.dtype === "F32" || e.dtype === "F16" || e.dtype === "BF16";
    const data = narrow ? new Float32Array(n) : new Float64Array(n);
    switch (e.dtype) {
      case "F32":
        if (littleEndianHost) new Uint8Array(data.buffer).set(bytes.subarray(at, at + 4 * n));
        else for (let i = 0; i < n; i++) data[i] = view.getFloat32(at + 4 * i, true);
        break;
      case "F64":
        if (littleEndianHost) new Uint8Array(data.buffer).set(bytes.subarray(at, at + 8 * n));
        else for (let i = 0; i < n; i++) data[i] = view.getFloat64(at + 8 * i, true);
        break;
      case "F16":
        for (let i = 0; i < n; i++) data[i] = halfToFloat(view.getUint16(at + 2 * i, true));
        break;
      case "BF16": {
        const scratch = new DataView(new ArrayBuffer(4));
        for (let i = 0; i < n; i++) {
          scratch.setUint32(0, view.getUint16(at + 2 * i, true) << 16);
          data[i] = scratch.getFloat32(0);
        }
        break;
      }
      case "I64":
      case "U64":
        for (let i = 0; i < n; i++) {
          const v = e.dtype === "I64" ? view.getBigInt64(at + 8 * i, true) : view.getBigUint64(at + 8 * i, true);
          if (v > 9007199254740992n || v < -9007199254740992n) {
            throw new FormatError(op, `tensor ${JSON.stringify(e.name)}: ${e.dtype} element ${i} is ${v}, beyond ±2^53, not exactly representable as a float`);
          }
          data[i] = Number(v);
        }
        break;
      case "I32":
        for (let i = 0; i < n; i++) data[i] = view.getInt32(at + 4 * i, true);
        break;
      case "U32":
        for (let i = 0; i < n; i++) data[i] = view.getUint32(at + 4 * i, true);
        break;
      case "I16":
        for (let i = 0; i < n; i++) data[i] = view.getInt16(at + 2 * i, true);
        break;
      case "U16":
        for (let i = 0; i < n; i++) data[i] = view.getUint16(at + 2 * i, true);
        break;
      case "I8":
        for (let i = 0; i < n; i++) data[i] = view.getInt8(at + i);
        break;
      case "U8":
        for (let i = 0; i < n; i++) data[i] = bytes[at + i];
        break;
      case "BOOL":
        for (let i = 0; i < n; i++) {
          const v = bytes[at + i];
          if (v > 1) throw new FormatError(op, `tensor ${JSON.stringify(e.name)}: BOOL element ${i} is ${v}, not 0 or 1`);
          data[i] = v;
        }
        break;
    }
    let t = new Tensor(narrow ? "float32" : "float64", e.shape, data);
    if (options.dtype !== undefined && options.dtype !== t.dtype) t = t.astype(options.dtype);
    own(tensors, e.name, t);
    own(dtypes, e.name, e.dtype);
  }
  return { tensors, metadata, dtypes };
}
