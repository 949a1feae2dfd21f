import { Conv2D, Module, wantsInputGrad, type BackwardOptions } from "@unetkit/layers";
import {
  Arena,
  ArgumentError,
  Rng,
  ShapeError,
  checkDType,
  checkPositiveInt,
  formatShape,
  getBackend,
  withArena,
  withDeferredWeightGradients,
  type DType,
  type Tensor,
} from "@unetkit/tensor";
import { DecoderBlock, type UpsampleMode } from "./decoder-block.js";
import { DoubleConv, checkPaddingMode, type PaddingMode } from "./double-conv.js";
import { EncoderBlock } from "./encoder-block.js";

/** The full configuration of a {@link UNet}: what a checkpoint records to rebuild it. */
export interface UNetConfig {
  inChannels: number;
  /** Output channels; 1 is a binary head for sigmoid losses. */
  numClasses: number;
  /** Channels of the first level (doubled, or multiplied by `channelMultiplier`, per level). */
  baseChannels: number;
  /** Pooling steps: 2 for the seed's SimpleUNet, 4 for the paper's U-Net. */
  depth: number;
  channelMultiplier: number;
  upsample: UpsampleMode;
  /** Skip connections (false: the seed's no-skip encoder-decoder, for the comparison). */
  skip: boolean;
  batchNorm: boolean;
  padding: PaddingMode;
  attention: boolean;
  dtype: DType;
}

/** Options of {@link UNet}: any part of {@link UNetConfig} plus the seed of the initial weights. */
export interface UNetOptions extends Partial<UNetConfig> {
  /** Seed of the weight initialisation (default 0): the same seed builds the same model. */
  seed?: number;
  /** Or an explicit generator (wins over `seed`). */
  rng?: Rng;
  /**
   * Keep the float32 intermediates of a forward and backward pass in an {@link Arena} that the next
   * forward reuses (default true): the same memory every step, in the backend's own memory when it
   * offers blocks (the wasm backend's kernels then work on them in place). The logits and the input
   * gradient are returned as ordinary tensors (copies), so nothing the caller holds is ever reused.
   * `false` allocates every intermediate anew. The results are the same bits either way.
   */
  arena?: boolean;
}

/** Gives a collected model's arena chunks back to the backend they came from. */
const arenas = new FinalizationRegistry<Arena>((arena) => arena.dispose());

/** Spatial sizes through the network for one input size, or the reason it does not fit. */
export interface SizePlan {
  ok: boolean;
  /** Output size (equal to the input for `same` padding). */
  output: number;
  /** Why the size does not fit (when `ok` is false). */
  reason?: string;
}

const DEFAULTS: Omit<UNetConfig, "inChannels" | "numClasses" | "baseChannels" | "depth"> = {
  channelMultiplier: 2,
  upsample: "nearest",
  skip: true,
  batchNorm: true,
  padding: "same",
  attention: false,
  dtype: "float32",
};

/**
 * The U-Net (Ronneberger et al. 2015): `depth` encoder blocks (DoubleConv + MaxPool 2x2), a
 * DoubleConv bottleneck, `depth` decoder blocks (upsample, concatenate the skip, DoubleConv) and a
 * 1x1 output convolution. Level `i` (1-based) has `baseChannels * channelMultiplier^(i-1)`
 * channels; the bottleneck has `baseChannels * channelMultiplier^depth`.
 *
 * State-dict keys follow the module tree: `enc1.double_conv.conv1.weight`, ...,
 * `bottleneck.conv2.weight`, `decD.up.weight` (transposed mode), ..., `dec1.double_conv.bn2.bias`,
 * `out_conv.weight`, `out_conv.bias` — the same as `tools/unet_torch.py`'s PyTorch module.
 *
 * Shapes: `[N, inChannels, H, W] -> [N, numClasses, H', W']` with `H' = H` for `same` padding
 * (H must be a multiple of 2^depth) and smaller for `valid` (see {@link UNet.planSize}).
 *
 * @example
 * ```ts
 * const model = new UNet({ inChannels: 1, numClasses: 3, baseChannels: 16, depth: 2, seed: 42 });
 * const logits = model.forward(images);       // [8, 3, 64, 64]
 * const dx = model.backward(dLogits);         // parameter gradients accumulate
 * ```
 */
export class UNet extends Module {
  readonly config: Readonly<UNetConfig>;
  private readonly encoders: EncoderBlock[] = [];
  private readonly decoders: DecoderBlock[] = [];
  readonly bottleneck: DoubleConv;
  readonly outConv: Conv2D;
  /** Whether passes run in {@link UNet.arenaFor}'s arena (the `arena` option). */
  readonly usesArena: boolean;
  private arena: Arena | null = null;
  /** The arena of the latest forward (null: it ran without one), which its backward appends to. */
  private passArena: Arena | null = null;

