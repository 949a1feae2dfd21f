import { ShapeError, Tensor, checkRank, formatShape, type Shape } from "@unetkit/tensor";
import { convGeometry, type ConvOptions } from "./conv-geometry.js";
import { col2imAccumulateImage } from "./im2col-image.js";

/**
 * Folds column matrices back into NCHW images, summing overlapping windows, as PyTorch's
 * `torch.nn.functional.fold`: the adjoint of {@link im2col} (not its inverse), so
 * `<im2col(x), y> = <x, col2im(y)>`. This is how a convolution's input gradient is formed:
 * `dx[n] = col2im(W^T @ dy[n])`.
 *
 * @param cols - `[N, C*kh*kw, outH*outW]`, float32 or float64.
 * @param inputShape - the `[N, C, H, W]` shape of the images (the input of the matching im2col).
 * @param options - kernel size, stride, padding, dilation ({@link ConvOptions}).
 * @returns `[N, C, H, W]`, same dtype as `cols`.
 * @example
 * ```ts
 * const cols = im2col(x, { kernelSize: 2, stride: 2 });  // non-overlapping windows
 * col2im(cols, x.shape, { kernelSize: 2, stride: 2 });   // equals x again
 * ```
 */
export function col2im(cols: Tensor, inputShape: Shape, options: ConvOptions): Tensor {
  checkRank("col2im", "cols", cols, 3);
  const g = convGeometry("col2im", inputShape, options);
  const n = inputShape[0];
  const rows = g.channels * g.kernelH * g.kernelW;
  const L = g.outH * g.outW;
  if (cols.shape[0] !== n || cols.shape[1] !== rows || cols.shape[2] !== L) {
    throw new ShapeError(
      "col2im",
      `cols must be [N, C*kh*kw, outH*outW] = ${formatShape([n, rows, L])} for input ${formatShape(inputShape)} (kernel ${g.kernelH}x${g.kernelW}, output ${g.outH}x${g.outW}), got ${formatShape(cols.shape)}`,
    );
  }
  const out = new Tensor(cols.dtype, inputShape);
  const imageSize = g.channels * g.height * g.width;
  for (let b = 0; b < n; b++) {
    col2imAccumulateImage({
      geometry: g,
      image: out.data,
      imageOffset: b * imageSize,
      cols: cols.data,
      colsOffset: b * rows * L,
    });
  }
  return out;
}
