import { Tensor, checkRank } from "@unetkit/tensor";
import { convGeometry, type ConvOptions } from "./conv-geometry.js";
import { im2colImage } from "./im2col-image.js";

/**
 * Unfolds a batch of NCHW images into column matrices, as PyTorch's `torch.nn.functional.unfold`:
 * input `[N, C, H, W]`, output `[N, C*kh*kw, L]` with `L = outH*outW`, where entry
 * `[n, (c*kh + i)*kw + j, oy*outW + ox]` is
 * `x[n, c, oy*strideH - padH + i*dilationH, ox*strideW - padW + j*dilationW]` (0 in the padding).
 *
 * A convolution is then one GEMM per image: `y[n] = W[Cout, C*kh*kw] @ cols[n]`, already NCHW.
 * Layers that want no allocation per call use {@link im2colImage} on a reused buffer instead.
 *
 * @param x - `[N, C, H, W]`, float32 or float64.
 * @param options - kernel size, stride, padding, dilation ({@link ConvOptions}).
 * @returns `[N, C*kh*kw, outH*outW]`, same dtype.
 * @example
 * ```ts
 * const x = randn([2, 3, 8, 8], new Rng(0));
 * im2col(x, { kernelSize: 3, padding: 1 }).shape; // [2, 27, 64]
 * ```
 */
export function im2col(x: Tensor, options: ConvOptions): Tensor {
  checkRank("im2col", "input", x, 4);
  const g = convGeometry("im2col", x.shape, options);
  const rows = g.channels * g.kernelH * g.kernelW;
  const L = g.outH * g.outW;
  const n = x.shape[0];
  const out = new Tensor(x.dtype, [n, rows, L]);
  const imageSize = g.channels * g.height * g.width;
  for (let b = 0; b < n; b++) {
    im2colImage({
      geometry: g,
      image: x.data,
      imageOffset: b * imageSize,
      cols: out.data,
      colsOffset: b * rows * L,
    });
  }
  return out;
}
