// f32 GEMM for WebAssembly SIMD: C = alpha * op(A) * op(B) + beta * C, row-major, byte addresses.
//
//   for jc in n by NC:               B block [kc x nc] packed into NR-wide micro-panels
//     for pc in k by KC:
//       pack B[pc:pc+kc, jc:jc+nc]
//       for ic in m by MC:
//         for ir in mc by MR:        A read in place (rows are contiguous in p, or columns when transA)
//           for jr in nc by NR:      micro-kernel on an MR x NR tile of C
//
// (A transposed with nc <= ACC_NC: for ic in m by MCT, for each part of PSUB rows of the block, the
// tiles as above on that part; see gemm.)
//
// A is not packed: at the conv shapes A (or B) is the large operand and is used once per micro-panel
// row, so packing it would double its memory traffic; the micro-kernel reads it in place with a row
// stride and a p stride. B is packed (it is re-used by every row block and its rows may be far apart).
import { MR, NR, microKernel, microKernelPart, microKernelPartTouch, microKernelTouch, touchSum } from "./microkernel";

const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 1024;
/** With A transposed, rows of A (p) per part of a tile's sum (see gemm). */
const PSUB: i32 = 64;
/** With A transposed, the widest column block whose MCT x nc raw sums are kept between parts. */
const ACC_NC: i32 = 32;
/** With A transposed and parts, rows of op(A) per row block. */
const MCT: i32 = 1024;
/** With A transposed and parts, the smallest A (bytes) whose next part is touched ahead (see gemm). */
const TOUCH_MIN_BYTES: i64 = 4 << 20;

/** Bytes of scratch one call of {@link gemm} needs (packed B block, an edge tile, raw sums). */
export function gemmScratchBytes(): i32 {
  return (KC * NC + MR * NR + MCT * ACC_NC) * 4 + 16;
}

