// im2col / col2im for one NCHW image on f32 data at byte addresses; the same loops as the TypeScript
// reference kernels of @unetkit/im2col (valid output range hoisted out of the inner loop).

// @ts-ignore: decorator
@inline function ceilDiv(a: i32, b: i32): i32 {
  // ceil(a / b) for b > 0
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

// @ts-ignore: decorator
@inline function floorDiv(a: i32, b: i32): i32 {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/** Copies n floats (byte addresses; no overlap). An inline SIMD loop: for rows of a few dozen floats a
 * bulk-memory copy costs more in call overhead than the copy itself (measured: 3x slower im2col). */
// @ts-ignore: decorator
@inline function copyF32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    v128.store(dst, v128.load(src));
    v128.store(dst, v128.load(src, 16), 16);
    dst += 32;
    src += 32;
  }
  for (; i < n; i++) {
    store<f32>(dst, load<f32>(src));
    dst += 4;
    src += 4;
  }
}

/** Writes n zero floats from byte address dst (inline, as {@link copyF32}). */
// @ts-ignore: decorator
@inline function zeroF32(dst: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(dst, z);
    dst += 16;
  }
  for (; i < n; i++) {
    store<f32>(dst, 0);
    dst += 4;
  }
}

/**
 * cols[(c*kh + i)*kw + j, oy*outW + ox] = image[c, oy*sh - ph + i*dh, ox*sw - pw + j*dw], zero in the
 * padding; overwrites all C*kh*kw*outH*outW entries of cols.
 */
export function im2col(image: usize, cols: usize, C: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  ph: i32, pw: i32, dh: i32, dw: i32, outH: i32, outW: i32): void {
  const L = outH * outW;
  let row = cols;
  for (let c = 0; c < C; c++) {
    const plane = image + (<usize>(c * H * W) << 2);
    for (let i = 0; i < kh; i++) {
      const rowShift = i * dh - ph;
      const oyLo = min(outH, max(0, ceilDiv(-rowShift, sh)));
      const oyHi = max(oyLo, min(outH, floorDiv(H - 1 - rowShift, sh) + 1));
      for (let j = 0; j < kw; j++) {
        const colShift = j * dw - pw;
        const oxLo = min(outW, max(0, ceilDiv(-colShift, sw)));
        const oxHi = max(oxLo, min(outW, floorDiv(W - 1 - colShift, sw) + 1));
        if (oyLo > 0) zeroF32(row, oyLo * outW);
        let dst = row + (<usize>(oyLo * outW) << 2);
        for (let oy = oyLo; oy < oyHi; oy++) {
          const iy = oy * sh + rowShift;
          const srcRow = plane + (<usize>(iy * W) << 2);
          if (oxLo > 0) zeroF32(dst, oxLo);
          if (sw == 1) {
            copyF32(dst + (<usize>oxLo << 2), srcRow + (<usize>(oxLo + colShift) << 2), oxHi - oxLo);
          } else {
            let s = srcRow + (<usize>(oxLo * sw + colShift) << 2);
            const step = <usize>sw << 2;
            for (let ox = oxLo; ox < oxHi; ox++) {
              store<f32>(dst + (<usize>ox << 2), load<f32>(s));
              s += step;
            }
          }
          if (oxHi < outW) zeroF32(dst + (<usize>oxHi << 2), outW - oxHi);
          dst += <usize>outW << 2;
        }
        if (oyHi < outH) zeroF32(row + (<usize>(oyHi * outW) << 2), (outH - oyHi) * outW);
        row += <usize>L << 2;
      }
    }
  }
}

/** The adjoint of {@link im2col}: image[c, iy, ix] += cols[...] for every entry not in the padding. */
export function col2imAccumulate(image: usize, cols: usize, C: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  ph: i32, pw: i32, dh: i32, dw: i32, outH: i32, outW: i32): void {
  const L = outH * outW;
  let row = cols;
  for (let c = 0; c < C; c++) {
    const plane = image + (<usize>(c * H * W) << 2);
    for (let i = 0; i < kh; i++) {
      const rowShift = i * dh - ph;
      const oyLo = min(outH, max(0, ceilDiv(-rowShift, sh)));
      const oyHi = max(oyLo, min(outH, floorDiv(H - 1 - rowShift, sh) + 1));
      for (let j = 0; j < kw; j++) {
        const colShift = j * dw - pw;
        const oxLo = min(outW, max(0, ceilDiv(-colShift, sw)));
        const oxHi = max(oxLo, min(outW, floorDiv(W - 1 - colShift, sw) + 1));
        let src = row + (<usize>(oyLo * outW) << 2);
        for (let oy = oyLo; oy < oyHi; oy++) {
          const iy = oy * sh + rowShift;
          const dstRow = plane + (<usize>(iy * W) << 2);
          if (sw == 1) {
            let d = dstRow + (<usize>(oxLo + colShift) << 2);
            let s = src + (<usize>oxLo << 2);
            let ox = oxLo;
            for (; ox + 4 <= oxHi; ox += 4) {
              v128.store(d, f32x4.add(v128.load(d), v128.load(s)));
              d += 16;
              s += 16;
            }
            for (; ox < oxHi; ox++) {
              store<f32>(d, load<f32>(d) + load<f32>(s));
              d += 4;
              s += 4;
            }
          } else {
            let d = dstRow + (<usize>(oxLo * sw + colShift) << 2);
            const step = <usize>sw << 2;
            for (let ox = oxLo; ox < oxHi; ox++) {
              store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ox << 2)));
              d += step;
            }
          }
          src += <usize>outW << 2;
        }
        row += <usize>L << 2;
      }
    }
  }
}
