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
  // only the borders need zeros (each image overwrites the interior): a call per image, as the
  // shared image counter makes them, then costs the borders instead of the whole buffer
  zeroBorders(P, N, H, W, padH, padW);
  const outPlane = <usize>(outH * outW) << 2;
  const blocks = (M + 3) >> 2;
  const wBlock = <usize>K << 4;
  for (let b = b0; b < b1; b++) {
    padImages(x + <usize>b * ldx, 0, N, H, W, padH, padW, 0, 1, P, 0);
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

/**
 * Zeroes the padding of N padded planes of (H + 2padH) x (W + 2padW) floats at P (the rows above
 * and below, the columns left and right) and the 16 floats of slack after the last plane, leaving
 * the interiors untouched.
 */
function zeroBorders(P: usize, N: i32, H: i32, W: i32, padH: i32, padW: i32): void {
  const Hp = H + 2 * padH;
  const Wp = W + 2 * padW;
  const rowBytes = <usize>Wp << 2;
  for (let n = 0; n < N; n++) {
    const plane = P + <usize>(n * Hp) * rowBytes;
    memory.fill(plane, 0, <usize>padH * rowBytes);
    memory.fill(plane + <usize>(padH + H) * rowBytes, 0, <usize>padH * rowBytes);
    if (padW > 0) {
      for (let y = padH; y < padH + H; y++) {
        const row = plane + <usize>y * rowBytes;
        memory.fill(row, 0, <usize>padW << 2);
        memory.fill(row + (<usize>(padW + W) << 2), 0, <usize>padW << 2);
      }
    }
  }
  memory.fill(P + <usize>(N * Hp) * rowBytes, 0, 16 << 2);
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

/** Bytes of the transposed-dy chunk buffer {@link convDirectWeightGradT} needs for M channels. */
export function weightGradChunkBytes(M: i32, outW: i32): i32 {
  const R = max(1, 512 / outW);
  return ((M + 7) >> 3) * R * outW * 32;
}

/**
 * The weight gradient of a stride-1 convolution as a GEMM with an implicit A: for taps p in [p0, p1)
 * and channels m < M, dW[m, p] += sum over images and output positions l of P_b[tap p at l] *
 * dy[b, m, l]. The 4 x 8 micro-kernel holds 4 taps x 8 channels; A (the taps) is splatted straight
 * from the padded images, B is dy transposed into 8-channel panels (dyT: weightGradChunkBytes, per
 * thread). Positions go in chunks of R = max(1, 512 / outW) output rows; each chunk's partial sums
 * start at zero in registers and are added to the tile accumulators acc (ceil((p1-p0)/4) * ceil(M/8)
 * tiles of 32 floats, per thread) in (b, chunk) order, and at the end the tiles are added to dW. The
 * order depends only on the shapes, never on [p0, p1): splitting taps among threads gives
 * bit-identical results.
 */
export function convDirectWeightGradT(
  P: usize, ldp: usize, offs: usize, Wp: i32, dy: usize, ldy: usize, M: i32, outH: i32, outW: i32, batch: i32,
  K: i32, p0: i32, p1: i32, acc: usize, dyT: usize, dW: usize,
): void {
  if (p1 <= p0) return;
  const panels = (M + 7) >> 3;
  const tapBlocks = (p1 - p0 + 3) >> 2;
  const z = f32x4.splat(0);
  const tiles = tapBlocks * panels;
  for (let t = 0; t < tiles * 8; t++) v128.store(acc + (<usize>t << 4), z);
  const R = max(1, 512 / outW);
  const outPlane = <usize>(outH * outW) << 2;
  const rowBytes = <usize>Wp << 2;
  for (let b = 0; b < batch; b++) {
    const pb = P + <usize>b * ldp;
    const db = dy + <usize>b * ldy;
    for (let y0 = 0; y0 < outH; y0 += R) {
      const rows = min(R, outH - y0);
      const n = rows * outW;
      // dyT[panel][l][j] = dy[b, 8*panel + j, y0*outW + l], zero for channels past M
      for (let pn = 0; pn < panels; pn++) {
        const dst = dyT + <usize>pn * (<usize>n << 5);
        for (let j = 0; j < 8; j++) {
          const m = pn * 8 + j;
          let d = dst + (<usize>j << 2);
          if (m < M) {
            let src = db + <usize>m * outPlane + ((<usize>(y0 * outW)) << 2);
            for (let l = 0; l < n; l++) {
              store<f32>(d, load<f32>(src));
              src += 4;
              d += 32;
            }
          } else {
            for (let l = 0; l < n; l++) {
              store<f32>(d, 0);
              d += 32;
            }
          }
        }
      }
      for (let tb = 0; tb < tapBlocks; tb++) {
        const q0 = p0 + tb * 4;
        const rowStart = pb + ((<usize>(y0 * Wp)) << 2);
        const o0 = rowStart + <usize>load<i32>(offs + (<usize>q0 << 2));
        const o1 = rowStart + <usize>load<i32>(offs + (<usize>min(q0 + 1, p1 - 1) << 2));
        const o2 = rowStart + <usize>load<i32>(offs + (<usize>min(q0 + 2, p1 - 1) << 2));
        const o3 = rowStart + <usize>load<i32>(offs + (<usize>min(q0 + 3, p1 - 1) << 2));
        for (let pn = 0; pn < panels; pn++) {
          let c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
          let bp = dyT + <usize>pn * (<usize>n << 5);
          let rowOff: usize = 0;
          for (let r = 0; r < rows; r++) {
            const a0 = o0 + rowOff, a1 = o1 + rowOff, a2 = o2 + rowOff, a3 = o3 + rowOff;
            const jEnd = <usize>outW << 2;
            let j: usize = 0;
            while (j < jEnd) {
              const b0 = v128.load(bp);
              const b1 = v128.load(bp, 16);
              let s: v128;
              s = v128.load32_splat(a0 + j); c00 = madd(s, b0, c00); c01 = madd(s, b1, c01);
              s = v128.load32_splat(a1 + j); c10 = madd(s, b0, c10); c11 = madd(s, b1, c11);
              s = v128.load32_splat(a2 + j); c20 = madd(s, b0, c20); c21 = madd(s, b1, c21);
              s = v128.load32_splat(a3 + j); c30 = madd(s, b0, c30); c31 = madd(s, b1, c31);
              j += 4;
              bp += 32;
            }
            rowOff += rowBytes;
          }
          const t = acc + (<usize>(tb * panels + pn) << 7);
          v128.store(t, f32x4.add(v128.load(t), c00));
          v128.store(t, f32x4.add(v128.load(t, 16), c01), 16);
          v128.store(t, f32x4.add(v128.load(t, 32), c10), 32);
          v128.store(t, f32x4.add(v128.load(t, 48), c11), 48);
          v128.store(t, f32x4.add(v128.load(t, 64), c20), 64);
          v128.store(t, f32x4.add(v128.load(t, 80), c21), 80);
          v128.store(t, f32x4.add(v128.load(t, 96), c30), 96);
          v128.store(t, f32x4.add(v128.load(t, 112), c31), 112);
        }
      }
    }
  }
  for (let tb = 0; tb < tapBlocks; tb++) {
    for (let k = 0; k < 4; k++) {
      const p = p0 + tb * 4 + k;
      if (p >= p1) break;
      for (let pn = 0; pn < panels; pn++) {
        const t = acc + (<usize>(tb * panels + pn) << 7) + (<usize>k << 5);
        for (let j = 0; j < 8; j++) {
          const m = pn * 8 + j;
          if (m >= M) break;
          const d = dW + ((<usize>(m * K + p)) << 2);
          store<f32>(d, load<f32>(d) + load<f32>(t + (<usize>j << 2)));
        }
      }
    }
  }
}

/** Zeroes `bytes` bytes from `at` (a deferred job's padded planes, whose borders must read zero). */
export function zeroBytes(at: usize, bytes: usize): void {
  memory.fill(at, 0, bytes);
}
