import type { Im2colArgs } from "@unetkit/tensor";

/**
 * The TypeScript reference col2im kernel for one image, the adjoint of {@link im2colTs}: adds every
 * entry of the column matrix back onto the image position it was read from,
 * `image[c, oy*strideH - padH + i*dilationH, ox*strideW - padW + j*dilationW] +=
 * cols[(c*kernelH + i)*kernelW + j, oy*outW + ox]`, skipping entries that fall in the padding.
 * The image is accumulated into, not overwritten (zero it first for a plain col2im).
 *
 * It trusts its arguments (use {@link col2imAccumulateImage}, which validates them and dispatches
 * to the active backend's kernel). The valid output range of each column-matrix row is hoisted
 * out of the inner loop. With horizontal stride 1 it works one image row at a time, summing the
 * `kernelW` taps of each pixel in a register and storing it once. Either way the contributions to
 * a pixel are added in `(i, j)` order, and float32 sums are rounded after each addition, so the
 * result equals a plain scatter-add in `(c, i, j, oy, ox)` order bit for bit. No allocation.
 *
 * @example
 * ```ts
 * const geometry = convGeometry("col2im", [1, 2, 5, 5], { kernelSize: 3, padding: 1 });
 * const image = new Float32Array(2 * 5 * 5);
 * col2imAccumulateTs({ geometry, image, imageOffset: 0, cols, colsOffset: 0 });
 * ```
 */
export function col2imAccumulateTs(args: Im2colArgs): void {
  const g = args.geometry;
  const C = g.channels;
  const H = g.height;
  const W = g.width;
  const kh = g.kernelH;
  const kw = g.kernelW;
  const sh = g.strideH;
  const sw = g.strideW;
  const outH = g.outH;
  const outW = g.outW;
  const L = outH * outW;
  const image = args.image;
  const cols = args.cols;
  if (sw === 1) {
    col2imRowGather(args);
    return;
  }
  const dstRowStep = sh * W;
  let row = args.colsOffset;
  for (let c = 0; c < C; c++) {
    const plane = args.imageOffset + c * H * W;
    for (let i = 0; i < kh; i++) {
      const rowShift = i * g.dilationH - g.padH;
      const oyLo = Math.min(outH, Math.max(0, Math.ceil(-rowShift / sh)));
      const oyHi = Math.max(oyLo, Math.min(outH, Math.floor((H - 1 - rowShift) / sh) + 1));
      for (let j = 0; j < kw; j++) {
        const colShift = j * g.dilationW - g.padW;
        const oxLo = Math.min(outW, Math.max(0, Math.ceil(-colShift / sw)));
        const oxHi = Math.max(oxLo, Math.min(outW, Math.floor((W - 1 - colShift) / sw) + 1));
        let srcRow = row + oyLo * outW;
        let dst = plane + (oyLo * sh + rowShift) * W + oxLo * sw + colShift;
        for (let oy = oyLo; oy < oyHi; oy++) {
          if (sw === 1) {
            const shift = dst - oxLo;
            for (let ox = oxLo; ox < oxHi; ox++) image[shift + ox] += cols[srcRow + ox];
          } else {
            let d = dst;
            for (let ox = oxLo; ox < oxHi; ox++) {
              image[d] += cols[srcRow + ox];
              d += sw;
            }
          }
          srcRow += outW;
          dst += dstRowStep;
        }
        row += L;
      }
    }
  }
}

/**
 * col2im for horizontal stride 1, one image row at a time: for each kernel row `i` and output row
 * `oy`, the `kernelW` taps that land on image row `oy*strideH - padH + i*dilationH` are summed per
 * pixel in a register and stored once (instead of `kernelW` read-modify-writes of the image).
 * Contributions are added in the same order as the plain scatter (kernel row, then kernel column)
 * and, for float32, rounded to float32 after each addition, so the result is bit-identical to it.
 */
function col2imRowGather(args: Im2colArgs): void {
  const g = args.geometry;
  const C = g.channels;
  const H = g.height;
  const W = g.width;
  const kh = g.kernelH;
  const kw = g.kernelW;
  const sh = g.strideH;
  const dw = g.dilationW;
  const pw = g.padW;
  const outH = g.outH;
  const outW = g.outW;
  const L = outH * outW;
  const image = args.image;
  const cols = args.cols;
  const f32 = image instanceof Float32Array;
  // Tap j reads image column x from output column x - (j*dw - pw), at cols offset base + j*step + x.
  const step = L - dw;
  // Pixels x in [xa, xb) are covered by every tap; the others only by some (padding edges).
  const xa = Math.max(0, (kw - 1) * dw - pw);
  const xb = Math.max(xa, Math.min(W, outW - pw));
  for (let c = 0; c < C; c++) {
    const plane = args.imageOffset + c * H * W;
    for (let i = 0; i < kh; i++) {
      const rowShift = i * g.dilationH - g.padH;
      const oyLo = Math.min(outH, Math.max(0, Math.ceil(-rowShift / sh)));
      const oyHi = Math.max(oyLo, Math.min(outH, Math.floor((H - 1 - rowShift) / sh) + 1));
      const rowsBase = args.colsOffset + (c * kh + i) * kw * L + pw;
      for (let oy = oyLo; oy < oyHi; oy++) {
        const imgRow = plane + (oy * sh + rowShift) * W;
        const base = rowsBase + oy * outW;
        // Edges, tap by tap (in tap order, as the scatter).
        if (xa > 0 || xb < W) {
          for (let j = 0; j < kw; j++) {
            const shift = j * dw - pw;
            const lo = Math.max(0, shift);
            const hi = Math.min(W, outW + shift);
            const o = base + j * step;
            const leftEnd = Math.min(hi, xa);
            for (let x = lo; x < leftEnd; x++) image[imgRow + x] += cols[o + x];
            for (let x = Math.max(lo, xb); x < hi; x++) image[imgRow + x] += cols[o + x];
          }
        }
        // Interior: all taps, summed per pixel.
        if (kw === 3) {
          const o0 = base;
          const o1 = base + step;
          const o2 = base + 2 * step;
          if (f32) {
            for (let x = xa; x < xb; x++) {
              const p = imgRow + x;
              image[p] = Math.fround(Math.fround(Math.fround(image[p] + cols[o0 + x]) + cols[o1 + x]) + cols[o2 + x]);
            }
          } else {
            for (let x = xa; x < xb; x++) {
              const p = imgRow + x;
              image[p] = image[p] + cols[o0 + x] + cols[o1 + x] + cols[o2 + x];
            }
          }
        } else if (f32) {
          for (let x = xa; x < xb; x++) {
            let s = image[imgRow + x];
            for (let j = 0, o = base + x; j < kw; j++, o += step) s = Math.fround(s + cols[o]);
            image[imgRow + x] = s;
          }
        } else {
          for (let x = xa; x < xb; x++) {
            let s = image[imgRow + x];
            for (let j = 0, o = base + x; j < kw; j++, o += step) s += cols[o];
            image[imgRow + x] = s;
          }
        }
      }
    }
  }
}
