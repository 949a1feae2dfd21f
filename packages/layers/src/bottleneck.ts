import { ArgumentError, Tensor, globalRng, type DType, type Rng } from "@unetkit/tensor";
import { addInto } from "./basic-block.js";
import { BatchNorm2D } from "./batch-norm2d.js";
import { Conv2D } from "./conv2d.js";
import { checkInput } from "./internal.js";
import { Layer } from "./module.js";
import { reluBackward, reluForward } from "./relu.js";
import { Sequential } from "./sequential.js";

/** Options of {@link Bottleneck}. */
export interface BottleneckOptions {
  /** Stride of the 3x3 convolution and of the projection shortcut (default 1). */
  stride?: number;
  /** Output channels are `width * expansion` (default 4). */
  expansion?: number;
  /** Drop the shortcut entirely (default false). */
  plain?: boolean;
  /** Parameter dtype (default `"float32"`). */
  dtype?: DType;
  /** Generator for the initial weights (default `globalRng()`). */
  rng?: Rng;
}

/**
 * torchvision's ResNet `Bottleneck` (v1.5, the stride on the 3x3 convolution):
 * `relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x))` with `conv1` 1x1
 * `in -> width`, `conv2` 3x3 `width -> width` (stride, padding 1), `conv3` 1x1
 * `width -> width * expansion`, all without bias; the shortcut is the identity, or `downsample` =
 * 1x1 convolution (stride) + BatchNorm when the stride is not 1 or `in != width * expansion`.
 * `plain: true` drops the shortcut.
 *
 * State-dict keys as torchvision: `conv1..conv3`, `bn1..bn3`, `downsample.0`, `downsample.1`.
 * Input `[N, in, H, W]`, output `[N, width*expansion, ceil(H/stride), ceil(W/stride)]`.
 *
 * @example
 * ```ts
 * const block = new Bottleneck(256, 64);                  // 256 -> 256, identity shortcut
 * const down = new Bottleneck(256, 128, { stride: 2 });   // 256 -> 512, projection shortcut
 * const y = down.forward(x);
 * const dx = down.backward(dy);
 * ```
 */
export class Bottleneck extends Layer {
  /** 1x1 convolution `in -> width`. */
  readonly conv1: Conv2D;
  /** BatchNorm after `conv1`. */
  readonly bn1: BatchNorm2D;
  /** 3x3 convolution `width -> width` carrying the stride. */
  readonly conv2: Conv2D;
  /** BatchNorm after `conv2`. */
  readonly bn2: BatchNorm2D;
  /** 1x1 convolution `width -> width * expansion`. */
  readonly conv3: Conv2D;
  /** BatchNorm after `conv3`. */
  readonly bn3: BatchNorm2D;
  /** The projection shortcut, or null (identity shortcut, or a plain block). */
  readonly downsample: Sequential | null;
  /** Output channels per unit of width. */
  readonly expansion: number;
  /** True when the block has no shortcut. */
  readonly plain: boolean;
  /** Parameter dtype; inputs must match. */
  readonly dtype: DType;

  constructor(inChannels: number, width: number, options: BottleneckOptions = {}) {
    super();
    const stride = options.stride ?? 1;
    const expansion = options.expansion ?? 4;
    for (const [what, v] of [
      ["stride", stride],
      ["expansion", expansion],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ArgumentError("Bottleneck", `${what} must be a positive integer (got ${v})`);
    }
    const dtype = options.dtype ?? "float32";
    const rng = options.rng ?? globalRng();
    const outChannels = width * expansion;
    this.dtype = dtype;
    this.expansion = expansion;
    this.plain = options.plain ?? false;
    this.conv1 = this.registerModule("conv1", new Conv2D(inChannels, width, 1, { bias: false, dtype, rng }));
    this.bn1 = this.registerModule("bn1", new BatchNorm2D(width, { dtype }));
    this.conv2 = this.registerModule("conv2", new Conv2D(width, width, 3, { stride, padding: 1, bias: false, dtype, rng }));
    this.bn2 = this.registerModule("bn2", new BatchNorm2D(width, { dtype }));
    this.conv3 = this.registerModule("conv3", new Conv2D(width, outChannels, 1, { bias: false, dtype, rng }));
    this.bn3 = this.registerModule("bn3", new BatchNorm2D(outChannels, { dtype }));
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
    checkInput("Bottleneck", x, this.dtype, 4);
    const a1 = reluForward(this.bn1.forward(this.conv1.forward(x)));
    const a2 = reluForward(this.bn2.forward(this.conv2.forward(a1)));
    const out = this.bn3.forward(this.conv3.forward(a2));
    if (!this.plain) addInto(out, this.downsample ? this.downsample.forward(x) : x);
    const y = reluForward(out);
    this.saveForBackward({ a1, a2, y });
    return y;
  }

  backward(dy: Tensor): Tensor {
    const { a1, a2, y } = this.takeSaved<{ a1: Tensor; a2: Tensor; y: Tensor }>();
    const g = reluBackward(dy, y);
    const g2 = reluBackward(this.conv3.backward(this.bn3.backward(g)), a2);
    const g1 = reluBackward(this.conv2.backward(this.bn2.backward(g2)), a1);
    const dRes = this.conv1.backward(this.bn1.backward(g1));
    if (this.plain) return dRes;
    return addInto(dRes, this.downsample ? this.downsample.backward(g) : g);
  }
}
