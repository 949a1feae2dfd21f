// Direct ("implicit GEMM") stride-1 convolution: out[m, oy, ox] (+)= sum over (n, ky, kx) of
// Wd[m, n, ky, kx] * X[n, oy - padH + ky*dh, ox - padW + kx*dw], zero outside X.
//
// The column matrix of im2col is never written. Each image is copied once into a zero-bordered
// buffer P (its rows Wp = W + 2*padW long, Hp = H + 2*padH rows per channel), where the eight output
// positions ox..ox+7 of one output row read eight consecutive floats for every tap, at the byte
// offset offs[p] of the tap p = (n, ky, kx) from the panel's base. The micro-kernel is the GEMM's
// 4 x 8 register tile (4 output channels by 8 output positions); its B operand comes straight from P
// instead of a packed panel, and its A operand from the weights packed by packDirectWeights.
//
// The same kernel computes the input gradient of a stride-1 convolution: a convolution of dy with
// the weights transposed ([Cout, Cin] -> [Cin, Cout]) and flipped, padded by dh*(kh-1) - padH.
//
// Every output element sums its taps in ascending p in one lane, whatever the tile, row or image it
// sits in, so splitting rows or images among threads gives bit-identical results.

// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Bytes of packed weights {@link packDirectWeights} writes for M output and K = N*kh*kw taps. */
export function directWeightsBytes(M: i32, K: i32): i32 {
  return ((M + 3) >> 2) * K * 16;
}

/**
 * Packs convolution weights for {@link convDirect}: block mb (output channels 4mb..4mb+3), tap p,
 * lane r at dst + ((mb*K + p)*4 + r)*4 bytes, zero for channels past M. `transposeFlip` = 0: w is
 * [M, N, kh, kw] and Wd = w. `transposeFlip` = 1: w is [N, M, kh, kw] (a forward convolution's
 * weights, N = its Cout) and Wd[m, n, ky, kx] = w[n, m, kh-1-ky, kw-1-kx] (its input gradient).
 */
export function packDirectWeights(w: usize, M: i32, N: i32, kh: i32, kw: i32, transposeFlip: i32, dst: usize): void {
  const taps = kh * kw;
  const K = N * taps;
  const blocks = (M + 3) >> 2;
  for (let mb = 0; mb < blocks; mb++) {
    for (let r = 0; r < 4; r++) {
      const m = mb * 4 + r;
      let d = dst + ((<usize>mb * K) << 4) + (<usize>r << 2);
      for (let n = 0; n < N; n++) {
        for (let t = 0; t < taps; t++) {
          let v: f32 = 0;
          if (m < M) {
            v = transposeFlip == 0
              ? load<f32>(w + ((<usize>(m * N + n) * taps + t) << 2))
              : load<f32>(w + ((<usize>(n * M + m) * taps + (taps - 1 - t)) << 2));
          }
          store<f32>(d, v);
          d += 16;
        }
      }
    }
  }
}

/** Bytes of per-thread scratch {@link convDirect} needs: the padded image, slack, and the tap offsets. */
export function directScratchBytes(N: i32, H: i32, W: i32, padH: i32, padW: i32, kh: i32, kw: i32): i32 {
  const padded = N * (H + 2 * padH) * (W + 2 * padW);
  return ((padded + 16) << 2) + ((N * kh * kw) << 2) + 48;
}

/**
 * out[b, m, oy, ox] = (accumulate ? out[b, m, oy, ox] : 0) + sum_p Wd[m, p] * X_b[tap p at (oy, ox)]
 * for images b in [b0, b1) and output rows oy in [oy0, oy1); x: images of N x H x W floats (ldx bytes
 * apart), out: M x outH x outW floats per image (ldo bytes apart), wpk: packDirectWeights output,
 * scratch: directScratchBytes bytes (16-byte aligned). Stride 1; outH = H + 2padH - dh(kh-1), and
 * the same for the width.
 */