  constructor(options: UNetOptions = {}) {
    super();
    if (options.arena !== undefined && typeof options.arena !== "boolean") {
      throw new ArgumentError("UNet", `arena must be a boolean (got ${String(options.arena)})`);
    }
    const config: UNetConfig = {
      inChannels: options.inChannels ?? 1,
      numClasses: options.numClasses ?? 3,
      baseChannels: options.baseChannels ?? 32,
      depth: options.depth ?? 2,
      ...DEFAULTS,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    } as UNetConfig;
    const op = "UNet";
    checkPositiveInt(op, "inChannels", config.inChannels);
    checkPositiveInt(op, "numClasses", config.numClasses);
    checkPositiveInt(op, "baseChannels", config.baseChannels);
    checkPositiveInt(op, "depth", config.depth);
    checkPositiveInt(op, "channelMultiplier", config.channelMultiplier);
    checkPaddingMode(op, config.padding);
    checkDType(op, config.dtype);
    if (!["nearest", "bilinear", "transposed"].includes(config.upsample)) {
      throw new ArgumentError(op, `upsample must be nearest, bilinear or transposed (got ${String(config.upsample)})`);
    }
    if (config.depth > 8) throw new ArgumentError(op, `depth ${config.depth} is more than 8 pooling steps`);
    this.config = Object.freeze({
      inChannels: config.inChannels,
      numClasses: config.numClasses,
      baseChannels: config.baseChannels,
      depth: config.depth,
      channelMultiplier: config.channelMultiplier,
      upsample: config.upsample,
      skip: Boolean(config.skip),
      batchNorm: Boolean(config.batchNorm),
      padding: config.padding,
      attention: Boolean(config.attention),
      dtype: config.dtype,
    });
    this.usesArena = (options.arena ?? true) && this.config.dtype === "float32";
    const rng = options.rng ?? new Rng(options.seed ?? 0);
    const { depth, batchNorm, padding, dtype } = this.config;
    const ch = this.levelChannels();
    const blockOptions = { batchNorm, padding, dtype, rng };
    let cin = this.config.inChannels;
    for (let i = 0; i < depth; i++) {
      this.encoders.push(this.registerModule(`enc${i + 1}`, new EncoderBlock(cin, ch[i], blockOptions)));
      cin = ch[i];
    }
    this.bottleneck = this.registerModule("bottleneck", new DoubleConv(ch[depth - 1], ch[depth], blockOptions));
    const decoders: DecoderBlock[] = [];
    for (let i = depth - 1; i >= 0; i--) {
      decoders[i] = this.registerModule(
        `dec${i + 1}`,
        new DecoderBlock(ch[i + 1], this.config.skip ? ch[i] : 0, ch[i], {
          ...blockOptions,
          upsample: this.config.upsample,
          attention: this.config.attention,
        }),
      );
    }
    this.decoders = decoders;
    this.outConv = this.registerModule("out_conv", new Conv2D(ch[0], this.config.numClasses, 1, { dtype, rng }));
  }

  /** Channels per level: `[level1, ..., levelD, bottleneck]`. */
  levelChannels(): number[] {
    const { baseChannels, channelMultiplier, depth } = this.config;
    return Array.from({ length: depth + 1 }, (_, i) => baseChannels * channelMultiplier ** i);
  }

  /**
   * Follows one spatial size through the network: whether it fits (every pooled map even, every
   * map positive) and the output size.
   *
   * @example
   * ```ts
   * new UNet({ depth: 4, padding: "valid" }).planSize(572); // { ok: true, output: 388 }
   * ```
   */
  planSize(size: number): SizePlan {
    const { depth, padding } = this.config;
    const shrink = padding === "same" ? 0 : 4;
    let s = size;
    const skips: number[] = [];
    for (let i = 0; i < depth; i++) {
      s -= shrink;
      if (s <= 0) return { ok: false, output: 0, reason: `level ${i + 1} features would have size ${s}` };
      if (s % 2 !== 0) return { ok: false, output: 0, reason: `level ${i + 1} features have odd size ${s} and cannot be pooled 2x2` };
      skips.push(s);
      s /= 2;
    }
    s -= shrink;
    if (s <= 0) return { ok: false, output: 0, reason: `the bottleneck would have size ${s}` };
    for (let i = depth - 1; i >= 0; i--) {
      s = s * 2;
      if (this.config.skip && s > skips[i]) return { ok: false, output: 0, reason: `decoder ${i + 1} is larger than its skip` };
      s -= shrink;
      if (s <= 0) return { ok: false, output: 0, reason: `decoder ${i + 1} output would have size ${s}` };
    }
    return { ok: true, output: s };
  }

