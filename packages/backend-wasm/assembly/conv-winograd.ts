// Winograd F(2x2, 3x3) stride-1 convolution: the same result as convDirect for 3x3 kernels with
// dilation 1, with 2.25x fewer multiplies (16 per 2x2 output tile and channel pair instead of 36).
//
// Each 2x2 output tile (rows 2ty, 2ty+1, columns 2tx, 2tx+1) reads the 4x4 patch d of the padded
// input at rows 2ty..2ty+3, columns 2tx..2tx+3, and for every output channel m
//   Y = A^T [ sum over n of U[m, n] (.) V[n] ] A,   U = G g G^T,   V = B^T d B
// with (.) the elementwise product of 4x4 matrices and
//   G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]
//   B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
//   A^T = [[1, 1, 1, 0], [0, 1, -1, -1]].
// The sum over n is 16 small GEMMs, one per transform position xi = 4i + j, run by the 4x8 register
// tile of the GEMM (4 output channels x 8 tiles; madd: one fused multiply-add per term in the
// relaxed-SIMD build). Its A operand is U, packed by packWinogradWeights; its B operand is V, which
// the input transform writes straight into 8-tile panels.
//
// Each image is first copied into a zero-bordered buffer (its rows long enough for every 8-tile
// group). Work then goes in blocks of GB groups of 8 tiles (a group: 8 consecutive tiles of one
// tile row, lanes past the row's last tile computed from zeros and discarded): the block's V
// (16 x GB x N panels of 8 floats) is computed once, then per block of 4 output channels the 16
// GEMMs fill a small buffer of sums (GB x 16 x 4 x 8 floats) that the output transform turns into
// output rows. Measured on Zen 1 (32 KiB L1d, 512 KiB L2; see groupsPerBlock): GB = 4 when
// N <= 16 (the weights are reused by 4 groups while V stays small), else 1 (V of a larger block
// no longer fits the caches: 20-30% slower at N = 32..96); padding chunks of tile rows into an
// L2-sized band instead of the whole image, and storing padded rows deinterleaved (even columns,
// then odd: no shuffles in the input transform, but unaligned loads) were both no faster.
//
// Every output element is computed from its own tile only: V from the padded input, the sum over n
// in ascending order in one lane starting from zero, then the fixed output transform, whatever the
// block, the group or the lane the tile sits in. Splitting images or rows among threads therefore
// gives bit-identical results.

// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Groups of 8 tiles transformed together (one block) for N input channels; the block's V is 16 * GB * N * 32 bytes. */
// @ts-ignore: decorator
@inline function groupsPerBlock(N: i32): i32 {
  return N <= 16 ? 4 : 1;
}

/** Bytes of packed weights {@link packWinogradWeights} writes for M output and N input channels. */
export function winogradWeightsBytes(M: i32, N: i32): i32 {
  return ((M + 3) >> 2) * 16 * N * 16;
}

/**
 * Transforms and packs 3x3 convolution weights for {@link convWinograd}: U = G g G^T (4 x 4,
 * computed in f64, rounded once) for every output channel m < M and input channel n < N, stored
 * as block mb (channels 4mb..4mb+3), position xi = 4i + j, channel n, lane r at
 * dst + (((mb*16 + xi)*N + n)*4 + r)*4 bytes, zero for channels past M. `transposeFlip` as for
 * packDirectWeights: 0: w is [M, N, 3, 3] and g = w[m, n]; 1: w is [N, M, 3, 3] and
 * g[ky][kx] = w[n, m, 2-ky, 2-kx] (the input gradient of a forward convolution with those weights).
 */