export function convDirect(
  x: usize, ldx: usize, N: i32, H: i32, W: i32, padH: i32, padW: i32, kh: i32, kw: i32, dh: i32, dw: i32,
  wpk: usize, M: i32, out: usize, ldo: usize, outH: i32, outW: i32,
  b0: i32, b1: i32, oy0: i32, oy1: i32, accumulate: i32, scratch: usize,
): void {
  const Hp = H + 2 * padH;
  const Wp = W + 2 * padW;
  const plane = Hp * Wp;
  const K = N * kh * kw;
  const P = scratch;
  const offs = P + ((<usize>(N * plane + 16)) << 2);
  const tile = (offs + (<usize>K << 2) + 15) & ~(<usize>15);
  // tap offsets (bytes from the panel's base)
  let o = offs;
  for (let n = 0; n < N; n++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        store<i32>(o, ((n * Hp + ky * dh) * Wp + kx * dw) << 2);
        o += 4;
      }
    }
  }
  // the padding borders stay zero: clear the whole buffer once, then copy each image's interior
  memory.fill(P, 0, (<usize>(N * plane + 16)) << 2);
  const outPlane = <usize>(outH * outW) << 2;
  const blocks = (M + 3) >> 2;
  const wBlock = <usize>K << 4;
  for (let b = b0; b < b1; b++) {
    const xb = x + <usize>b * ldx;
    for (let n = 0; n < N; n++) {
      for (let y = 0; y < H; y++) {
        memory.copy(P + ((<usize>(n * plane + (y + padH) * Wp + padW)) << 2), xb + ((<usize>(n * H + y) * W) << 2), <usize>W << 2);
      }
    }
    const ob = out + <usize>b * ldo;
    for (let oy = oy0; oy < oy1; oy++) {
      for (let ox = 0; ox < outW; ox += 8) {
        const nr = min(8, outW - ox);
        const base = P + ((<usize>(oy * Wp + ox)) << 2);
        const dst = ob + ((<usize>(oy * outW + ox)) << 2);
        for (let mb = 0; mb < blocks; mb++) {
          let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
          let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
          let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
          let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
          let a = wpk + <usize>mb * wBlock;
          let op = offs;
          const opEnd = offs + (<usize>K << 2);
          while (op < opEnd) {
            const src = base + <usize>load<i32>(op);
            const v0 = v128.load(src);
            const v1 = v128.load(src, 16);
            let s: v128;
            s = v128.load32_splat(a); c00 = madd(s, v0, c00); c01 = madd(s, v1, c01);
            s = v128.load32_splat(a, 4); c10 = madd(s, v0, c10); c11 = madd(s, v1, c11);
            s = v128.load32_splat(a, 8); c20 = madd(s, v0, c20); c21 = madd(s, v1, c21);
            s = v128.load32_splat(a, 12); c30 = madd(s, v0, c30); c31 = madd(s, v1, c31);
            a += 16;
            op += 4;
          }
          const mr = min(4, M - mb * 4);
          const d0 = dst + <usize>(mb * 4) * outPlane;
          storeRow(d0, c00, c01, nr, accumulate, tile);
          if (mr > 1) storeRow(d0 + outPlane, c10, c11, nr, accumulate, tile);
          if (mr > 2) storeRow(d0 + 2 * outPlane, c20, c21, nr, accumulate, tile);
          if (mr > 3) storeRow(d0 + 3 * outPlane, c30, c31, nr, accumulate, tile);
        }
      }
    }
  }
}

/**
 * Stores (or adds, when accumulate) the first nr of the 8 floats lo|hi at d; a partial row goes
 * through the 32-byte tile.
 */
// @ts-ignore: decorator
@inline function storeRow(d: usize, lo: v128, hi: v128, nr: i32, accumulate: i32, tile: usize): void {
  if (nr == 8) {
    if (accumulate) {
      lo = f32x4.add(v128.load(d), lo);
      hi = f32x4.add(v128.load(d, 16), hi);
    }
    v128.store(d, lo);
    v128.store(d, hi, 16);
    return;
  }
  v128.store(tile, lo);
  v128.store(tile, hi, 16);
  for (let j = 0; j < nr; j++) {
    const dj = d + (<usize>j << 2);
    const v = load<f32>(tile + (<usize>j << 2));
    store<f32>(dj, accumulate ? load<f32>(dj) + v : v);
  }
}

