import type { Im2colArgs } from "@unetkit/tensor";

/**
 * The TypeScript reference im2col kernel for one image: writes the column matrix
 * `cols[(c*kernelH + i)*kernelW + j, oy*outW + ox] = image[c, oy*strideH - padH + i*dilationH,
 * ox*strideW - padW + j*dilationW]` (zero where that position falls in the padding), overwriting
 * every one of the `channels*kernelH*kernelW x outH*outW` entries from `colsOffset`.
 *
 * It trusts its arguments (use {@link im2colImage}, which validates them and dispatches to the
 * active backend's kernel). Each column-matrix row is written with the valid output range hoisted
 * out of the inner loop: padding rows and edges are zero-filled, the rest is a straight copy
 * (contiguous when the stride is 1, strided otherwise). With stride 1 and output width equal to
 * the input width (3x3 with padding 1, the U-Net case) each column-matrix row is one block copy
 * (`TypedArray.set`, a memcpy) plus zeroed edges. Allocates no buffers (only one typed-array view
 * per column-matrix row in the block-copy path).
 *
 * @example
 * ```ts
 * const geometry = convGeometry("im2col", [1, 2, 5, 5], { kernelSize: 3, padding: 1 });
 * const cols = new Float32Array(2 * 9 * 25);
 * im2colTs({ geometry, image: x.data, imageOffset: 0, cols, colsOffset: 0 });
 * ```
 */
export function im2colTs(args: Im2colArgs): void {
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
  const srcRowStep = sh * W;
  // Stride 1 with output width = input width ("same" padding, or a 1-wide kernel without padding).
  const blockCopy = sh === 1 && sw === 1 && outW === W;
  let row = args.colsOffset;
  for (let c = 0; c < C; c++) {
    const plane = args.imageOffset + c * H * W;
    for (let i = 0; i < kh; i++) {
      // Input row of output row oy: iy = oy*sh + rowShift; valid for oy in [oyLo, oyHi).
      const rowShift = i * g.dilationH - g.padH;
      const oyLo = Math.min(outH, Math.max(0, Math.ceil(-rowShift / sh)));
      const oyHi = Math.max(oyLo, Math.min(outH, Math.floor((H - 1 - rowShift) / sh) + 1));
      for (let j = 0; j < kw; j++) {
        // Input column of output column ox: ix = ox*sw + colShift; valid for ox in [oxLo, oxHi).
        const colShift = j * g.dilationW - g.padW;
        const oxLo = Math.min(outW, Math.max(0, Math.ceil(-colShift / sw)));
        const oxHi = Math.max(oxLo, Math.min(outW, Math.floor((W - 1 - colShift) / sw) + 1));
        if (oyLo > 0) cols.fill(0, row, row + oyLo * outW);
        if (blockCopy && oyHi > oyLo && oxHi > oxLo) {
          // Rows of the image and of the column matrix have the same length, so the valid block
          // is one contiguous run in both: copy it at once, then zero the padding columns.
          const first = plane + (oyLo + rowShift) * W + oxLo + colShift;
          const count = (oyHi - oyLo - 1) * W + (oxHi - oxLo);
          cols.set(image.subarray(first, first + count), row + oyLo * outW + oxLo);
          if (oxLo > 0 || oxHi < outW) {
            for (let oy = oyLo, d = row + oyLo * outW; oy < oyHi; oy++, d += outW) {
              for (let ox = 0; ox < oxLo; ox++) cols[d + ox] = 0;
              for (let ox = oxHi; ox < outW; ox++) cols[d + ox] = 0;
            }
          }
          if (oyHi < outH) cols.fill(0, row + oyHi * outW, row + L);
          row += L;
          continue;
        }
        let dst = row + oyLo * outW;
        let src = plane + (oyLo * sh + rowShift) * W + oxLo * sw + colShift;
        for (let oy = oyLo; oy < oyHi; oy++) {
          for (let ox = 0; ox < oxLo; ox++) cols[dst + ox] = 0;
          if (sw === 1) {
            const shift = src - oxLo;
            for (let ox = oxLo; ox < oxHi; ox++) cols[dst + ox] = image[shift + ox];
          } else {
            let s = src;
            for (let ox = oxLo; ox < oxHi; ox++) {
              cols[dst + ox] = image[s];
              s += sw;
            }
          }
          for (let ox = oxHi; ox < outW; ox++) cols[dst + ox] = 0;
          dst += outW;
          src += srcRowStep;
        }
        if (oyHi < outH) cols.fill(0, row + oyHi * outW, row + L);
        row += L;
      }
    }
  }
}