export function packWinogradWeights(w: usize, M: i32, N: i32, transposeFlip: i32, dst: usize): void {
  const blocks = (M + 3) >> 2;
  const xs = <usize>N << 4; // bytes between positions xi
  for (let mb = 0; mb < blocks; mb++) {
    for (let r = 0; r < 4; r++) {
      const m = mb * 4 + r;
      for (let n = 0; n < N; n++) {
        const d = dst + (<usize>(mb * 16) * xs) + (<usize>n << 4) + (<usize>r << 2);
        if (m >= M) {
          for (let xi = 0; xi < 16; xi++) store<f32>(d + <usize>xi * xs, 0);
          continue;
        }
        let g00: f64, g01: f64, g02: f64, g10: f64, g11: f64, g12: f64, g20: f64, g21: f64, g22: f64;
        if (transposeFlip == 0) {
          const s = w + ((<usize>(m * N + n) * 9) << 2);
          g00 = load<f32>(s); g01 = load<f32>(s, 4); g02 = load<f32>(s, 8);
          g10 = load<f32>(s, 12); g11 = load<f32>(s, 16); g12 = load<f32>(s, 20);
          g20 = load<f32>(s, 24); g21 = load<f32>(s, 28); g22 = load<f32>(s, 32);
        } else {
          const s = w + ((<usize>(n * M + m) * 9) << 2);
          g00 = load<f32>(s, 32); g01 = load<f32>(s, 28); g02 = load<f32>(s, 24);
          g10 = load<f32>(s, 20); g11 = load<f32>(s, 16); g12 = load<f32>(s, 12);
          g20 = load<f32>(s, 8); g21 = load<f32>(s, 4); g22 = load<f32>(s);
        }
        // G g: 4 x 3, row i column kx
        const q00 = g00, q01 = g01, q02 = g02;
        const q10 = (g00 + g10 + g20) * 0.5, q11 = (g01 + g11 + g21) * 0.5, q12 = (g02 + g12 + g22) * 0.5;
        const q20 = (g00 - g10 + g20) * 0.5, q21 = (g01 - g11 + g21) * 0.5, q22 = (g02 - g12 + g22) * 0.5;
        const q30 = g20, q31 = g21, q32 = g22;
        // (G g) G^T, row i at positions 4i..4i+3
        storeURow(d, xs, 0, q00, q01, q02);
        storeURow(d, xs, 4, q10, q11, q12);
        storeURow(d, xs, 8, q20, q21, q22);
        storeURow(d, xs, 12, q30, q31, q32);
      }
    }
  }
}

/** Stores row i of U = (G g) G^T from row i of G g (a, b, c) at positions xi0..xi0+3 (xs bytes apart). */
// @ts-ignore: decorator
@inline function storeURow(d: usize, xs: usize, xi0: i32, a: f64, b: f64, c: f64): void {
  store<f32>(d + <usize>xi0 * xs, <f32>a);
  store<f32>(d + <usize>(xi0 + 1) * xs, <f32>((a + b + c) * 0.5));
  store<f32>(d + <usize>(xi0 + 2) * xs, <f32>((a - b + c) * 0.5));
  store<f32>(d + <usize>(xi0 + 3) * xs, <f32>c);
}

/**
 * Bytes of per-thread scratch {@link convWinograd} needs for N channels of H x W padded by
 * padH/padW: the padded image (rows 2*ceil(outH/2) + 2, row length 16*ceil(ceil(outW/2)/8) + 4
 * floats, so that every 4x4 patch of every tile of every 8-tile group is in bounds), the block's
 * transformed input, the GEMM sums and a tile for partial rows.
 */
export function winogradScratchBytes(N: i32, H: i32, W: i32, padH: i32, padW: i32): i32 {
  const outH = H + 2 * padH - 2;
  const outW = W + 2 * padW - 2;
  const Hb = 2 * ((outH + 1) >> 1) + 2;
  const Wb = 16 * ((((outW + 1) >> 1) + 7) >> 3) + 4;
  const GB = groupsPerBlock(N);
  return ((N * Hb * Wb) << 2) + 16 * GB * N * 32 + GB * 16 * 4 * 32 + 128 + 16;
}

