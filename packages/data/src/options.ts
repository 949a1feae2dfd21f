import { ArgumentError, Rng } from "@unetkit/tensor";

/** Throws unless `value` is an integer in `[min, max]`. Internal helper. */
export function checkInt(op: string, name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new ArgumentError(op, `${name} must be an integer ${range} (got ${String(value)})`);
  }
  return value;
}

/** Throws unless `value` is a finite number in `[min, max]`. Internal helper. */
export function checkNumber(op: string, name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    const range =
      min === -Infinity && max === Infinity ? "finite" : max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new ArgumentError(op, `${name} must be a ${range} number (got ${String(value)})`);
  }
  return value;
}

/** Throws unless `value` is `[lo, hi]` with `lo <= hi` (integers when `integer`). Internal helper. */
export function checkPair(
  op: string,
  name: string,
  value: unknown,
  integer: boolean,
  min = -Infinity,
  max = Infinity,
): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new ArgumentError(op, `${name} must be a pair [min, max] (got ${JSON.stringify(value)})`);
  }
  const check = integer ? checkInt : checkNumber;
  const lo = check(op, `${name}[0]`, value[0], min, max);
  const hi = check(op, `${name}[1]`, value[1], min, max);
  if (lo > hi) throw new ArgumentError(op, `${name} must have min <= max (got [${lo}, ${hi}])`);
  return [lo, hi];
}

/** Throws if `options` has a key not in `known` (catches typos such as `batchsize`). Internal helper. */
export function checkKeys(op: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ArgumentError(op, `unknown option "${key}" (known: ${known.join(", ")})`);
    }
  }
}

/** Throws unless `options` is a plain object. Internal helper. */
export function checkObject(op: string, name: string, options: unknown): void {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new ArgumentError(op, `${name} must be an object`);
  }
}

/**
 * Mixes integers into one 32-bit seed (a murmur3-style finaliser over each word), so
 * `mixSeed(seed, epoch)` and `mixSeed(seed, epoch + 1)` give unrelated streams. Internal helper.
 */
export function mixSeed(...words: number[]): number {
  let h = 0x9e3779b9 | 0;
  for (const w of words) {
    // Fold a safe integer into two 32-bit words so large seeds keep their high bits.
    const lo = w | 0;
    const hi = Math.floor(w / 0x100000000) | 0;
    for (const part of [lo, hi]) {
      let k = Math.imul(part, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