/** Transposes the 4x4 block of rows r0..r3 and stores its columns at d, d+pitch, d+2*pitch, d+3*pitch. */
// @ts-ignore: decorator
@inline function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, d: usize, pitch: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(d + pitch, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(d + 2 * pitch, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(d + 3 * pitch, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/** Packs op(B)[p0:p0+kc, j0:j0+nc] into NR-column micro-panels (kc groups of NR floats), zero-padded. */
function packB(transB: bool, b: usize, ldb: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  const pitch: usize = <usize>NR << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    if (!transB) {
      // element (p, j) at b + (p*ldb + j)*4: each p row of the panel is contiguous
      let src = b + ((<usize>p0 * ldb + j0 + jr) << 2);
      let d = dst;
      const step = <usize>ldb << 2;
      if (nr == NR) {
        for (let p = 0; p < kc; p++) {
          v128.store(d, v128.load(src));
          v128.store(d, v128.load(src, 16), 16);
          src += step;
          d += pitch;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let j = 0; j < nr; j++) store<f32>(d + (<usize>j << 2), load<f32>(src + (<usize>j << 2)));
          for (let j = nr; j < NR; j++) store<f32>(d + (<usize>j << 2), 0);
          src += step;
          d += pitch;
        }
      }
    } else {
      // element (p, j) at b + (j*ldb + p)*4: transpose 4x4 blocks
      const ld: usize = <usize>ldb << 2;
      let p = 0;
      if (nr == NR) {
        const s0 = b + ((<usize>(j0 + jr) * ldb + p0) << 2);
        for (; p + 4 <= kc; p += 4) {
          const s = s0 + (<usize>p << 2);
          const d = dst + <usize>p * pitch;
          transpose4(v128.load(s), v128.load(s + ld), v128.load(s + 2 * ld), v128.load(s + 3 * ld), d, pitch);
          const s4 = s + 4 * ld;
          transpose4(v128.load(s4), v128.load(s4 + ld), v128.load(s4 + 2 * ld), v128.load(s4 + 3 * ld), d + 16, pitch);
        }
      }
      for (let j = 0; j < NR; j++) {
        let d = dst + <usize>p * pitch + (<usize>j << 2);
        if (j < nr) {
          let src = b + ((<usize>(j0 + jr + j) * ldb + p0 + p) << 2);
          for (let q = p; q < kc; q++) {
            store<f32>(d, load<f32>(src));
            src += 4;
            d += pitch;
          }
        } else {
          for (let q = p; q < kc; q++) {
            store<f32>(d, 0);
            d += pitch;
          }
        }
      }
    }
    dst += <usize>(NR * kc) << 2;
  }
}

/** Rows of op(A) (not transposed) from which {@link gemm} runs its row tiles by quarters. */
const QUARTERS_MIN_M: i32 = 512;

/**
 * One row tile of C against every NR-wide micro-panel of the packed B block: mr rows of op(A) at
 * ap (rows ars bytes apart, elements ps apart) times ks rows of the panels (packedB points at the
 * first of them; panels are kc rows long), C rows at cp, crs bytes apart.
 *
 * When the tile's sum over the block is split into parts (acc != 0: one 4x8 tile of raw sums per
 * panel at acc), init continues from the sums stored there, and a part that is not the last
 * stores its sums back instead of writing C.
 *
 * With touching (a constant at each call site; A transposed, so ars == 4), the full tiles also read
 * one byte per step of the bytes [touch, touchEnd): ks reads tstep bytes apart per panel, the
 * panels one after the other (see gemm).
 */
// @ts-ignore: decorator
@inline function rowTile(ks: i32, kc: i32, ap: usize, ars: usize, ps: usize, mr: i32, nc: i32, packedB: usize, cp: usize, crs: usize,
  tile: usize, mode: i32, alphaV: v128, betaV: v128, beta: f32, acc: usize, init: bool, last: bool,
  touching: bool, touch: usize, tstep: usize, touchEnd: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const bp = packedB + (<usize>(jr * kc) << 2);
    const at = acc + (<usize>(jr * MR) << 2);
    const from: usize = init ? at : 0;
    // this panel's reads: ks of them from touch, tstep apart, none at or past touchEnd
    let t = ap;
    let step: usize = 0;
    if (touching) {
      if (touch < touchEnd) {
        t = touch;
        step = touch + <usize>ks * tstep <= touchEnd ? tstep : (touchEnd - touch) / <usize>ks;
      }
      touch += <usize>ks * tstep;
    }
    if (!last) {
      if (touching && mr == MR) microKernelPartTouch(ks, ap, ps, bp, from, at, t, step);
      else microKernelPart(ks, ap, ars, ps, mr, bp, from, at);
      continue;
    }
    const cj0 = cp + (<usize>jr << 2);
    if (mr == MR && nr == NR) {
      if (touching) microKernelTouch(ks, ap, ps, bp, cj0, crs, mode, alphaV, betaV, from, t, step);
      else microKernel(ks, ap, ars, ps, MR, bp, cj0, crs, mode, alphaV, betaV, from);
    } else {
      microKernel(ks, ap, ars, ps, mr, bp, tile, <usize>NR << 2, 0, alphaV, betaV, from);
      for (let r = 0; r < mr; r++) {
        const crow = cj0 + <usize>r * crs;
        const trow = tile + (<usize>(r * NR) << 2);
        for (let j = 0; j < nr; j++) {
          const t = load<f32>(trow + (<usize>j << 2));
          const cj = crow + (<usize>j << 2);
          if (mode == 0) store<f32>(cj, t);
          else if (mode == 1) store<f32>(cj, load<f32>(cj) * beta + t);
          else store<f32>(cj, load<f32>(cj) + t);
        }
      }
    }
  }
}

/** How the KC block starting at row pc of B meets C: 0 stores (beta == 0), 1 scales C by beta first, 2 adds. */
// @ts-ignore: decorator
@inline function blockMode(pc: i32, beta: f32): i32 {
  return pc > 0 ? 2 : beta == 0 ? 0 : 1;
}

/**
 * One row tile (as {@link rowTile}) over every KC block of k in turn, with all the blocks of B packed
 * at packedB one after the other (block at row pc starts pc * ncPad floats in).
 */
// @ts-ignore: decorator
@inline function tileOverBlocks(k: i32, ap: usize, ars: usize, ps: usize, mr: i32, nc: i32, ncPad: i32, packedB: usize, cp: usize, crs: usize,
  tile: usize, alphaV: v128, betaV: v128, beta: f32): void {
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    rowTile(kc, kc, ap + <usize>pc * ps, ars, ps, mr, nc, packedB + (<usize>(pc * ncPad) << 2), cp, crs, tile, blockMode(pc, beta), alphaV, betaV, beta, 0, false, true, false, 0, 0, 0);
  }
}