/**
 * The same convolution as convDirect, by Winograd F(2x2, 3x3), with exactly its arguments:
 * out[b, m, oy, ox] = (accumulate ? out[b, m, oy, ox] : 0) + sum over (n, ky, kx) of
 * g[m, n, ky, kx] * X_b[n, oy - padH + ky, ox - padW + kx] (zero outside X) for images b in
 * [b0, b1) and output rows oy in [oy0, oy1). x: images of N x H x W floats (ldx bytes apart), out:
 * M x outH x outW floats per image (ldo bytes apart), wpk: packWinogradWeights output, scratch:
 * winogradScratchBytes bytes (16-byte aligned). Requires kh = kw = 3 and dh = dw = 1 (the caller
 * checks; the arguments are there so that threads can run either kernel from one argument list);
 * stride 1, outH = H + 2padH - 2, outW = W + 2padW - 2. Tiles cover output rows (2ty, 2ty+1), so
 * oy0 should be even: an odd oy0 (or oy1 < outH) is correct but computes the boundary tile row in
 * both of the calls that share it. Only rows in [oy0, oy1) are written.
 */
export function convWinograd(
  x: usize, ldx: usize, N: i32, H: i32, W: i32, padH: i32, padW: i32, kh: i32, kw: i32, dh: i32, dw: i32,
  wpk: usize, M: i32, out: usize, ldo: usize, outH: i32, outW: i32,
  b0: i32, b1: i32, oy0: i32, oy1: i32, accumulate: i32, scratch: usize,
): void {
  if (oy1 <= oy0 || b1 <= b0) return;
  const tilesW = (outW + 1) >> 1;
  const groupsW = (tilesW + 7) >> 3;
  const Hb = 2 * ((outH + 1) >> 1) + 2;
  const Wb = 16 * groupsW + 4;
  const rowBytes = <usize>Wb << 2;
  const planeBytes = <usize>Hb * rowBytes;
  const P = scratch;
  const V = P + <usize>N * planeBytes;
  const GB = groupsPerBlock(N);
  const xs = <usize>(GB * N) << 5; // bytes between positions xi in V
  const Mb = V + 16 * xs;
  const tile = Mb + <usize>(GB * 16 * 4 * 32);
  const ty0 = oy0 >> 1;
  const ty1 = (oy1 + 1) >> 1;
  const nq = (ty1 - ty0) * groupsW;
  const blocks = (M + 3) >> 2;
  const outPlane = <usize>(outH * outW) << 2;
  const outRow = <usize>outW << 2;
  const wBlock = <usize>N << 8; // bytes of one block of 4 channels x 16 positions in wpk
  for (let b = b0; b < b1; b++) {
    padRows(x + <usize>b * ldx, N, H, W, padH, padW, P, Hb, Wb, 2 * ty0, 2 * ty1 + 2);
    const ob = out + <usize>b * ldo;
    for (let q0 = 0; q0 < nq; q0 += GB) {
      const ng = min(GB, nq - q0);
      // input transform of the block's groups, all channels
      for (let gi = 0; gi < ng; gi++) {
        const q = q0 + gi;
        const ty = ty0 + q / groupsW;
        const gx = q % groupsW;
        let src = P + <usize>(2 * ty) * rowBytes + (<usize>gx << 6);
        let dst = V + (<usize>(gi * N) << 5);
        for (let n = 0; n < N; n++) {
          inputTransform(src, rowBytes, dst, xs);
          src += planeBytes;
          dst += 32;
        }
      }
      for (let mb = 0; mb < blocks; mb++) {
        // the 16 GEMMs: sums[gi][xi][r][8 tiles] over n
        const wb = wpk + <usize>mb * wBlock;
        for (let xi = 0; xi < 16; xi++) {
          const a = wb + <usize>xi * (<usize>N << 4);
          const bx = V + <usize>xi * xs;
          for (let gi = 0; gi < ng; gi++) {
            gemmTile(a, bx + (<usize>(gi * N) << 5), N, Mb + (<usize>(gi * 16 + xi) << 7));
          }
        }
        // output transform and store
        const mr = min(4, M - mb * 4);
        for (let gi = 0; gi < ng; gi++) {
          const q = q0 + gi;
          const ty = ty0 + q / groupsW;
          const ox = (q % groupsW) << 4;
          const nr = min(16, outW - ox);
          const oy = 2 * ty;
          const w0 = oy >= oy0;
          const w1 = oy + 1 < oy1;
          for (let r = 0; r < mr; r++) {
            const p = Mb + (<usize>(gi * 64 + r) << 5);
            const d0 = ob + <usize>(mb * 4 + r) * outPlane + <usize>oy * outRow + (<usize>ox << 2);
            if (nr == 16) {
              outputHalf(p, d0, d0 + outRow, w0, w1, accumulate);
              outputHalf(p + 16, d0 + 32, d0 + outRow + 32, w0, w1, accumulate);
            } else {
              outputHalf(p, tile, tile + 64, true, true, 0);
              outputHalf(p + 16, tile + 32, tile + 96, true, true, 0);
              if (w0) storePartial(d0, tile, nr, accumulate);
              if (w1) storePartial(d0 + outRow, tile + 64, nr, accumulate);
            }
          }
        }
      }
    }
  }
}

