import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus, xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { TypedArray } from "./dtype.js";
import { ArgumentError, FormatError } from "./errors.js";

/** The serializable state of an {@link Rng}: JSON-safe, for checkpoints. */
export interface RngState {
  /** Format tag. */
  readonly kind: "xoroshiro128plus";
  /** The generator's internal words. */
  readonly words: readonly number[];
  /** The second normal of the last Box-Muller pair, not yet returned (or null). */
  readonly spare: number | null;
}

type Generator = ReturnType<typeof xoroshiro128plus>;

/**
 * The generator's initial 128-bit state from a seed, through splitmix32 (one round per word). A
 * bare `xoroshiro128plus(seed)` starts from `[-1, ~seed, seed, 0]`, whose first output is within
 * 1e-5 of 1 for every seed (so every seeded `randn` began with a 3-7 sigma outlier); splitmix
 * spreads the seed's bits over the whole state first, as the xoroshiro authors recommend.
 */
function seedWords(seed: number): number[] {
  // (lo, hi) is the seed's 64-bit two's complement split: distinct seeds give distinct pairs, and
  // each splitmix step is a bijection, so distinct seeds give distinct states.
  const lo = seed | 0;
  const hi = Math.floor(seed / 2 ** 32) | 0;
  let a = lo;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    if (i === 2) a = (a ^ Math.imul(hi, 0x85ebca6b)) | 0;
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    t ^= t >>> 15;
    words.push(t | 0);
  }
  if (!words.some((w) => w !== 0)) words[3] = 1; // xoroshiro's one forbidden state
  return words;
}

/**
 * A seeded random generator (xoroshiro128+ from `pure-rand`): uniform and normal draws, integers,
 * permutations. The same seed gives the same numbers on every machine, and {@link Rng.getState} /
 * {@link Rng.fromState} save and restore it exactly (for resumable training).
 *
 * Normals use the Box-Muller transform; both values of each pair are used.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * rng.uniform();          // in [0, 1)
 * rng.normal(0, 0.1);
 * rng.permutation(5);     // e.g. [3, 0, 4, 1, 2]
 * ```
 */
export class Rng {
  private gen: Generator;
  private spare: number | null = null;

  /** Creates a generator from an integer seed (any safe integer; it is folded to 32 bits). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new ArgumentError("Rng", `seed must be a safe integer (got ${seed})`);
    }
    this.gen = xoroshiro128plusFromState(seedWords(seed));
  }

  /**
   * Restores a generator saved with {@link Rng.getState}; validates the state.
   *
   * @example
   * ```ts
   * const b = Rng.fromState(a.getState()); // b continues exactly where a is
   * ```
   */
  static fromState(state: RngState): Rng {
    if (
      state === null ||
      typeof state !== "object" ||
      state.kind !== "xoroshiro128plus" ||
      !Array.isArray(state.words) ||
      state.words.length !== 4 ||
      !state.words.every((w) => Number.isInteger(w) && w >= -0x80000000 && w <= 0xffffffff) ||
      !(state.spare === null || (typeof state.spare === "number" && Number.isFinite(state.spare)))
    ) {
      throw new FormatError("Rng.fromState", "not a valid xoroshiro128plus state");
    }
    const rng = new Rng(0);
    rng.gen = xoroshiro128plusFromState(state.words);
    rng.spare = state.spare;
    return rng;
  }

  /** The full state, JSON-serializable. */
  getState(): RngState {
    return { kind: "xoroshiro128plus", words: [...this.gen.getState()], spare: this.spare };
  }

  /** An independent copy in the same state. */
  clone(): Rng {
    return Rng.fromState(this.getState());
  }

  /**
   * A new generator seeded from this one's next draw: a reproducible independent stream, e.g.
   * one per data-augmentation worker.
   */
  fork(): Rng {
    return new Rng(this.gen.next());
  }

  /** A uniform double in `[low, high)`. */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * uniformFloat64(this.gen);
  }

  /** A uniform integer in `[low, high)` (high exclusive, as Python's `range`). */
  int(low: number, high: number): number {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high <= low) {
      throw new ArgumentError("Rng.int", `need integers low < high (got ${low}, ${high})`);
    }
    return uniformInt(this.gen, low, high - 1);
  }

  /** A normal draw with the given mean and standard deviation. */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    // u1 in (0, 1] so the log is finite.
    const u1 = 1 - uniformFloat64(this.gen);
    const u2 = uniformFloat64(this.gen);
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return mean + std * r * Math.cos(theta);
  }

  /** True with probability `p`. */
  bernoulli(p: number): boolean {
    return uniformFloat64(this.gen) < p;
  }

  /** Fills an array with uniform draws in `[low, high)`; returns it. */
  fillUniform<T extends TypedArray>(out: T, low = 0, high = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * uniformFloat64(this.gen);
    return out;
  }

  /** Fills an array with normal draws; returns it. */
  fillNormal<T extends TypedArray>(out: T, mean = 0, std = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** A uniformly random permutation of `0..n-1` (Fisher-Yates). */
  permutation(n: number): number[] {
    if (!Number.isInteger(n) || n < 0) {
      throw new ArgumentError("Rng.permutation", `n must be a non-negative integer (got ${n})`);
    }
    const p = Array.from({ length: n }, (_, i) => i);
    return this.shuffle(p);
  }

  /** Shuffles an array in place (Fisher-Yates); returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = uniformInt(this.gen, 0, i);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }
}

let globalGenerator = new Rng(0);

/**
 * Reseeds the process-wide default generator (as `torch.manual_seed`). Layers created without an
 * explicit `rng` option draw their initial weights from it, so `manualSeed(42)` followed by the
 * same constructor calls builds the same model.
 *
 * @example
 * ```ts
 * manualSeed(42);
 * const a = new Conv2D(1, 8, 3);
 * ```
 */
export function manualSeed(seed: number): void {
  globalGenerator = new Rng(seed);
}

/** The process-wide default generator (see {@link manualSeed}). */
export function globalRng(): Rng {
  return globalGenerator;
}
