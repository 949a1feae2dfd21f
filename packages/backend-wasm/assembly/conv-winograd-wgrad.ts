// Weight gradient of a 3x3, stride-1, dilation-1 convolution by Winograd F(2x2, 3x3).
//
// The forward convolution, per 2x2 output tile, is Y = A^T [(G g G^T) ⊙ (B^T d B)] A with d the
// 4x4 input patch at (2ty - padH, 2tx - padW) and
//   B^T = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]], G = [[1,0,0],[1/2,1/2,1/2],[1/2,-1/2,1/2],[0,0,1]],
//   A^T = [[1,1,1,0],[0,1,-1,-1]].
// Its adjoint in the weights g is dW[m, n] = G^T dU[m, n] G with
//   dU[m, n] = sum over images and tiles of Z_m ⊙ V_n,  Z = A dY A^T (dY: the tile's 2x2 of dy, zero
//   past the output), V = B^T d B,
// i.e. 16 GEMMs dU[xi][m][n] = sum_t Z[xi][m][t] V[xi][n][t] (xi = one of the 16 transform
// positions) with a long reduction over the tiles t: 2.25x fewer multiplies than the direct sum.
//
// Layout. The images are copied into zero-bordered planes of Hq = 2TH + 2 rows by Wq = 2TW4 + 2
// floats (TH = ceil(outH/2) tile rows, TW4 = ceil(outW/2) rounded up to 4 tiles), dy into planes of
// 2TH x 2TW4 (zeros past the output): then every tile, and the up to three padding tiles that make
// a row a multiple of 4, reads only finite values, and the padding tiles and the half tiles of an
// odd outH/outW have dy = 0, so they add exact zeros. Four horizontally adjacent tiles share one
// f32x4 (one lane each): a patch row is loaded as 8 + 8 consecutive floats at columns 2tx and
// 2tx + 2, and split into its even and odd columns with shuffles. Index 3 of both transforms is
// computed negated (Z' = S Z S, V' = S V S with S = diag(1,1,1,-1)), which saves the negations
// and leaves every product Z' ⊙ V' = Z ⊙ V unchanged.
//
// Work. Groups of 4 tiles (in the order image, tile row, tile column) are taken Gc at a time; each
// chunk's transforms go to panels Z[xi][m / RM][group][m % RM] and V[xi][n / RN][group][n % RN], then
// a register tile of RM x RN f32x4 accumulators (dot products over the tile lanes) adds them to
// the lane accumulators acc[xi][m][n]. A thread owns the transform rows i in [i0, i1) (xi = 4i + j),
// so it computes only its part of each transform and owns its accumulators. Every lane of
// acc[xi][m][n] sums its tiles in ascending order, whatever Gc and whatever the split; the final
// winogradWeightGradFinish reduces the 4 lanes in a fixed order and applies G^T . G. Results are
// therefore bit-identical for any number of threads.

// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Output channels (rows of Z) per register tile. */
// @ts-ignore: decorator
@inline const RM = 2;
/**
 * Input channels (rows of V) per register tile. 2 x 4 (8 accumulators) was the fastest measured:
 * 2 x 5, 2 x 6 and a twice-unrolled 2 x 4 ran 10-30% slower (V8 spills registers), 3 x 3 about as
 * fast per multiply-add but it pads 16 channels to 18.
 */
// @ts-ignore: decorator
@inline const RN = 4;

/** M rounded up to the register tile's output channels (rows of the accumulators). */
export function winogradWgradRowsM(M: i32): i32 {
  return (M + RM - 1) / RM * RM;
}

/** N rounded up to the register tile's input channels (columns of the accumulators). */
export function winogradWgradColsN(N: i32): i32 {
  return (N + RN - 1) / RN * RN;
}

/** Bytes of the lane accumulators acc[16][Mp][Np] (f32x4 each) shared by the threads of one call. */
export function winogradWgradAccBytes(M: i32, N: i32): i32 {
  return 16 * winogradWgradRowsM(M) * winogradWgradColsN(N) * 16;
}

/**
 * Bytes between two transform positions' panels of `rows` channels by Gc groups: an odd number of
 * 64-byte lines, so that the 16 stores of one tile's transform (one per position) never fall in
 * the same L1 set (with a power-of-two stride they all did, and the transforms ran 2x slower).
 */
function panelStride(rows: i32, Gc: i32): usize {
  const lines = (rows * Gc * 16 + 63) >> 6;
  return <usize>(lines | 1) << 6;
}