/**
 * Copies rows [rowLo, rowHi) of the zero-padded image x (N x H x W floats) into P (N planes of
 * Hb x Wb floats): padded row i holds X[n, i - padH, j - padW] at column j, zero outside X. Every
 * float of those rows is written once (inline SIMD loops: memory.copy / memory.fill calls cost more
 * than rows of a few dozen floats).
 */
function padRows(x: usize, N: i32, H: i32, W: i32, padH: i32, padW: i32, P: usize, Hb: i32, Wb: i32, rowLo: i32, rowHi: i32): void {
  const z = f32x4.splat(0);
  const rowBytes = <usize>Wb << 2;
  const wBytes = <usize>W << 2;
  const wVec = <usize>(W & ~3) << 2;
  const left = <usize>padW << 2;
  for (let n = 0; n < N; n++) {
    const plane = P + <usize>(n * Hb) * rowBytes;
    for (let i = rowLo; i < rowHi; i++) {
      const row = plane + <usize>i * rowBytes;
      const y = i - padH;
      if (y < 0 || y >= H) {
        for (let j: usize = 0; j < rowBytes; j += 16) v128.store(row + j, z);
        continue;
      }
      for (let j: usize = 0; j < left; j += 4) store<f32>(row + j, 0);
      const src = x + ((<usize>(n * H + y) * W) << 2);
      const dst = row + left;
      let j: usize = 0;
      for (; j < wVec; j += 16) v128.store(dst + j, v128.load(src + j));
      for (; j < wBytes; j += 4) store<f32>(dst + j, load<f32>(src + j));
      for (let k = left + wBytes; k < rowBytes; k += 4) store<f32>(row + k, 0);
    }
  }
}

/**
 * V = B^T d B for the 8 tiles of one group and one channel: d of tile t is the 4 x 4 patch at
 * src + (2t + column) * 4 + row * rs bytes (rows of 20 floats are read). V[4i + j] for tiles 0..3
 * goes to dst + (4i + j) * xs, for tiles 4..7 16 bytes further. The patch rows are combined first
 * (B^T d, on whole rows of 20 floats, before deinterleaving), then the columns (times B).
 */
