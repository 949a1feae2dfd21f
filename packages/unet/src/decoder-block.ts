import { Module, type Layer } from "@unetkit/layers";
import { BilinearUpsample, NearestUpsample, PlaneUpsample, TransposedConv2D, interpolateOutputSize } from "@unetkit/upsampling";
import { addInPlace, ArgumentError, ShapeError, concat, empty, formatShape, globalRng, slice, split, type Tensor } from "@unetkit/tensor";
import { AttentionGate } from "./attention-gate.js";
import { DoubleConv, type DoubleConvOptions } from "./double-conv.js";
import { centerCrop, centerCropBackward } from "./center-crop.js";

/** How a decoder block doubles the spatial size. */
export type UpsampleMode = "nearest" | "bilinear" | "transposed";

/** Options of {@link DecoderBlock}. */
export interface DecoderBlockOptions extends DoubleConvOptions {
  /** `nearest` (the seed's default), `bilinear` (alignCorners false) or `transposed` (2x2, stride 2). */
  upsample?: UpsampleMode;
  /** Gate the skip with an {@link AttentionGate} (Attention U-Net). Default false. */
  attention?: boolean;
}

/**
 * One expanding step: upsample x2 (the transposed convolution also maps `in` to `out` channels, as
 * the paper's up-convolution halves them), concatenate with the skip along channels (upsampled first),
 * DoubleConv. The skip may have any channel count (`skipChannels`; 0 for a network without skips).
 * With `padding: 'valid'` the skip is centre-cropped to the upsampled size (the paper's
 * copy-and-crop) and the crop's backward pads the gradient with zeros.
 *
 * Keys: `up.weight`, `up.bias` (transposed mode only), `att.*` (attention), `double_conv.*`.
 * Shapes: x `[N, in, h, w]`, skip `[N, skipChannels, >=2h, >=2w]` -> `[N, out, 2h, 2w]` (same) or
 * `[N, out, 2h-4, 2w-4]` (valid). `backward(dy)` returns `{ dx, dskip }` (`dskip` null without skip).
 *
 * @example
 * ```ts
 * const dec = new DecoderBlock(64, 32, 32, { upsample: "bilinear" });
 * const y = dec.forward(x /*[2,64,16,16]*\/, skip /*[2,32,32,32]*\/); // [2,32,32,32]
 * const { dx, dskip } = dec.backward(dy);
 * ```
 */
export class DecoderBlock extends Module {
  readonly inChannels: number;
  readonly skipChannels: number;
  readonly outChannels: number;
  readonly upsample: UpsampleMode;
  /** Channels after upsampling: `outChannels` for the transposed convolution, else `inChannels`. */
  readonly upChannels: number;
  private readonly up: Layer;
  private readonly att: AttentionGate | null;
  readonly doubleConv: DoubleConv;
  private saved: { skipShape: readonly number[] | null } | null = null;

  constructor(inChannels: number, skipChannels: number, outChannels: number, options: DecoderBlockOptions = {}) {
    super();
    const upsample = options.upsample ?? "nearest";
    const rng = options.rng ?? globalRng();
    const dtype = options.dtype ?? "float32";
    if (!Number.isInteger(skipChannels) || skipChannels < 0) {
      throw new ArgumentError("DecoderBlock", `skipChannels must be a non-negative integer (got ${skipChannels})`);
    }
    this.inChannels = inChannels;
    this.skipChannels = skipChannels;
    this.outChannels = outChannels;
    this.upsample = upsample;
    this.upChannels = upsample === "transposed" ? outChannels : inChannels;
    if (upsample === "transposed") {
      // The paper's up-convolution: 2x2, stride 2, halving the channels (in -> out).
      this.up = this.registerModule("up", new TransposedConv2D(inChannels, outChannels, 2, { stride: 2, dtype, rng }));
    } else if (upsample === "bilinear") {
      this.up = this.registerModule("up", new BilinearUpsample({ scaleFactor: 2, alignCorners: false }));
    } else if (upsample === "nearest") {
      this.up = this.registerModule("up", new NearestUpsample({ scaleFactor: 2 }));
    } else {
      throw new ArgumentError("DecoderBlock", `upsample must be nearest, bilinear or transposed (got ${String(upsample)})`);
    }
    this.att =
      options.attention && skipChannels > 0
        ? this.registerModule("att", new AttentionGate(skipChannels, inChannels, Math.max(1, skipChannels >> 1), { dtype, rng }))
        : null;
    this.doubleConv = this.registerModule(
      "double_conv",
      new DoubleConv(this.upChannels + skipChannels, outChannels, { ...options, dtype, rng }),
    );
  }