/**
 * C = alpha * op(A) * op(B) + beta * C on f32 row-major matrices at byte addresses a, b, c, leading
 * dimensions in elements (BLAS conventions); scratch: gemmScratchBytes() bytes, 16-byte aligned.
 * beta == 0 overwrites C (NaN in C ignored). Each element's summation order depends only on k
 * (blocks of KC, p ascending), never on m, n or the element's position, so splitting C among
 * threads gives bit-identical results.
 *
 * With A not transposed and at least QUARTERS_MIN_M rows, the rows of a tile are not adjacent: the
 * first 4q rows (q = m / 4) go by quarters, tile i holding rows i, i+q, i+2q, i+3q. Each quarter
 * of A is then read as one sequential stream, which the hardware prefetches well. Adjacent rows
 * are four interleaved streams within the same pages, and a large A (19 MB at 32768x144) then
 * waits on DRAM: 22 -> 30 GFLOP/s there. Which tile computes an element does not change its sum.
 *
 * With A transposed and a column block of at most ACC_NC columns, each KC block runs in parts of
 * PSUB rows of A: every tile of a row block (MCT rows of op(A)) takes the first PSUB rows, then the
 * next PSUB, its raw sums kept in scratch between parts and resumed in the same accumulators, so
 * the sums are the same bits as in one sweep. A part is PSUB whole rows of A, contiguous; one tile
 * over the whole block strides down 256 rows. At 576x8192x32 (A 19 MB) 25 -> 30 GFLOP/s.
 *
 * Those parts still wait on DRAM when A is larger than the last-level cache: each tile reads its
 * column of a part as PSUB lines a row apart, so the part's lines are first asked for in bursts,
 * four tiles sharing a line, and wasm has no prefetch instruction. So when A is at least
 * TOUCH_MIN_BYTES with rows one after the other (lda == m, one row block), the micro-kernels of
 * each part also read one byte per step of the next part (the next PSUB rows of A), spread
 * evenly over all the part's steps: a slow sequential stream, which the hardware prefetcher seems
 * to run ahead of (a burst of the same reads does not help), so the next part is in the cache when
 * its turn comes. The reads change no result.
 * Measured on 1 thread (AMD EPYC, 8 MB L3, relaxed-SIMD build, operands in wasm memory):
 * 144x32768x16 (A 19 MB) 21.6 -> 27-29 GFLOP/s; with PSUB 64 instead of 128 as well (parts of
 * 147 KB instead of 295 KB at m = 576), 576x8192x32 24 -> 28-29. A burst of reads per tile
 * instead (32 lines at once) was slower than none, and so were reads of row segments when a row
 * block is narrower than A (MCT was 256 then; it is now 1024, so m <= 1024 is one row block).
 */
