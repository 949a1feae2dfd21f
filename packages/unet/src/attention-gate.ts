import { Conv2D, Module, ReLU, Sigmoid } from "@unetkit/layers";
import { BilinearUpsample } from "@unetkit/upsampling";
import { addInPlace, ArgumentError, ShapeError, Tensor, formatShape, globalRng, type DType, type Rng } from "@unetkit/tensor";

/** Options of {@link AttentionGate}. */
export interface AttentionGateOptions {
  dtype?: DType;
  rng?: Rng;
}

/**
 * Attention U-Net's additive attention gate (Oktay et al. 2018). The gating signal `g` comes from
 * the decoder at the coarse resolution (before upsampling); the skip features `x` are at twice
 * that resolution:
 *
 * ```
 * t = theta_x(x)       1x1 conv, stride 2, no bias: [N, inter, H/2, W/2]
 * p = phi_g(g)         1x1 conv with bias:          [N, inter, H/2, W/2]
 * a = sigmoid(psi(relu(t + p)))                     [N, 1, H/2, W/2]
 * A = bilinear x2 (alignCorners false) of a         [N, 1, H, W]
 * out = x * A          (the same weight for every channel of a pixel)
 * ```
 *
 * Keys: `theta_x.weight`, `phi_g.weight`, `phi_g.bias`, `psi.weight`, `psi.bias`.
 *
 * @example
 * ```ts
 * const gate = new AttentionGate(32, 64, 16);
 * const out = gate.forward(skip /*[2,32,32,32]*\/, g /*[2,64,16,16]*\/); // [2,32,32,32]
 * const { dx, dg } = gate.backward(dOut);
 * ```
 */
export class AttentionGate extends Module {
  private readonly thetaX: Conv2D;
  private readonly phiG: Conv2D;
  private readonly psi: Conv2D;
  private readonly relu = new ReLU();
  private readonly sigmoid = new Sigmoid();
  private readonly up: BilinearUpsample;
  private saved: { x: Tensor; weights: Tensor } | null = null;

  constructor(skipChannels: number, gateChannels: number, interChannels: number, options: AttentionGateOptions = {}) {
    super();
    const rng = options.rng ?? globalRng();
    const dtype = options.dtype ?? "float32";
    this.thetaX = this.registerModule("theta_x", new Conv2D(skipChannels, interChannels, 1, { stride: 2, bias: false, dtype, rng }));
    this.phiG = this.registerModule("phi_g", new Conv2D(gateChannels, interChannels, 1, { bias: true, dtype, rng }));
    this.psi = this.registerModule("psi", new Conv2D(interChannels, 1, 1, { bias: true, dtype, rng }));
    this.up = new BilinearUpsample({ scaleFactor: 2, alignCorners: false });
  }

  /** `x`: skip features `[N, Cx, H, W]`; `g`: gating signal `[N, Cg, H/2, W/2]`. Returns `x * A`. */
  forward(x: Tensor, g: Tensor): Tensor {
    const [n, c, h, w] = x.shape;
    if (h % 2 !== 0 || w % 2 !== 0 || g.shape[2] * 2 !== h || g.shape[3] * 2 !== w || g.shape[0] !== n) {
      throw new ShapeError(
        "AttentionGate",
        `the gating signal must have half the skip's size (skip ${formatShape(x.shape)}, gate ${formatShape(g.shape)})`,
      );
    }
    const t = this.thetaX.forward(x);
    const p = this.phiG.forward(g);
    addInPlace(t, p);
    const a = this.sigmoid.forward(this.psi.forward(this.relu.forward(t)));
    const weights = this.up.forward(a); // [N, 1, H, W]
    const out = new Tensor(x.dtype, x.shape);
    const hw = h * w;
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < c; ch++) {
        const base = (i * c + ch) * hw;
        const wb = i * hw;
        for (let k = 0; k < hw; k++) out.data[base + k] = x.data[base + k] * weights.data[wb + k];
      }
    }
    this.saved = { x, weights };
    return out;
  }

  /** Gradients for the skip features and the gating signal. */
  backward(dOut: Tensor): { dx: Tensor; dg: Tensor } {
    if (this.saved === null) throw new ArgumentError("AttentionGate", "backward called without a matching forward");
    const { x, weights } = this.saved;
    this.saved = null;
    const [n, c, h, w] = x.shape;
    const hw = h * w;
    const dxDirect = new Tensor(x.dtype, x.shape);
    const dWeights = new Tensor(x.dtype, [n, 1, h, w]);
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < c; ch++) {
        const base = (i * c + ch) * hw;
        const wb = i * hw;
        for (let k = 0; k < hw; k++) {
          const d = dOut.data[base + k];
          dxDirect.data[base + k] = d * weights.data[wb + k];
          dWeights.data[wb + k] += d * x.data[base + k];
        }
      }
    }
    const da = this.up.backward(dWeights);
    const ds = this.relu.backward(this.psi.backward(this.sigmoid.backward(da)));
    const dg = this.phiG.backward(ds);
    const dxGate = this.thetaX.backward(ds);
    addInPlace(dxDirect, dxGate);
    return { dx: dxDirect, dg };
  }
}
