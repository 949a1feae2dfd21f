import { Module, type Layer } from "@unetkit/layers";
import { BilinearUpsample, NearestUpsample, TransposedConv2D } from "@unetkit/upsampling";
import { addInPlace, ArgumentError, ShapeError, concat, formatShape, globalRng, split, type Tensor } from "@unetkit/tensor";
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
    const u = this.up.forward(x);
    if (this.skipChannels === 0) {
      if (skip !== null) throw new ArgumentError("DecoderBlock", "this block has no skip connection (skipChannels 0) but got a skip");
      this.saved = { skipShape: null };
      return this.doubleConv.forward(u);
    }
    if (skip === null || skip.shape.length !== 4 || skip.shape[1] !== this.skipChannels || skip.shape[0] !== x.shape[0]) {
      throw new ShapeError(
        "DecoderBlock",
        `skip must be [${x.shape[0]}, ${this.skipChannels}, H, W] (got ${skip === null ? "null" : formatShape(skip.shape)}; input ${formatShape(x.shape)})`,
      );
    }
    let s = centerCrop(skip, u.shape[2], u.shape[3], "DecoderBlock");
    if (this.att !== null) s = this.att.forward(s, x);
    this.saved = { skipShape: skip.shape };
    return this.doubleConv.forward(concat([u, s], 1));
  }

  backward(dy: Tensor): { dx: Tensor; dskip: Tensor | null } {
    if (this.saved === null) throw new ArgumentError("DecoderBlock", "backward called without a matching forward");
    const { skipShape } = this.saved;
    this.saved = null;
    const dcat = this.doubleConv.backward(dy);
    if (skipShape === null) return { dx: this.up.backward(dcat), dskip: null };
    const [du, dsGated] = split(dcat, [this.upChannels, this.skipChannels], 1);
    const dx = this.up.backward(du);
    let ds = dsGated;
    if (this.att !== null) {
      const g = this.att.backward(dsGated);
      ds = g.dx;
      addInPlace(dx, g.dg);
    }
    return { dx, dskip: centerCropBackward(ds, skipShape) };
  }
}