  forward(x: Tensor, skip: Tensor | null): Tensor {
    if (x.shape.length !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError("DecoderBlock", `input must be [N, ${this.inChannels}, H, W] (got ${formatShape(x.shape)})`);
    }
    if (this.skipChannels === 0) {
      if (skip !== null) throw new ArgumentError("DecoderBlock", "this block has no skip connection (skipChannels 0) but got a skip");
      const u = this.up.forward(x);
      this.saved = { skipShape: null };
      return this.doubleConv.forward(u);
    }
    if (skip === null || skip.shape.length !== 4 || skip.shape[1] !== this.skipChannels || skip.shape[0] !== x.shape[0]) {
      throw new ShapeError(
        "DecoderBlock",
        `skip must be [${x.shape[0]}, ${this.skipChannels}, H, W] (got ${skip === null ? "null" : formatShape(skip.shape)}; input ${formatShape(x.shape)})`,
      );
    }
    if (skip.dtype !== x.dtype) {
      throw new ArgumentError("DecoderBlock", `skip is ${skip.dtype} but the input is ${x.dtype} (skip ${formatShape(skip.shape)}, input ${formatShape(x.shape)})`);
    }
    // every upsampling mode doubles the size (the transposed convolution is 2x2 with stride 2)
    const [h, w] = interpolateOutputSize(x.shape[2], x.shape[3], { scaleFactor: 2 });
    let s = centerCrop(skip, h, w, "DecoderBlock");
    if (this.att !== null) s = this.att.forward(s, x);
    let cat: Tensor;
    if (this.up instanceof PlaneUpsample) {
      // the upsampled map is written straight into its channels of the concatenation (the same
      // bits as concat([up(x), skip]) without copying the map again), then the skip into the rest
      cat = empty([x.shape[0], this.upChannels + this.skipChannels, h, w], x.dtype);
      this.up.forwardInto(x, cat, 0);
      writeChannels(s, cat, this.upChannels);
    } else {
      cat = concat([this.up.forward(x), s], 1);
    }
    this.saved = { skipShape: skip.shape };
    return this.doubleConv.forward(cat);
  }

  backward(dy: Tensor): { dx: Tensor; dskip: Tensor | null } {
    if (this.saved === null) throw new ArgumentError("DecoderBlock", "backward called without a matching forward");
    const { skipShape } = this.saved;
    this.saved = null;
    const dcat = this.doubleConv.backward(dy);
    if (skipShape === null) return { dx: this.up.backward(dcat), dskip: null };
    let dx: Tensor;
    let dsGated: Tensor;
    if (this.up instanceof PlaneUpsample) {
      // the upsampling's gradient read from its channels of dcat in place; the skip's part copied
      dx = this.up.backwardFrom(dcat, 0);
      dsGated = slice(dcat, 1, this.upChannels);
    } else {
      const [du, d2] = split(dcat, [this.upChannels, this.skipChannels], 1);
      dx = this.up.backward(du);
      dsGated = d2;
    }
    let ds = dsGated;
    if (this.att !== null) {
      const g = this.att.backward(dsGated);
      ds = g.dx;
      addInPlace(dx, g.dg);
    }
    return { dx, dskip: centerCropBackward(ds, skipShape) };
  }
}

/** Copies `src` ([N, C, H, W]) into channels `[offset, offset + C)` of `dst` ([N, C', H, W]); shapes checked by the caller. */
function writeChannels(src: Tensor, dst: Tensor, offset: number): void {
  const [n, c, h, w] = src.shape;
  const image = c * h * w;
  const dstImage = dst.shape[1] * h * w;
  for (let i = 0; i < n; i++) dst.data.set(src.data.subarray(i * image, (i + 1) * image), i * dstImage + offset * h * w);
}
