import { ShapeError, Tensor, formatShape, narrow } from "@unetkit/tensor";

/**
 * The centre `[h, w]` window of an NCHW tensor (the paper's copy-and-crop); `dh = (H-h)/2` rounded
 * down, as `tools/unet_torch.py`'s `center_crop`. Returns the input itself when no crop is needed.
 */
export function centerCrop(x: Tensor, h: number, w: number, op = "centerCrop"): Tensor {
  const [, , H, W] = x.shape;
  if (h > H || w > W) {
    throw new ShapeError(op, `cannot crop ${formatShape(x.shape)} to ${h}x${w}: the skip is smaller than the upsampled map`);
  }
  if (h === H && w === W) return x;
  const dh = (H - h) >> 1;
  const dw = (W - w) >> 1;
  return narrow(x, [null, null, [dh, dh + h], [dw, dw + w]]);
}

/** The adjoint of {@link centerCrop}: places `dy` in the centre of a zero tensor of `shape`. */
export function centerCropBackward(dy: Tensor, shape: readonly number[]): Tensor {
  const [n, c, H, W] = shape;
  const [, , h, w] = dy.shape;
  if (h === H && w === W) return dy;
  const dh = (H - h) >> 1;
  const dw = (W - w) >> 1;
  const out = new Tensor(dy.dtype, shape);
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < h; y++) {
      const s = (p * h + y) * w;
      out.data.set(dy.data.subarray(s, s + w), (p * H + y + dh) * W + dw);
    }
  }
  return out;
}