/**
 * Copies images [b0, b1) (N x H x W floats, ldx bytes apart) into zero-bordered buffers at P
 * (ldp bytes apart, N x (H + 2padH) x (W + 2padW) floats each; the borders must be zero already,
 * as after memory.fill).
 */
export function padImages(x: usize, ldx: usize, N: i32, H: i32, W: i32, padH: i32, padW: i32, b0: i32, b1: i32, P: usize, ldp: usize): void {
  const Hp = H + 2 * padH;
  const Wp = W + 2 * padW;
  for (let b = b0; b < b1; b++) {
    const xb = x + <usize>b * ldx;
    const pb = P + <usize>b * ldp;
    for (let n = 0; n < N; n++) {
      for (let y = 0; y < H; y++) {
        memory.copy(pb + ((<usize>((n * Hp + y + padH) * Wp + padW)) << 2), xb + ((<usize>(n * H + y) * W) << 2), <usize>W << 2);
      }
    }
  }
}

/** Writes the K = N*kh*kw tap byte offsets ((n*Hp + ky*dh)*Wp + kx*dw)*4 as i32 at offs. */
export function directOffsets(N: i32, Hp: i32, Wp: i32, kh: i32, kw: i32, dh: i32, dw: i32, offs: usize): void {
  for (let n = 0; n < N; n++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        store<i32>(offs, ((n * Hp + ky * dh) * Wp + kx * dw) << 2);
        offs += 4;
      }
    }
  }
}

/** Lane mask with the first `rem` (1..4) lanes all ones. */
// @ts-ignore: decorator
@inline function laneMask(rem: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(rem));
}

/**
 * Weight gradient of a stride-1 convolution, direct: for taps p in [p0, p1) and every output channel
 * m < M, dW[m, p] += sum over images b < batch and output positions (oy, ox) of
 * dy[b, m, oy, ox] * P_b[tap p at (oy, ox)]. P: the padded images (padImages, ldp bytes apart),
 * offs: directOffsets, dy: M x outH x outW floats per image (ldy bytes apart), dW: M x K row-major.
 * acc: M*K f32x4 accumulators (16-byte aligned), zeroed here for the taps in range.
 *
 * Blocking: chunks of R output rows (about 512 positions, so 4 channels' dy chunks stay in L1),
 * then 4 output channels, then pairs of taps: 4 x 2 accumulators of 4 lanes (ox mod 4) in
 * registers over the chunk, added to the f32x4 accumulators in (b, chunk) order; at the end the
 * four lanes are summed ((l0 + l1) + (l2 + l3)) and added to dW. The order depends only on the
 * shapes, never on [p0, p1), so splitting taps among threads gives bit-identical results.
 */