export function gemm(transA: bool, transB: bool, m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32,
  b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, scratch: usize): void {
  if (m <= 0 || n <= 0) return;
  const ldcBytes = <usize>ldc << 2;
  if (k <= 0 || alpha == 0) {
    for (let i = 0; i < m; i++) {
      const row = c + <usize>i * ldcBytes;
      for (let j = 0; j < n; j++) {
        const cj = row + (<usize>j << 2);
        store<f32>(cj, beta == 0 ? <f32>0 : load<f32>(cj) * beta);
      }
    }
    return;
  }
  const packedB = scratch;
  const tile = packedB + (<usize>(KC * NC) << 2);
  const acc = tile + (<usize>(MR * NR) << 2);
  const alphaV = f32x4.splat(alpha);
  const betaV = f32x4.splat(beta);
  const rs: usize = transA ? 4 : <usize>lda << 2;
  const ps: usize = transA ? <usize>lda << 2 : 4;
  const q = !transA && m >= QUARTERS_MIN_M ? m >> 2 : 0;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    const ncPad = (nc + NR - 1) / NR * NR;
    if (!transA && k > KC && k * ncPad <= KC * NC) {
      // every KC block of B fits in the scratch at once: pack them all, then run each row tile over
      // the blocks in turn, so that a tile's rows of A are read from start to end in one go (each
      // row once, in order) instead of one KC block of every row per pass over A
      for (let pc = 0; pc < k; pc += KC) packB(transB, b, ldb, pc, min(KC, k - pc), jc, nc, packedB + (<usize>(pc * ncPad) << 2));
      const c0 = c + (<usize>jc << 2);
      for (let i = 0; i < q; i++) {
        tileOverBlocks(k, a + <usize>i * rs, <usize>q * rs, ps, MR, nc, ncPad, packedB, c0 + <usize>i * ldcBytes, <usize>q * ldcBytes, tile, alphaV, betaV, beta);
      }
      for (let row = q << 2; row < m; row += MR) {
        tileOverBlocks(k, a + <usize>row * rs, rs, ps, min(MR, m - row), nc, ncPad, packedB, c0 + <usize>row * ldcBytes, ldcBytes, tile, alphaV, betaV, beta);
      }
      continue;
    }
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(transB, b, ldb, pc, kc, jc, nc, packedB);
      const mode = blockMode(pc, beta);
      const a0 = a + <usize>pc * ps;
      const c0 = c + (<usize>jc << 2);
      if (transA && nc <= ACC_NC && kc > PSUB) {
        // by parts of PSUB rows of A: each part reads PSUB whole rows of A (contiguous) for every
        // tile of the row block, so A streams through in order; raw sums wait in acc between parts
        const panels = (nc + NR - 1) / NR;
        for (let ic = 0; ic < m; ic += MCT) {
          const mc = min(MCT, m - ic);
          // touch the next part ahead when A is large and the parts are whole rows of A, one after
          // the other (one row block, no gaps between rows)
          const touching = mc == m && lda == m && <i64>k * <i64>lda * 4 >= TOUCH_MIN_BYTES;
          const calls = <usize>((mc + MR - 1) / MR) * <usize>panels;
          for (let p0 = 0; p0 < kc; p0 += PSUB) {
            const ks = min(PSUB, kc - p0);
            const bp = packedB + (<usize>(p0 * NR) << 2);
            const last = p0 + ks >= kc;
            // the next part's rows of A (the next PSUB rows, in this KC block or the next), cut into
            // one piece per micro-kernel call of this part, tstep bytes per step
            const next = pc + p0 + ks;
            const touchFrom = a + <usize>next * ps;
            const touchEnd = touching ? a + <usize>min(next + PSUB, k) * ps : 0;
            const steps = calls * <usize>ks;
            const tstep = touching ? (touchEnd - touchFrom + steps - 1) / steps : 0;
            for (let ir = 0; ir < mc; ir += MR) {
              const row = ic + ir;
              const at = acc + (<usize>(ir * ncPad) << 2);
              const ap = a0 + <usize>row * rs + <usize>p0 * ps;
              const cp = c0 + <usize>row * ldcBytes;
              if (touching) {
                const touch = touchFrom + <usize>(ir / MR) * <usize>panels * <usize>ks * tstep;
                rowTile(ks, kc, ap, rs, ps, min(MR, mc - ir), nc, bp, cp, ldcBytes, tile, mode, alphaV, betaV, beta, at, p0 > 0, last, true, touch, tstep, touchEnd);
              } else {
                rowTile(ks, kc, ap, rs, ps, min(MR, mc - ir), nc, bp, cp, ldcBytes, tile, mode, alphaV, betaV, beta, at, p0 > 0, last, false, 0, 0, 0);
              }
            }
          }
        }
        continue;
      }
      for (let i = 0; i < q; i++) {
        rowTile(kc, kc, a0 + <usize>i * rs, <usize>q * rs, ps, MR, nc, packedB, c0 + <usize>i * ldcBytes, <usize>q * ldcBytes, tile, mode, alphaV, betaV, beta, 0, false, true, false, 0, 0, 0);
      }
      // the rows past the quarters (all of them without quarters), in adjacent tiles
      for (let ic = q << 2; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        for (let ir = 0; ir < mc; ir += MR) {
          const row = ic + ir;
          rowTile(kc, kc, a0 + <usize>row * rs, rs, ps, min(MR, mc - ir), nc, packedB, c0 + <usize>row * ldcBytes, ldcBytes, tile, mode, alphaV, betaV, beta, 0, false, true, false, 0, 0, 0);
        }
      }
    }
  }
  // the touch reads' sum, stored so that they are not optimised away (it means nothing)
  store<u32>(acc + (<usize>(MCT * ACC_NC) << 2), touchSum);
}

/**
 * T[j, i] = C[i, j] * beta for the m x n block of C at byte address c (leading dimension ldc), T stored
 * n x m contiguous at t: the start of a GEMM computed transposed with beta != 0. Running it with beta = 1
 * on T then adds each KC block's sum to C * beta in the order of the untransposed GEMM (T * 1 is exact),
 * so the two give the same bits.
 */
export function loadTransposed(t: usize, c: usize, ldc: i32, m: i32, n: i32, beta: f32): void {
  const step = <usize>m << 2;
  for (let i = 0; i < m; i++) {
    const row = c + (<usize>i * ldc << 2);
    let dst = t + (<usize>i << 2);
    for (let j = 0; j < n; j++) {
      store<f32>(dst, load<f32>(row + (<usize>j << 2)) * beta);
      dst += step;
    }
  }
}

/**
 * C[i, j] = T[j, i] for the m x n block of C at byte address c (leading dimension ldc) and T stored
 * n x m contiguous: stores a GEMM that was computed transposed.
 */
export function storeTransposed(c: usize, ldc: i32, t: usize, m: i32, n: i32): void {
  const step = <usize>m << 2;
  for (let i = 0; i < m; i++) {
    const row = c + (<usize>i * ldc << 2);
    let src = t + (<usize>i << 2);
    for (let j = 0; j < n; j++) {
      store<f32>(row + (<usize>j << 2), load<f32>(src));
      src += step;
    }
  }
}