// @ts-ignore: decorator
@inline function inputTransform(src: usize, rs: usize, dst: usize, xs: usize): void {
  const r0 = src, r1 = src + rs, r2 = src + 2 * rs, r3 = src + 3 * rs;
  // V row 0: d row 0 - d row 2
  transformRow(
    f32x4.sub(v128.load(r0), v128.load(r2)), f32x4.sub(v128.load(r0, 16), v128.load(r2, 16)),
    f32x4.sub(v128.load(r0, 32), v128.load(r2, 32)), f32x4.sub(v128.load(r0, 48), v128.load(r2, 48)),
    f32x4.sub(v128.load(r0, 64), v128.load(r2, 64)), dst, xs,
  );
  // V rows 1 and 2: d row 1 + d row 2, d row 2 - d row 1
  const a0 = v128.load(r1), a1 = v128.load(r1, 16), a2 = v128.load(r1, 32), a3 = v128.load(r1, 48), a4 = v128.load(r1, 64);
  const b0 = v128.load(r2), b1 = v128.load(r2, 16), b2 = v128.load(r2, 32), b3 = v128.load(r2, 48), b4 = v128.load(r2, 64);
  transformRow(f32x4.add(a0, b0), f32x4.add(a1, b1), f32x4.add(a2, b2), f32x4.add(a3, b3), f32x4.add(a4, b4), dst + 4 * xs, xs);
  transformRow(f32x4.sub(b0, a0), f32x4.sub(b1, a1), f32x4.sub(b2, a2), f32x4.sub(b3, a3), f32x4.sub(b4, a4), dst + 8 * xs, xs);
  // V row 3: d row 1 - d row 3
  transformRow(
    f32x4.sub(a0, v128.load(r3)), f32x4.sub(a1, v128.load(r3, 16)), f32x4.sub(a2, v128.load(r3, 32)),
    f32x4.sub(a3, v128.load(r3, 48)), f32x4.sub(a4, v128.load(r3, 64)), dst + 12 * xs, xs,
  );
}

/**
 * One row of V for 8 tiles from a row e (20 floats in e0..e4, tile t at floats 2t..2t+3): the
 * columns c0..c3 deinterleaved into lanes (tile t in lane t), then V[j] = (c0 - c2, c1 + c2,
 * c2 - c1, c1 - c3) stored at d + j * xs (tiles 0..3) and d + j * xs + 16 (tiles 4..7). Every
 * shuffle is one x64 instruction in V8 (shufps for the even/odd splits, palignr for the shifts by
 * one lane, pshufd): columns 2 and 3 are the even/odd vectors shifted by one lane, taking their
 * last lane from the next half (a general two-input shuffle such as (1, 2, 3, 5) is not).
 */
// @ts-ignore: decorator
@inline function transformRow(e0: v128, e1: v128, e2: v128, e3: v128, e4: v128, d: usize, xs: usize): void {
  const c0 = v128.shuffle<f32>(e0, e1, 0, 2, 4, 6);
  const c1 = v128.shuffle<f32>(e0, e1, 1, 3, 5, 7);
  const c4 = v128.shuffle<f32>(e2, e3, 0, 2, 4, 6);
  const c5 = v128.shuffle<f32>(e2, e3, 1, 3, 5, 7);
  let c2 = v128.shuffle<f32>(c0, c4, 1, 2, 3, 4);
  let c3 = v128.shuffle<f32>(c1, c5, 1, 2, 3, 4);
  v128.store(d, f32x4.sub(c0, c2));
  v128.store(d + xs, f32x4.add(c1, c2));
  v128.store(d + 2 * xs, f32x4.sub(c2, c1));
  v128.store(d + 3 * xs, f32x4.sub(c1, c3));
  c2 = v128.shuffle<f32>(c4, e4, 1, 2, 3, 4);
  c3 = v128.shuffle<f32>(c5, v128.shuffle<f32>(e4, e4, 1, 1, 1, 1), 1, 2, 3, 4);
  v128.store(d, f32x4.sub(c4, c2), 16);
  v128.store(d + xs, f32x4.add(c5, c2), 16);
  v128.store(d + 2 * xs, f32x4.sub(c2, c5), 16);
  v128.store(d + 3 * xs, f32x4.sub(c5, c3), 16);
}

/**
 * The 4x8 register tile over K = N: sums[r][t] = sum over n (ascending, from zero) of
 * a[n][r] * b[n][t], with a 4 floats per n (packed U) and b 8 floats per n (a V panel); the 4 x 8
 * sums go to mo (128 bytes, row r at 32r).
 */