/**
 * Bytes of one thread's scratch for {@link winogradWeightGrad}: the group offsets and the Z and V
 * panels of `rows` transform rows (4 positions each) for chunks of Gc groups of 4 tiles.
 */
export function winogradWgradScratchBytes(M: i32, N: i32, rows: i32, Gc: i32): i32 {
  return 8 * Gc + 16 + rows * 4 * <i32>(panelStride(winogradWgradRowsM(M), Gc) + panelStride(winogradWgradColsN(N), Gc));
}

/**
 * Copies `planes` planes of H x W floats (contiguous, from src) into planes of Hq x Wq floats at dst
 * (contiguous), each at row `top` and column `left`, and zeroes the rest of every destination plane.
 * Needs top + H <= Hq and left + W <= Wq.
 */
export function winogradPadPlanes(src: usize, planes: i32, H: i32, W: i32, top: i32, left: i32, Hq: i32, Wq: i32, dst: usize): void {
  // rows are short: inline SIMD copies and scalar zeroing beat a memory.copy / memory.fill call per row
  const rowBytes = <usize>Wq << 2;
  const wBytes = <usize>W << 2;
  const w4 = wBytes & ~(<usize>15);
  const right = Wq - left - W;
  for (let p = 0; p < planes; p++) {
    let s = src + <usize>p * wBytes * <usize>H;
    const d = dst + <usize>p * <usize>Hq * rowBytes;
    memory.fill(d, 0, <usize>top * rowBytes);
    let row = d + <usize>top * rowBytes;
    for (let y = 0; y < H; y++) {
      for (let j = 0; j < left; j++) store<f32>(row + (<usize>j << 2), 0);
      const r = row + (<usize>left << 2);
      let j: usize = 0;
      for (; j < w4; j += 16) v128.store(r + j, v128.load(s + j));
      for (; j < wBytes; j += 4) store<f32>(r + j, load<f32>(s + j));
      const e = r + wBytes;
      for (let k = 0; k < right; k++) store<f32>(e + (<usize>k << 2), 0);
      s += wBytes;
      row += rowBytes;
    }
    memory.fill(row, 0, <usize>(Hq - top - H) * rowBytes);
  }
}

// @ts-ignore: decorator
@inline function even(a: v128, b: v128): v128 {
  return f32x4.shuffle(a, b, 0, 2, 4, 6);
}

// @ts-ignore: decorator
@inline function odd(a: v128, b: v128): v128 {
  return f32x4.shuffle(a, b, 1, 3, 5, 7);
}

/**
 * One row of a Z transform for 4 tiles, from the row's column combinations e (column 0 of the dy
 * tile, per A) and f (column 1): stores e, e + f, e - f, f at o, o + zXi, o + 2zXi, o + 3zXi (the
 * fourth negated, as the layout comment says).
 */
// @ts-ignore: decorator
@inline function zRowStore(e: v128, f: v128, o: usize, zXi: usize): void {
  v128.store(o, e);
  v128.store(o + zXi, f32x4.add(e, f));
  v128.store(o + 2 * zXi, f32x4.sub(e, f));
  v128.store(o + 3 * zXi, f);
}

/**
 * The transform rows i in [i0, i1) of dU[xi][m][n] (xi = 4i + j) over all tiles, into the lane
 * accumulators acc (winogradWgradAccBytes, shared by the threads, each writing its own rows):
 * acc[xi][m][n] (as four lane partial sums) = sum over tiles of Z'[xi][m] * V'[xi][n].
 * xq: batch x N planes of (2TH + 2) x (2TW4 + 2) floats (winogradPadPlanes with top = padH, left =
 * padW); dq: batch x M planes of 2TH x 2TW4 floats of dy (top = left = 0). TW4 is a multiple of 4.
 * Gc: groups of 4 tiles per chunk; scratch: winogradWgradScratchBytes(M, N, i1 - i0, Gc) bytes,
 * 16-byte aligned.
 */