  /** Input sizes near `size` that pass through the network (up to `count` of them, closest first). */
  validSizesNear(size: number, count = 2): number[] {
    const out: number[] = [];
    for (let d = 0; out.length < count && d < 4096; d++) {
      for (const s of d === 0 ? [size] : [size - d, size + d]) {
        if (s > 0 && out.length < count && this.planSize(s).ok) out.push(s);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /**
   * Checks an input shape, throwing a {@link ShapeError} that names the sizes that would work.
   * Returns the output shape.
   */
  checkInput(shape: readonly number[]): number[] {
    const op = this.constructor.name;
    if (shape.length !== 4) throw new ShapeError(op, `input must be 4-D NCHW (got ${formatShape(shape)})`);
    if (shape[1] !== this.config.inChannels) {
      throw new ShapeError(op, `input has ${shape[1]} channels, the model expects ${this.config.inChannels} (input ${formatShape(shape)})`);
    }
    const out: number[] = [shape[0], this.config.numClasses];
    for (const [axis, name] of [[2, "height"], [3, "width"]] as const) {
      const plan = this.planSize(shape[axis]);
      if (!plan.ok) {
        const near = this.validSizesNear(shape[axis]);
        const rule =
          this.config.padding === "same"
            ? `a multiple of ${2 ** this.config.depth} for ${this.config.depth} pooling steps`
            : `a size whose every pooled map is even with unpadded convolutions`;
        throw new ShapeError(
          op,
          `input ${name} ${shape[axis]} cannot pass through the network: ${plan.reason}; it needs ${rule} (nearest sizes that work: ${near.join(" or ")}; input ${formatShape(shape)})`,
        );
      }
      out.push(plan.output);
    }
    return out;
  }

  /**
   * Logits `[N, numClasses, H', W']` for images `[N, inChannels, H, W]`. With the arena (the
   * default), the intermediates of the previous pass are dead from here on: the layers' caches are
   * rebuilt, and the logits come back as a copy the caller owns.
   */
  forward(x: Tensor): Tensor {
    this.checkInput(x.shape);
    const arena = this.usesArena ? this.arenaFor() : null;
    arena?.reset();
    this.passArena = arena;
    const logits = withArena(arena, () => {
      const skips: Tensor[] = [];
      let h = x;
      for (const enc of this.encoders) {
        const { pooled, skip } = enc.forward(h);
        skips.push(skip);
        h = pooled;
      }
      h = this.bottleneck.forward(h);
      for (let i = this.decoders.length - 1; i >= 0; i--) {
        h = this.decoders[i].forward(h, this.config.skip ? skips[i] : null);
      }
      return this.outConv.forward(h);
    });
    return arena === null ? logits : logits.clone();
  }

  /**
   * Backward from dL/dlogits: accumulates every parameter's gradient, returns dL/dx (a tensor the
   * caller owns). Its intermediates go to the arena of the forward it follows. A training step
   * passes `{ inputGrad: false }`: then dL/dx (the first convolution's input gradient, which
   * nothing uses when the input is data) is not computed and null is returned, with the same
   * parameter gradients bit for bit.
   *
   * @example
   * ```ts
   * model.backward(crossEntropyLoss(model.forward(x), y).grad, { inputGrad: false });
   * ```
   */
  backward(dLogits: Tensor): Tensor;
  backward(dLogits: Tensor, options: BackwardOptions & { inputGrad: false }): null;
  backward(dLogits: Tensor, options?: BackwardOptions): Tensor | null;
  backward(dLogits: Tensor, options?: BackwardOptions): Tensor | null {
    const inputGrad = wantsInputGrad("UNet", options);
    const arena = this.passArena;
    // the convolutions' weight gradients may finish on the backend's workers while the pass goes
    // on: every one is in its parameter's grad when the scope returns
    const dx = withArena(arena, () => withDeferredWeightGradients(() => {
      let d = this.outConv.backward(dLogits);
      const dSkips: (Tensor | null)[] = new Array(this.encoders.length).fill(null);
      for (let i = 0; i < this.decoders.length; i++) {
        const g = this.decoders[i].backward(d);
        d = g.dx;
        dSkips[i] = g.dskip;
      }
      d = this.bottleneck.backward(d);
      for (let i = this.encoders.length - 1; i >= 1; i--) d = this.encoders[i].backward(d, dSkips[i]);
      return this.encoders[0].backward(d, dSkips[0], { inputGrad });
    }));
    return dx === null || arena === null ? dx : dx.clone();
  }

  /** Floats this model's arena reserves (0 before the first pass, or without the arena): the memory a pass needs, reused every pass. */
  get arenaFloats(): number {
    return this.arena?.reservedFloats ?? 0;
  }

  /**
   * The arena passes run in: this model's, taking its chunks from the active backend (a new one,
   * and the old one's chunks given back, when the backend changed since the last pass).
   */
  private arenaFor(): Arena {
    const backend = getBackend();
    if (this.arena !== null && this.arena.backend === backend) return this.arena;
    if (this.arena !== null) {
      arenas.unregister(this.arena);
      this.arena.dispose();
    }
    this.arena = new Arena(backend);
    arenas.register(this, this.arena, this.arena);
    return this.arena;
  }

  /**
   * A printable table: each block with its output shape for an input shape and its parameter
   * count, and the total.
   *
   * @example
   * ```ts
   * console.log(new SimpleUNet().summary([1, 1, 64, 64]));
   * ```
   */
  summary(inputShape: readonly number[] = [1, this.config.inChannels, 64, 64]): string {
    this.checkInput(inputShape);
    const [n] = inputShape;
    const ch = this.levelChannels();
    const { depth, padding } = this.config;
    const shrink = padding === "same" ? 0 : 4;
    const rows: [string, string, number][] = [];
    const count = (m: Module) => m.parameterCount();
    let h = inputShape[2];
    let w = inputShape[3];
    for (let i = 0; i < depth; i++) {
      h -= shrink;
      w -= shrink;
      rows.push([`enc${i + 1}`, `${formatShape([n, ch[i], h / 2, w / 2])} (skip ${formatShape([n, ch[i], h, w])})`, count(this.encoders[i])]);
      h /= 2;
      w /= 2;
    }
    h -= shrink;
    w -= shrink;
    rows.push(["bottleneck", formatShape([n, ch[depth], h, w]), count(this.bottleneck)]);
    for (let i = depth - 1; i >= 0; i--) {
      h = h * 2 - shrink;
      w = w * 2 - shrink;
      rows.push([`dec${i + 1}`, formatShape([n, ch[i], h, w]), count(this.decoders[i])]);
    }
    rows.push(["out_conv", formatShape([n, this.config.numClasses, h, w]), count(this.outConv)]);
    const c = this.config;
    const title =
      `${this.constructor.name}(depth ${c.depth}, base ${c.baseChannels}, ${c.upsample} upsampling, ` +
      `${c.skip ? "skips" : "no skips"}, ${c.batchNorm ? "BN" : "no BN"}, ${c.padding} padding${c.attention ? ", attention" : ""})`;
    const w1 = Math.max(5, ...rows.map((r) => r[0].length));
    const w2 = Math.max(12, ...rows.map((r) => r[1].length));
    const line = (a: string, b: string, p: string) => `${a.padEnd(w1)}  ${b.padEnd(w2)}  ${p.padStart(10)}`;
    const out = [title, line("layer", "output shape", "params"), "-".repeat(w1 + w2 + 14)];
    for (const [name, shape, p] of rows) out.push(line(name, shape, p.toLocaleString("en-US")));
    out.push("-".repeat(w1 + w2 + 14));
    out.push(line("total", "", this.parameterCount().toLocaleString("en-US")));
    return out.join("\n");
  }
}

/**
 * The seed notebook's network as a preset of {@link UNet}: depth 2, base 32 channels, nearest
 * upsampling, BatchNorm, `same` padding, 1 input channel, 3 classes (any of these can be changed).
 * The trainer's default uses base 16, as the notebook's experiment does.
 *
 * @example
 * ```ts
 * const model = new SimpleUNet({ baseChannels: 16, seed: 42 });
 * model.parameterCount(); // 118,339 for base 16 (PyTorch's twin counts the same)
 * ```
 */
export class SimpleUNet extends UNet {
  constructor(options: UNetOptions = {}) {
    super({ inChannels: 1, numClasses: 3, baseChannels: 32, depth: 2, upsample: "nearest", ...options });
  }
}

/**
 * The original paper's network as a preset of {@link UNet}: depth 4, 64 base channels, unpadded
 * (`valid`) convolutions without BatchNorm, 2x2 up-convolutions, 2 classes: a 572x572 input gives
 * a 388x388 output.
 *
 * @example
 * ```ts
 * new PaperUNet().planSize(572); // { ok: true, output: 388 }
 * ```
 */
export class PaperUNet extends UNet {
  constructor(options: UNetOptions = {}) {
    super({
      inChannels: 1,
      numClasses: 2,
      baseChannels: 64,
      depth: 4,
      upsample: "transposed",
      batchNorm: false,
      padding: "valid",
      ...options,
    });
  }
}
