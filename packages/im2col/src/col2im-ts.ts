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
 * out of the inner loop; stride 1 runs a contiguous loop. No allocation.
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