export function convDirectWeightGrad(
  P: usize, ldp: usize, offs: usize, Wp: i32, dy: usize, ldy: usize, M: i32, outH: i32, outW: i32, batch: i32,
  K: i32, p0: i32, p1: i32, acc: usize, dW: usize,
): void {
  const blocks = (M + 3) >> 2;
  const z = f32x4.splat(0);
  for (let m = 0; m < M; m++) {
    for (let p = p0; p < p1; p++) v128.store(acc + ((<usize>(m * K + p)) << 4), z);
  }
  const outPlane = <usize>(outH * outW) << 2;
  const quads = outW >> 2;
  const rem = outW & 3;
  const mask = laneMask(rem == 0 ? 4 : rem);
  const accRow = <usize>K << 4;
  const jEnd = <usize>quads << 4;
  const rowBytes = <usize>Wp << 2;
  const dyRowBytes = <usize>outW << 2;
  const R = min(outH, max(1, 512 / outW));
  for (let b = 0; b < batch; b++) {
    const pb = P + <usize>b * ldp;
    for (let y0 = 0; y0 < outH; y0 += R) {
      const rows = min(R, outH - y0);
      for (let mb = 0; mb < blocks; mb++) {
        const mr = min(4, M - mb * 4);
        const d0 = dy + <usize>b * ldy + <usize>(mb * 4) * outPlane + ((<usize>(y0 * outW)) << 2);
        const d1 = d0 + <usize>min(1, mr - 1) * outPlane;
        const d2 = d0 + <usize>min(2, mr - 1) * outPlane;
        const d3 = d0 + <usize>min(3, mr - 1) * outPlane;
        for (let p = p0; p < p1; p += 2) {
          const q = min(p + 1, p1 - 1); // the second tap (repeats p at an odd end; not stored)
          let s0 = pb + ((<usize>(y0 * Wp)) << 2) + <usize>load<i32>(offs + (<usize>p << 2));
          let s1 = pb + ((<usize>(y0 * Wp)) << 2) + <usize>load<i32>(offs + (<usize>q << 2));
          let a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
          let dOff: usize = 0;
          for (let r = 0; r < rows; r++) {
            let j: usize = 0;
            while (j < jEnd) {
              const x0 = v128.load(s0 + j);
              const x1 = v128.load(s1 + j);
              const dj = dOff + j;
              let g = v128.load(d0 + dj); a00 = madd(g, x0, a00); a01 = madd(g, x1, a01);
              g = v128.load(d1 + dj); a10 = madd(g, x0, a10); a11 = madd(g, x1, a11);
              g = v128.load(d2 + dj); a20 = madd(g, x0, a20); a21 = madd(g, x1, a21);
              g = v128.load(d3 + dj); a30 = madd(g, x0, a30); a31 = madd(g, x1, a31);
              j += 16;
            }
            if (rem != 0) {
              // the last 1..3 positions: masked lanes (dy and x both zeroed, so 0 * Inf never appears)
              const x0 = v128.and(v128.load(s0 + j), mask);
              const x1 = v128.and(v128.load(s1 + j), mask);
              const dj = dOff + j;
              let g = v128.and(loadTail(d0 + dj, rem), mask); a00 = madd(g, x0, a00); a01 = madd(g, x1, a01);
              g = v128.and(loadTail(d1 + dj, rem), mask); a10 = madd(g, x0, a10); a11 = madd(g, x1, a11);
              g = v128.and(loadTail(d2 + dj, rem), mask); a20 = madd(g, x0, a20); a21 = madd(g, x1, a21);
              g = v128.and(loadTail(d3 + dj, rem), mask); a30 = madd(g, x0, a30); a31 = madd(g, x1, a31);
            }
            s0 += rowBytes;
            s1 += rowBytes;
            dOff += dyRowBytes;
          }
          const r0 = acc + <usize>(mb * 4) * accRow + ((<usize>p) << 4);
          const two = q != p;
          addAcc(r0, a00, a01, two);
          if (mr > 1) addAcc(r0 + accRow, a10, a11, two);
          if (mr > 2) addAcc(r0 + 2 * accRow, a20, a21, two);
          if (mr > 3) addAcc(r0 + 3 * accRow, a30, a31, two);
        }
      }
    }
  }
  for (let m = 0; m < M; m++) {
    for (let p = p0; p < p1; p++) {
      const v = v128.load(acc + ((<usize>(m * K + p)) << 4));
      const s = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
      const d = dW + ((<usize>(m * K + p)) << 2);
      store<f32>(d, load<f32>(d) + s);
    }
  }
}

/**
 * The 1..3 floats at d in the low lanes (the rest zero), without reading past them: dy's last row
 * may end its buffer.
 */
// @ts-ignore: decorator
@inline function loadTail(d: usize, rem: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(d));
  if (rem > 1) v = f32x4.replace_lane(v, 1, load<f32>(d, 4));
  if (rem > 2) v = f32x4.replace_lane(v, 2, load<f32>(d, 8));
  return v;
}

/** acc[0] += lo and, when two, acc[1] += hi (the accumulators of taps p and p+1). */
// @ts-ignore: decorator
@inline function addAcc(r: usize, lo: v128, hi: v128, two: bool): void {
  v128.store(r, f32x4.add(v128.load(r), lo));
  if (two) v128.store(r, f32x4.add(v128.load(r, 16), hi), 16);
}
