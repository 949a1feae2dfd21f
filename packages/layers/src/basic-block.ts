import { ArgumentError, Tensor, globalRng, type DType, type Rng } from "@unetkit/tensor";
import { BatchNorm2D } from "./batch-norm2d.js";
import { Conv2D } from "./conv2d.js";
import { checkInput } from "./internal.js";
import { Layer } from "./module.js";
import { reluBackward, reluForward } from "./relu.js";
import { Sequential } from "./sequential.js";

/** Options of {@link BasicBlock}. */
export interface BasicBlockOptions {
  /** Stride of the first 3x3 convolution and of the projection shortcut (default 1). */
  stride?: number;
  /** Drop the shortcut entirely (a plain block, for the residual vs plain comparison; default false). */
  plain?: boolean;
  /** Parameter dtype (default `"float32"`). */
  dtype?: DType;
  /** Generator for the initial weights (default `globalRng()`). */
  rng?: Rng;
}

/**
 * Adds `b` into `a` elementwise, in place (same shapes, checked by the caller's construction).
 * Internal to the residual blocks.
 */
export function addInto(a: Tensor, b: Tensor): Tensor {
  const ad = a.data;
  const bd = b.data;
  for (let i = 0; i < ad.length; i++) ad[i] += bd[i];
  return a;
}

/**
 * torchvision's ResNet `BasicBlock`: `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))` with
 * 3x3 convolutions (padding 1, no bias; `conv1` carries the stride) and the shortcut the identity,
 * or `downsample` = 1x1 convolution (stride, no bias) + BatchNorm when the stride is not 1 or the
 * channel count changes. `plain: true` drops the shortcut: `relu(bn2(conv2(...)))`.
 *
 * State-dict keys as torchvision: `conv1.weight`, `bn1.*`, `conv2.weight`, `bn2.*`,
 * `downsample.0.weight`, `downsample.1.*`. Input `[N, in, H, W]`, output
 * `[N, out, ceil(H/stride), ceil(W/stride)]`. Backward splits the gradient after the final ReLU
 * between the residual path and the shortcut and adds what comes back from both.
 *
 * @example
 * ```ts
 * const block = new BasicBlock(64, 128, { stride: 2, rng: new Rng(0) });
 * const y = block.forward(x);    // [N, 128, H/2, W/2]
 * const dx = block.backward(dy);
 * ```
 */
export class BasicBlock extends Layer {
  /** torchvision's `expansion` of a basic block. */
  static readonly expansion = 1;
  /** 3x3 convolution `in -> out` carrying the stride. */
  readonly conv1: Conv2D;
  /** BatchNorm after `conv1`. */
  readonly bn1: BatchNorm2D;
  /** 3x3 convolution `out -> out`. */
  readonly conv2: Conv2D;
  /** BatchNorm after `conv2`. */
  readonly bn2: BatchNorm2D;
  /** The projection shortcut, or null (identity shortcut, or a plain block). */
  readonly downsample: Sequential | null;
  /** True when the block has no shortcut. */
  readonly plain: boolean;
  /** Parameter dtype; inputs must match. */
  readonly dtype: DType;

  constructor(inChannels: number, outChannels: number, options: BasicBlockOptions = {}) {
    super();
    const stride = options.stride ?? 1;
    if (!Number.isInteger(stride) || stride <= 0) {
      throw new ArgumentError("BasicBlock", `stride must be a positive integer (got ${stride})`);
    }
    const dtype = options.dtype ?? "float32";
    const rng = options.rng ?? globalRng();
    this.dtype = dtype;
    this.plain = options.plain ?? false;
    this.conv1 = this.registerModule("conv1", new Conv2D(inChannels, outChannels, 3, { stride, padding: 1, bias: false, dtype, rng }));
    this.bn1 = this.registerModule("bn1", new BatchNorm2D(outChannels, { dtype }));
    this.conv2 = this.registerModule("conv2", new Conv2D(outChannels, outChannels, 3, { padding: 1, bias: false, dtype, rng }));
    this.bn2 = this.registerModule("bn2", new BatchNorm2D(outChannels, { dtype }));
    if (!this.plain && (stride !== 1 || inChannels !== outChannels)) {
      this.downsample = this.registerModule(
        "downsample",
        new Sequential(
          new Conv2D(inChannels, outChannels, 1, { stride, bias: false, dtype, rng }),
          new BatchNorm2D(outChannels, { dtype }),
        ),
      );
    } else {
      this.downsample = null;
    }
  }

  forward(x: Tensor): Tensor {
    checkInput("BasicBlock", x, this.dtype, 4);
    const a1 = reluForward(this.bn1.forward(this.conv1.forward(x)));
    const out = this.bn2.forward(this.conv2.forward(a1));
    if (!this.plain) addInto(out, this.downsample ? this.downsample.forward(x) : x);
    const y = reluForward(out);
    this.saveForBackward({ a1, y });
    return y;
  }

  backward(dy: Tensor): Tensor {
    const { a1, y } = this.takeSaved<{ a1: Tensor; y: Tensor }>();
    const g = reluBackward(dy, y);
    const g1 = reluBackward(this.conv2.backward(this.bn2.backward(g)), a1);
    const dRes = this.conv1.backward(this.bn1.backward(g1));
    if (this.plain) return dRes;
    return addInto(dRes, this.downsample ? this.downsample.backward(g) : g);
  }
}
