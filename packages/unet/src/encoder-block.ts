import { MaxPool2D, Module, wantsInputGrad, type BackwardOptions } from "@unetkit/layers";
import { addInPlace, ArgumentError, ShapeError, formatShape, type Tensor } from "@unetkit/tensor";
import { DoubleConv, type DoubleConvOptions } from "./double-conv.js";

/** What an {@link EncoderBlock} returns: the pooled map for the next level and the skip features. */
export interface EncoderOutput {
  /** `[N, out, H'/2, W'/2]`, input of the next encoder level. */
  pooled: Tensor;
  /** `[N, out, H', W']`, the DoubleConv output before pooling, for the decoder's skip. */
  skip: Tensor;
}

/**
 * One contracting step: DoubleConv then MaxPool 2x2 (keys `double_conv.*`). `forward` returns the
 * pooled output and the skip features; `backward` takes the gradient from below and the gradient
 * that came back through the skip, and adds them before the DoubleConv backward.
 *
 * @example
 * ```ts
 * const enc = new EncoderBlock(1, 16);
 * const { pooled, skip } = enc.forward(zeros([2, 1, 64, 64])); // [2,16,32,32], [2,16,64,64]
 * const dx = enc.backward(dPooled, dSkip);                      // [2,1,64,64]
 * ```
 */
export class EncoderBlock extends Module {
  readonly doubleConv: DoubleConv;
  private readonly pool: MaxPool2D;
  private skipShape: readonly number[] | null = null;

  constructor(inChannels: number, outChannels: number, options: DoubleConvOptions = {}) {
    super();
    this.doubleConv = this.registerModule("double_conv", new DoubleConv(inChannels, outChannels, options));
    this.pool = this.registerModule("pool", new MaxPool2D(2, { stride: 2 }));
  }

  forward(x: Tensor): EncoderOutput {
    const skip = this.doubleConv.forward(x);
    if (skip.shape[2] % 2 !== 0 || skip.shape[3] % 2 !== 0) {
      throw new ShapeError(
        "EncoderBlock",
        `features ${formatShape(skip.shape)} have an odd size and cannot be pooled 2x2 evenly (input ${formatShape(x.shape)})`,
      );
    }
    this.skipShape = skip.shape;
    return { pooled: this.pool.forward(skip), skip };
  }

  /**
   * `dPooled`: gradient of the pooled output; `dSkip`: gradient through the skip (or null). Returns
   * dL/dx, or null with `{ inputGrad: false }` (not computed; the parameter gradients are the same bits).
   */
  backward(dPooled: Tensor, dSkip?: Tensor | null): Tensor;
  backward(dPooled: Tensor, dSkip: Tensor | null, options: BackwardOptions & { inputGrad: false }): null;
  backward(dPooled: Tensor, dSkip?: Tensor | null, options?: BackwardOptions): Tensor | null;
  backward(dPooled: Tensor, dSkip: Tensor | null = null, options?: BackwardOptions): Tensor | null {
    const inputGrad = wantsInputGrad("EncoderBlock", options);
    if (this.skipShape === null) {
      throw new ArgumentError("EncoderBlock", "backward called without a matching forward");
    }
    const dFeatures = this.pool.backward(dPooled);
    if (dSkip !== null) addInPlace(dFeatures, dSkip);
    this.skipShape = null;
    return this.doubleConv.backward(dFeatures, { inputGrad });
  }
}