export function winogradWeightGrad(
  xq: usize, dq: usize, N: i32, M: i32, batch: i32, TH: i32, TW4: i32, i0: i32, i1: i32, Gc: i32,
  acc: usize, scratch: usize,
): void {
  if (i1 <= i0) return;
  const Hq = 2 * TH + 2;
  const Wq = 2 * TW4 + 2;
  const Hd = 2 * TH;
  const Wd = 2 * TW4;
  const Mp = winogradWgradRowsM(M);
  const Np = winogradWgradColsN(N);
  const MB = Mp / RM;
  const NB = Np / RN;
  const nxi = (i1 - i0) * 4;
  const perRow = TW4 >> 2;
  const perImage = TH * perRow;
  const groups = batch * perImage;
  const xoff = scratch;
  const doff = scratch + (<usize>Gc << 2);
  const zbuf = (doff + (<usize>Gc << 2) + 15) & ~(<usize>15);
  const zXi = panelStride(Mp, Gc); // bytes between two positions' Z panels
  const vbuf = zbuf + <usize>nxi * zXi;
  const vXi = panelStride(Np, Gc);
  const z = f32x4.splat(0);
  // zero the accumulators this thread owns, and the panels' padding channels (never written after)
  const accXi = <usize>(Mp * Np) << 4;
  memory.fill(acc + <usize>(i0 * 4) * accXi, 0, <usize>nxi * accXi);
  for (let xl = 0; xl < nxi; xl++) {
    for (let m = M; m < Mp; m++) {
      const p = zbuf + <usize>xl * zXi + ((<usize>((m / RM) * Gc * RM + m % RM)) << 4);
      for (let k = 0; k < Gc; k++) v128.store(p + (<usize>(k * RM) << 4), z);
    }
    for (let n = N; n < Np; n++) {
      const p = vbuf + <usize>xl * vXi + ((<usize>((n / RN) * Gc * RN + n % RN)) << 4);
      for (let k = 0; k < Gc; k++) v128.store(p + (<usize>(k * RN) << 4), z);
    }
  }
  const xPlane = <usize>(Hq * Wq) << 2;
  const dPlane = <usize>(Hd * Wd) << 2;
  const xRow = <usize>Wq << 2;
  const dRow = <usize>Wd << 2;
  const has0 = i0 == 0;
  const has1 = i0 <= 1 && i1 > 1;
  const has2 = i0 <= 2 && i1 > 2;
  const has3 = i1 == 4;
  // byte offset, in the V and Z panels, of the next own row's four positions (xi = 4i .. 4i + 3)
  const vRow = vXi << 2;
  const zRow = zXi << 2;
  let b = 0, ty = 0, gx = 0;
  for (let g0 = 0; g0 < groups; g0 += Gc) {
    const gc = min(Gc, groups - g0);
    // byte offsets of the chunk's groups in image 0's first plane (+ b planes)
    for (let k = 0; k < gc; k++) {
      store<i32>(xoff + (<usize>k << 2), (((b * N * Hq + 2 * ty) * Wq + 8 * gx) << 2));
      store<i32>(doff + (<usize>k << 2), (((b * M * Hd + 2 * ty) * Wd + 8 * gx) << 2));
      if (++gx == perRow) {
        gx = 0;
        if (++ty == TH) {
          ty = 0;
          b++;
        }
      }
    }
    // V' = B^T d B (index 3 negated) for every input channel, own rows only
    for (let n = 0; n < N; n++) {
      const plane = xq + <usize>n * xPlane;
      let vp = vbuf + ((<usize>((n / RN) * Gc * RN + n % RN)) << 4);
      for (let k = 0; k < gc; k++) {
        const p = plane + <usize>load<i32>(xoff + (<usize>k << 2));
        // u_r = d_r B for patch row r (column index 3 negated): u0 = d0 - d2, u1 = d1 + d2,
        // u2 = d2 - d1, u3 = d3 - d1, with d0..d3 the even/odd columns at 2tx and 2tx + 2
        let a = v128.load(p + xRow), c = v128.load(p + xRow, 16);
        let e = v128.load(p + xRow, 8), f = v128.load(p + xRow, 24);
        let d0 = even(a, c), d1 = odd(a, c), d2 = even(e, f), d3 = odd(e, f);
        const u10 = f32x4.sub(d0, d2), u11 = f32x4.add(d1, d2), u12 = f32x4.sub(d2, d1), u13 = f32x4.sub(d3, d1);
        a = v128.load(p + 2 * xRow); c = v128.load(p + 2 * xRow, 16);
        e = v128.load(p + 2 * xRow, 8); f = v128.load(p + 2 * xRow, 24);
        d0 = even(a, c); d1 = odd(a, c); d2 = even(e, f); d3 = odd(e, f);
        const u20 = f32x4.sub(d0, d2), u21 = f32x4.add(d1, d2), u22 = f32x4.sub(d2, d1), u23 = f32x4.sub(d3, d1);
        let o = vp;
        if (has0) {
          a = v128.load(p); c = v128.load(p, 16);
          e = v128.load(p, 8); f = v128.load(p, 24);
          d0 = even(a, c); d1 = odd(a, c); d2 = even(e, f); d3 = odd(e, f);
          v128.store(o, f32x4.sub(f32x4.sub(d0, d2), u20));
          v128.store(o + vXi, f32x4.sub(f32x4.add(d1, d2), u21));
          v128.store(o + 2 * vXi, f32x4.sub(f32x4.sub(d2, d1), u22));
          v128.store(o + 3 * vXi, f32x4.sub(f32x4.sub(d3, d1), u23));
          o += vRow;
        }
        if (has1) {
          v128.store(o, f32x4.add(u10, u20));
          v128.store(o + vXi, f32x4.add(u11, u21));
          v128.store(o + 2 * vXi, f32x4.add(u12, u22));
          v128.store(o + 3 * vXi, f32x4.add(u13, u23));
          o += vRow;
        }
        if (has2) {
          v128.store(o, f32x4.sub(u20, u10));
          v128.store(o + vXi, f32x4.sub(u21, u11));
          v128.store(o + 2 * vXi, f32x4.sub(u22, u12));
          v128.store(o + 3 * vXi, f32x4.sub(u23, u13));
          o += vRow;
        }
        if (has3) {
          a = v128.load(p + 3 * xRow); c = v128.load(p + 3 * xRow, 16);
          e = v128.load(p + 3 * xRow, 8); f = v128.load(p + 3 * xRow, 24);
          d0 = even(a, c); d1 = odd(a, c); d2 = even(e, f); d3 = odd(e, f);
          v128.store(o, f32x4.sub(f32x4.sub(d0, d2), u10));
          v128.store(o + vXi, f32x4.sub(f32x4.add(d1, d2), u11));
          v128.store(o + 2 * vXi, f32x4.sub(f32x4.sub(d2, d1), u12));
          v128.store(o + 3 * vXi, f32x4.sub(f32x4.sub(d3, d1), u13));
        }
        vp += RN << 4;
      }
    }
    // Z' = A dY A^T (index 3 negated) for every output channel, own rows only: with y0, y1 the
    // tile's two dy rows, rows R0 = y0, R1 = y0 + y1, R2 = y0 - y1, R3 = y1, and per row R (even
    // column e, odd column o): e, e + o, e - o, o
    for (let m = 0; m < M; m++) {
      const plane = dq + <usize>m * dPlane;
      let zp = zbuf + ((<usize>((m / RM) * Gc * RM + m % RM)) << 4);
      for (let k = 0; k < gc; k++) {
        const p = plane + <usize>load<i32>(doff + (<usize>k << 2));
        let a = v128.load(p), c = v128.load(p, 16);
        const e0 = even(a, c), o0 = odd(a, c);
        a = v128.load(p + dRow); c = v128.load(p + dRow, 16);
        const e1 = even(a, c), o1 = odd(a, c);
        let o = zp;
        if (has0) {
          zRowStore(e0, o0, o, zXi);
          o += zRow;
        }
        if (has1) {
          zRowStore(f32x4.add(e0, e1), f32x4.add(o0, o1), o, zXi);
          o += zRow;
        }
        if (has2) {
          zRowStore(f32x4.sub(e0, e1), f32x4.sub(o0, o1), o, zXi);
          o += zRow;
        }
        if (has3) zRowStore(e1, o1, o, zXi);
        zp += RM << 4;
      }
    }
    // the 16 (or fewer) GEMMs of the chunk: acc[xi][m][n] += sum over its groups of Z'[xi][m] * V'[xi][n]
    const zStep = <usize>(Gc * RM) << 4;
    const vStep = <usize>(Gc * RN) << 4;
    const accRow = <usize>Np << 4;
    for (let xl = 0; xl < nxi; xl++) {
      const zx = zbuf + <usize>xl * zXi;
      const vx = vbuf + <usize>xl * vXi;
      const ax = acc + <usize>(i0 * 4 + xl) * accXi;
      for (let mb = 0; mb < MB; mb++) {
        const zs = zx + <usize>mb * zStep;
        const zEnd = zs + (<usize>(gc * RM) << 4);
        for (let nb = 0; nb < NB; nb++) {
          const t = ax + <usize>(mb * RM) * accRow + (<usize>(nb * RN) << 4);
          let c00 = v128.load(t), c01 = v128.load(t, 16), c02 = v128.load(t, 32), c03 = v128.load(t, 48);
          let c10 = v128.load(t + accRow), c11 = v128.load(t + accRow, 16), c12 = v128.load(t + accRow, 32), c13 = v128.load(t + accRow, 48);
          let zp = zs;
          let vp = vx + <usize>nb * vStep;
          while (zp < zEnd) {
            const z0 = v128.load(zp), z1 = v128.load(zp, 16);
            let v = v128.load(vp);
            c00 = madd(z0, v, c00); c10 = madd(z1, v, c10);
            v = v128.load(vp, 16);
            c01 = madd(z0, v, c01); c11 = madd(z1, v, c11);
            v = v128.load(vp, 32);
            c02 = madd(z0, v, c02); c12 = madd(z1, v, c12);
            v = v128.load(vp, 48);
            c03 = madd(z0, v, c03); c13 = madd(z1, v, c13);
            zp += RM << 4;
            vp += RN << 4;
          }
          v128.store(t, c00); v128.store(t, c01, 16); v128.store(t, c02, 32); v128.store(t, c03, 48);
          v128.store(t + accRow, c10); v128.store(t + accRow, c11, 16); v128.store(t + accRow, c12, 32); v128.store(t + accRow, c13, 48);
        }
      }
    }
  }
}

