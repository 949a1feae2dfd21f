import type { KernelBackend } from "./backend.js";
import { ArgumentError } from "./errors.js";

/** Floats an arena's allocations are rounded up to (64 bytes), so that every tensor starts on a cache line. */
const ALIGN = 16;
/** The smallest chunk an arena asks for: 1 Mi floats (4 MiB). */
const MIN_CHUNK = 1 << 20;

let active: Arena | null = null;

/**
 * A bump allocator for the float32 tensors of one pass: inside {@link withArena}, every float32
 * tensor created (by `new Tensor`, {@link allocate} and every op built on them) is a zero-filled
 * view into the arena's chunks instead of a new `Float32Array`, and {@link Arena.reset} makes all of
 * that memory available again at once. A training step that resets its arena at the start reuses the
 * same memory step after step: nothing to zero-fill from fresh pages, nothing for the garbage
 * collector, and, when the chunks come from the backend ({@link KernelBackend.allocateBlock}), no
 * copies in and out of the backend's kernels.
 *
 * The price is a rule the owner must keep: a tensor allocated in the arena is valid only until the
 * next {@link Arena.reset} (or {@link Arena.dispose}); after that its memory is handed out again.
 * Copy out what must outlive it (`tensor.clone()` outside the arena). `UNet` keeps the rule for its
 * own intermediates (its forward resets the arena and returns a copy of the logits).
 *
 * Chunks: when an allocation does not fit, the arena takes a new chunk (at least as large as all it
 * handed out so far); at the next reset, an arena that needed more than one chunk gives them back
 * and takes one chunk of the largest total it ever needed, so from then on every pass fits in one.
 *
 * @example
 * ```ts
 * const arena = new Arena(getBackend());
 * for (const batch of batches) {
 *   arena.reset();                                   // last step's intermediates are dead
 *   const loss = withArena(arena, () => step(batch)); // every float32 tensor in step() is an arena view
 * }
 * arena.dispose();
 * ```
 */
export class Arena {
  /** Where the chunks come from: this backend's {@link KernelBackend.allocateBlock} when it has one. */
  readonly backend: KernelBackend | null;
  private chunks: Float32Array[] = [];
  /** Whether chunk i came from the backend (and goes back to it). */
  private fromBackend: boolean[] = [];
  private chunk = 0;
  private offset = 0;
  private used = 0;
  private highWater = 0;
  private disposed = false;
  private resets = 0;

  /**
   * A debugging aid: when true, memory handed out uninitialized ({@link Arena.allocateFloat32} with
   * `zero` false, as {@link empty} does inside an arena) is filled with NaN, so that an op that reads
   * an element before writing it shows up as NaN in its results. Off by default (it costs what
   * zero-filling costs); the tests turn it on.
   */
  static poisonUninitialized = false;

  /** An empty arena whose chunks come from `backend` (when it offers blocks) or are plain Float32Arrays. */
  constructor(backend: KernelBackend | null = null) {
    this.backend = backend;
  }

  /** How many times {@link Arena.reset} ran: tensors allocated before the latest reset are dead. */
  get generation(): number {
    return this.resets;
  }

  /** Floats reserved in chunks (what the arena holds, used or not). */
  get reservedFloats(): number {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  /** The largest number of floats one generation has used (allocations rounded up to 16 floats). */
  get highWaterFloats(): number {
    return Math.max(this.highWater, this.used);
  }

  /**
   * A float32 view of `length` elements, valid until the next {@link Arena.reset}: zero-filled, or
   * with `zero` false left as the memory is (for a result every element of which is written before
   * it is read; see {@link Arena.poisonUninitialized}).
   *
   * @example
   * ```ts
   * const a = arena.allocateFloat32(4); // Float32Array [0, 0, 0, 0] inside a chunk
   * ```
   */
  allocateFloat32(length: number, zero = true): Float32Array {
    if (this.disposed) throw new ArgumentError("Arena", "the arena was disposed");
    if (!Number.isInteger(length) || length < 0) {
      throw new ArgumentError("Arena", `length must be a non-negative integer (got ${length})`);
    }
    const n = Math.ceil(length / ALIGN) * ALIGN;
    for (;;) {
      const c = this.chunks[this.chunk];
      if (c === undefined) break;
      if (this.offset + n <= c.length) {
        const view = c.subarray(this.offset, this.offset + length);
        this.offset += n;
        this.used += n;
        if (zero) view.fill(0);
        else if (Arena.poisonUninitialized) view.fill(Number.NaN);
        return view;
      }
      this.chunk++;
      this.offset = 0;
    }
    const size = Math.max(n, MIN_CHUNK, this.used, this.highWater - this.used);
    const block = this.backend?.allocateBlock?.(size) ?? null;
    const ok = block !== null && block.length >= size;
    this.chunks.push(ok ? block : new Float32Array(size));
    this.fromBackend.push(ok);
    this.chunk = this.chunks.length - 1;
    this.offset = 0;
    return this.allocateFloat32(length, zero);
  }

  /**
   * Makes all memory handed out so far available again: every tensor allocated in the arena before
   * is dead from now on (see the class comment). Merges the chunks into one when there were several.
   */
  reset(): void {
    if (this.disposed) throw new ArgumentError("Arena", "the arena was disposed");
    this.highWater = Math.max(this.highWater, this.used);
    if (this.chunks.length > 1) this.freeChunks();
    this.chunk = 0;
    this.offset = 0;
    this.used = 0;
    this.resets++;
  }

  /** Gives every chunk back (to the backend when it came from there); the arena cannot be used afterwards. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.freeChunks();
    this.disposed = true;
    this.resets++;
  }

  private freeChunks(): void {
    this.chunks.forEach((c, i) => {
      if (this.fromBackend[i]) this.backend?.freeBlock?.(c);
    });
    this.chunks = [];
    this.fromBackend = [];
  }
}

/**
 * Runs `fn` with `arena` as the place float32 tensors are allocated (see {@link Arena}), and
 * restores the previous arena (or none) afterwards, also on throw. `null` runs `fn` with ordinary
 * allocation. Float64 tensors are never allocated in an arena.
 *
 * @example
 * ```ts
 * const y = withArena(arena, () => relu(conv.forward(x))); // y is valid until arena.reset()
 * const kept = y.clone();                                   // outside: an ordinary tensor
 * ```
 */
export function withArena<T>(arena: Arena | null, fn: () => T): T {
  const previous = active;
  active = arena;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

/** The arena float32 allocations go to now, or null. */
export function activeArena(): Arena | null {
  return active;
}