// @ts-ignore: decorator
@inline function gemmTile(a: usize, bp: usize, N: i32, mo: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const bEnd = bp + (<usize>N << 5);
  while (bp < bEnd) {
    const v0 = v128.load(bp);
    const v1 = v128.load(bp, 16);
    let s: v128;
    s = v128.load32_splat(a); c00 = madd(s, v0, c00); c01 = madd(s, v1, c01);
    s = v128.load32_splat(a, 4); c10 = madd(s, v0, c10); c11 = madd(s, v1, c11);
    s = v128.load32_splat(a, 8); c20 = madd(s, v0, c20); c21 = madd(s, v1, c21);
    s = v128.load32_splat(a, 12); c30 = madd(s, v0, c30); c31 = madd(s, v1, c31);
    a += 16;
    bp += 32;
  }
  v128.store(mo, c00);
  v128.store(mo, c01, 16);
  v128.store(mo, c10, 32);
  v128.store(mo, c11, 48);
  v128.store(mo, c20, 64);
  v128.store(mo, c21, 80);
  v128.store(mo, c30, 96);
  v128.store(mo, c31, 112);
}

/**
 * Y = A^T S A for 4 tiles, S[xi] (one v128: 4 tiles) at p + 128 xi: Y row 0 as 8 floats (tile t's
 * two outputs at floats 2t, 2t+1) to d0 when w0, row 1 to d1 when w1, added to what is there when
 * accumulate.
 */
// @ts-ignore: decorator
@inline function outputHalf(p: usize, d0: usize, d1: usize, w0: bool, w1: bool, accumulate: i32): void {
  const m4 = v128.load(p, 512), m5 = v128.load(p, 640), m6 = v128.load(p, 768), m7 = v128.load(p, 896);
  const m8 = v128.load(p, 1024), m9 = v128.load(p, 1152), m10 = v128.load(p, 1280), m11 = v128.load(p, 1408);
  // (A^T S) row 0 = S row 0 + S row 1 + S row 2, row 1 = S row 1 - S row 2 - S row 3
  const s00 = f32x4.add(f32x4.add(v128.load(p), m4), m8);
  const s01 = f32x4.add(f32x4.add(v128.load(p, 128), m5), m9);
  const s02 = f32x4.add(f32x4.add(v128.load(p, 256), m6), m10);
  const s03 = f32x4.add(f32x4.add(v128.load(p, 384), m7), m11);
  const s10 = f32x4.sub(f32x4.sub(m4, m8), v128.load(p, 1536));
  const s11 = f32x4.sub(f32x4.sub(m5, m9), v128.load(p, 1664));
  const s12 = f32x4.sub(f32x4.sub(m6, m10), v128.load(p, 1792));
  const s13 = f32x4.sub(f32x4.sub(m7, m11), v128.load(p, 1920));
  if (w0) outputRow(s00, s01, s02, s03, d0, accumulate);
  if (w1) outputRow(s10, s11, s12, s13, d1, accumulate);
}

/**
 * One output row of 4 tiles from its row of A^T S (columns c0..c3, a v128 of 4 tiles each): times A
 * (column 0 = c0 + c1 + c2, column 1 = c1 - c2 - c3), interleaved so that tile t's two outputs are
 * floats 2t, 2t+1 of the 8 stored at d (added to what is there when accumulate).
 */
// @ts-ignore: decorator
@inline function outputRow(c0: v128, c1: v128, c2: v128, c3: v128, d: usize, accumulate: i32): void {
  const y0 = f32x4.add(f32x4.add(c0, c1), c2);
  const y1 = f32x4.sub(f32x4.sub(c1, c2), c3);
  let lo = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5);
  let hi = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7);
  if (accumulate) {
    lo = f32x4.add(v128.load(d), lo);
    hi = f32x4.add(v128.load(d, 16), hi);
  }
  v128.store(d, lo);
  v128.store(d, hi, 16);
}

/** Stores (or adds, when accumulate) the first nr floats of the row at t to d. */
// @ts-ignore: decorator
@inline function storePartial(d: usize, t: usize, nr: i32, accumulate: i32): void {
  for (let j = 0; j < nr; j++) {
    const dj = d + (<usize>j << 2);
    const v = load<f32>(t + (<usize>j << 2));
    store<f32>(dj, accumulate ? load<f32>(dj) + v : v);
  }
}