/** The lane sum (l0 + l1) + (l2 + l3) of an accumulator. */
// @ts-ignore: decorator
@inline function laneSum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * dW[m, n, ky, kx] += (G^T dU[m, n] G)[ky, kx] for m < M, n < N, where dU[m, n][i][j] is the lane
 * sum (l0 + l1) + (l2 + l3) of acc[4i + j][m][n] (winogradWeightGrad's accumulators, all 16
 * positions filled); dW is [M, N, 3, 3] floats.
 */
export function winogradWeightGradFinish(acc: usize, M: i32, N: i32, dW: usize): void {
  // locals only: the memory is shared by every thread's instance, so a static scratch (memory.data)
  // would be one buffer for all of them
  const Mp = winogradWgradRowsM(M);
  const Np = winogradWgradColsN(N);
  const accXi = <usize>(Mp * Np) << 4;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const a = acc + ((<usize>(m * Np + n)) << 4);
      // s = dU G (4 x 3), then G^T s (3 x 3)
      const d = dW + ((<usize>((m * N + n) * 9)) << 2);
      let s00: f32 = 0, s01: f32 = 0, s02: f32 = 0, s10: f32 = 0, s11: f32 = 0, s12: f32 = 0;
      let s20: f32 = 0, s21: f32 = 0, s22: f32 = 0, s30: f32 = 0, s31: f32 = 0, s32: f32 = 0;
      for (let i = 0; i < 4; i++) {
        const r = a + <usize>(4 * i) * accXi;
        const u0 = laneSum(v128.load(r)), u1 = laneSum(v128.load(r + accXi));
        const u2 = laneSum(v128.load(r + 2 * accXi)), u3 = laneSum(v128.load(r + 3 * accXi));
        const h = <f32>0.5 * (u1 + u2);
        const t0 = u0 + h, t1 = <f32>0.5 * (u1 - u2), t2 = h + u3;
        if (i == 0) { s00 = t0; s01 = t1; s02 = t2; }
        else if (i == 1) { s10 = t0; s11 = t1; s12 = t2; }
        else if (i == 2) { s20 = t0; s21 = t1; s22 = t2; }
        else { s30 = t0; s31 = t1; s32 = t2; }
      }
      const h0 = <f32>0.5 * (s10 + s20), h1 = <f32>0.5 * (s11 + s21), h2 = <f32>0.5 * (s12 + s22);
      store<f32>(d, load<f32>(d) + (s00 + h0));
      store<f32>(d, load<f32>(d, 4) + (s01 + h1), 4);
      store<f32>(d, load<f32>(d, 8) + (s02 + h2), 8);
      store<f32>(d, load<f32>(d, 12) + <f32>0.5 * (s10 - s20), 12);
      store<f32>(d, load<f32>(d, 16) + <f32>0.5 * (s11 - s21), 16);
      store<f32>(d, load<f32>(d, 20) + <f32>0.5 * (s12 - s22), 20);
      store<f32>(d, load<f32>(d, 24) + (h0 + s30), 24);
      store<f32>(d, load<f32>(d, 28) + (h1 + s31), 28);
      store<f32>(d, load<f32>(d, 32) + (h2 + s32), 32);
    }
  }
}
