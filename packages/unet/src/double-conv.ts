import { BatchNorm2D, Conv2D, Layer, ReLU, wantsInputGrad, type BackwardOptions } from "@unetkit/layers";
import { ArgumentError, globalRng, type DType, type Rng, type Tensor } from "@unetkit/tensor";

/** Padding of the 3x3 convolutions: `same` keeps the size (padding 1), `valid` shrinks it by 2. */
export type PaddingMode = "same" | "valid";

/** Options of {@link DoubleConv}. */
export interface DoubleConvOptions {
  /** BatchNorm after each convolution (default true). Without it the convolutions carry a bias. */
  batchNorm?: boolean;
  /** `same` (padding 1, the seed's) or `valid` (unpadded, the paper's). Default `same`. */
  padding?: PaddingMode;
  dtype?: DType;
  rng?: Rng;
}

/** Checks a padding mode option. */
export function checkPaddingMode(op: string, padding: unknown): asserts padding is PaddingMode {
  if (padding !== "same" && padding !== "valid") {
    throw new ArgumentError(op, `padding must be "same" or "valid" (got ${String(padding)})`);
  }
}

/**
 * U-Net's basic unit: Conv3x3 -> BN -> ReLU -> Conv3x3 -> BN -> ReLU (with `batchNorm: false`:
 * Conv3x3(bias) -> ReLU -> Conv3x3(bias) -> ReLU, as the paper). State-dict keys `conv1.weight`,
 * `bn1.running_var`, `conv2.weight`, `bn2.bias`, ... Each BatchNorm and the ReLU after it run as
 * one pass (`BatchNorm2D.forwardReLU` / `backwardReLU`): the same bits as the two layers, with one
 * memory pass less each way.
 *
 * Shapes: `[N, in, H, W] -> [N, out, H, W]` (`same`) or `[N, out, H-4, W-4]` (`valid`).
 *
 * @example
 * ```ts
 * const dc = new DoubleConv(1, 16);
 * dc.forward(zeros([2, 1, 64, 64])).shape; // [2, 16, 64, 64]
 * ```
 */
export class DoubleConv extends Layer {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly padding: PaddingMode;
  readonly batchNorm: boolean;
  private readonly layers: Layer[];

  constructor(inChannels: number, outChannels: number, options: DoubleConvOptions = {}) {
    super();
    const batchNorm = options.batchNorm ?? true;
    const padding = options.padding ?? "same";
    checkPaddingMode("DoubleConv", padding);
    const rng = options.rng ?? globalRng();
    const dtype = options.dtype ?? "float32";
    const pad = padding === "same" ? 1 : 0;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.padding = padding;
    this.batchNorm = batchNorm;
    const conv = (cin: number) => new Conv2D(cin, outChannels, 3, { padding: pad, bias: !batchNorm, dtype, rng });
    this.layers = [];
    this.layers.push(this.registerModule("conv1", conv(inChannels)));
    if (batchNorm) this.layers.push(this.registerModule("bn1", new BatchNorm2D(outChannels, { dtype })));
    this.layers.push(this.registerModule("relu1", new ReLU()));
    this.layers.push(this.registerModule("conv2", conv(outChannels)));
    if (batchNorm) this.layers.push(this.registerModule("bn2", new BatchNorm2D(outChannels, { dtype })));
    this.layers.push(this.registerModule("relu2", new ReLU()));
  }

  /** Output spatial size for an input size (`same`: unchanged, `valid`: minus 4). */
  outputSize(size: number): number {
    return this.padding === "same" ? size : size - 4;
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      if (layer instanceof BatchNorm2D && this.layers[i + 1] instanceof ReLU) {
        // BatchNorm and the ReLU after it in one pass (the same bits as the two layers)
        y = layer.forwardReLU(y);
        i++;
      } else {
        y = layer.forward(y);
      }
    }
    return y;
  }

  /**
   * Accumulates the parameters' gradients and returns dL/dx, or null with `{ inputGrad: false }`
   * (then the first convolution's input gradient is not computed; the parameter gradients are the
   * same bits).
   */
  backward(dy: Tensor): Tensor;
  backward(dy: Tensor, options: BackwardOptions & { inputGrad: false }): null;
  backward(dy: Tensor, options?: BackwardOptions): Tensor | null;
  backward(dy: Tensor, options?: BackwardOptions): Tensor | null {
    const inputGrad = wantsInputGrad("DoubleConv", options);
    let d = dy;
    for (let i = this.layers.length - 1; i >= 1; i--) {
      const before = this.layers[i - 1];
      if (this.layers[i] instanceof ReLU && before instanceof BatchNorm2D) {
        d = before.backwardReLU(d);
        i--;
      } else {
        d = this.layers[i].backward(d);
      }
    }
    // layers[0] is conv1, the layer that sees the input
    return (this.layers[0] as Conv2D).backward(d, { inputGrad });
  }
}
