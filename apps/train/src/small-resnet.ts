import { BasicBlock, BatchNorm2D, Conv2D, Flatten, GlobalAvgPool2D, Layer, Linear, ReLU, Sequential, wantsInputGrad, type BackwardOptions } from "@unetkit/layers";
import { ArgumentError, Rng, type DType, type Tensor } from "@unetkit/tensor";

/** Options of {@link SmallResNet}. */
export interface SmallResNetOptions {
  /** Input channels (1 for Fashion-MNIST, 3 for CIFAR-10). */
  inChannels: number;
  /** Number of classes (outputs of the final Linear layer). */
  numClasses: number;
  /** Channels of each stage; stage `i > 0` halves the resolution (default `[8, 16, 32]`). */
  widths?: number[];
  /** BasicBlocks per stage (default 2). */
  blocksPerStage?: number;
  /** Drop every shortcut (BasicBlock's `plain: true`): the same depth without residual connections. */
  plain?: boolean;
  /** Stride of the stem convolution (default 1; 2 quarters the cost of every later layer). */
  stemStride?: number;
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /** Parameter dtype (default `"float32"`). */
  dtype?: DType;
}

/**
 * A small CIFAR-style ResNet classifier built from `BasicBlock`s: a stem (3x3 convolution,
 * BatchNorm, ReLU), one stage of `blocksPerStage` blocks per entry of `widths` (the first block of
 * every stage after the first has stride 2, halving the resolution), global average pooling and a
 * Linear layer. With `plain: true` every block drops its shortcut: the same layers, the same depth
 * (`2 * blocks + 2` weight layers), no residual connections.
 *
 * Initialisation is per layer: the stem, each block and the classifier draw from their own
 * generator seeded from `(seed, position)`, so a residual network and its plain twin with the same
 * seed start with identical weights in every layer they share (the plain one just lacks the 1x1
 * projection shortcuts).
 *
 * Input `[N, inChannels, H, W]`, output logits `[N, numClasses]`. State-dict keys follow
 * torchvision's ResNet: `conv1.weight`, `bn1.*`, `layer1.0.conv1.weight`, ..., `fc.weight`, `fc.bias`.
 *
 * @example
 * ```ts
 * const net = new SmallResNet({ inChannels: 1, numClasses: 10, widths: [8, 16, 32], blocksPerStage: 2, seed: 42 });
 * const logits = net.forward(images);       // [N, 10]
 * const { loss, grad } = crossEntropyLoss(logits, labels);
 * net.zeroGrad();
 * net.backward(grad);
 * ```
 */
export class SmallResNet extends Layer {
  /** The options with defaults filled in. */
  readonly config: Required<SmallResNetOptions>;
  private readonly layers: Layer[];

  constructor(options: SmallResNetOptions) {
    super();
    const op = "SmallResNet";
    const config: Required<SmallResNetOptions> = {
      widths: [8, 16, 32],
      blocksPerStage: 2,
      plain: false,
      stemStride: 1,
      seed: 0,
      dtype: "float32",
      ...options,
    };
    for (const [name, v, min] of [
      ["inChannels", config.inChannels, 1],
      ["numClasses", config.numClasses, 2],
      ["blocksPerStage", config.blocksPerStage, 1],
      ["stemStride", config.stemStride, 1],
    ] as const) {
      if (!Number.isInteger(v) || v < min) throw new ArgumentError(op, `${name} must be an integer >= ${min} (got ${v})`);
    }
    if (!Array.isArray(config.widths) || config.widths.length === 0 || !config.widths.every((w) => Number.isInteger(w) && w >= 1)) {
      throw new ArgumentError(op, `widths must be a non-empty list of positive integers (got ${JSON.stringify(config.widths)})`);
    }
    if (!Number.isSafeInteger(config.seed)) throw new ArgumentError(op, `seed must be a safe integer (got ${config.seed})`);
    this.config = config;
    const { dtype, widths } = config;
    // One generator per position, so shared layers of the residual and plain twins match exactly.
    const rngAt = (i: number) => new Rng((config.seed * 7919 + i * 104729) % 2 ** 31);
    const conv1 = this.registerModule("conv1", new Conv2D(config.inChannels, widths[0], 3, { stride: config.stemStride, padding: 1, bias: false, dtype, rng: rngAt(0) }));
    const bn1 = this.registerModule("bn1", new BatchNorm2D(widths[0], { dtype }));
    const relu = this.registerModule("relu", new ReLU());
    this.layers = [conv1, bn1, relu];
    let inC = widths[0];
    let position = 1;
    widths.forEach((w, s) => {
      const blocks: Layer[] = [];
      for (let b = 0; b < config.blocksPerStage; b++) {
        const stride = s > 0 && b === 0 ? 2 : 1;
        blocks.push(new BasicBlock(inC, w, { stride, plain: config.plain, dtype, rng: rngAt(position++) }));
        inC = w;
      }
      this.layers.push(this.registerModule(`layer${s + 1}`, new Sequential(...blocks)));
    });
    this.layers.push(this.registerModule("avgpool", new GlobalAvgPool2D()));
    this.layers.push(this.registerModule("flatten", new Flatten()));
    this.layers.push(this.registerModule("fc", new Linear(inC, config.numClasses, { dtype, rng: rngAt(position) })));
  }

  /**
   * Weight layers along the main path: stem, two per block, the classifier (ResNet's depth count).
   *
   * @example
   * ```ts
   * new SmallResNet({ inChannels: 1, numClasses: 10, widths: [8, 16, 32], blocksPerStage: 3 }).depth; // 20
   * ```
   */
  get depth(): number {
    return 2 + 2 * this.config.blocksPerStage * this.config.widths.length;
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.forward(y);
    this.saveForBackward(true);
    return y;
  }

  /**
   * Accumulates the parameters' gradients and returns dL/dx, or null with `{ inputGrad: false }`:
   * then the stem convolution's input gradient is not computed (a training step on images).
   */
  backward(dy: Tensor): Tensor;
  backward(dy: Tensor, options: BackwardOptions & { inputGrad: false }): null;
  backward(dy: Tensor, options?: BackwardOptions): Tensor | null;
  backward(dy: Tensor, options?: BackwardOptions): Tensor | null {
    const inputGrad = wantsInputGrad("SmallResNet", options);
    this.takeSaved<boolean>();
    let g = dy;
    for (let i = this.layers.length - 1; i >= 1; i--) g = this.layers[i].backward(g);
    // layers[0] is the stem convolution, the layer that sees the images
    return (this.layers[0] as Conv2D).backward(g, { inputGrad });
  }
}
