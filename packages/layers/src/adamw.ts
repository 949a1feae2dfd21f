import { Adam, type AdamOptions } from "./adam.js";
import type { Parameter } from "./parameter.js";

/**
 * AdamW (Loshchilov & Hutter) with PyTorch's exact update (1.13, `torch.optim.AdamW`): Adam
 * without the L2 term, with decoupled weight decay applied first, `p ← p·(1 - lr·weightDecay)`,
 * then the Adam step (see {@link Adam}). `weightDecay` defaults to 1e-2.
 *
 * @example
 * ```ts
 * const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 1e-2 });
 * opt.zeroGrad(); model.backward(grad); opt.step();
 * ```
 */
export class AdamW extends Adam {
  constructor(params: Iterable<Parameter>, options: AdamOptions = {}) {
    super(params, options);
  }

  override get type(): string {
    return "AdamW";
  }

  protected override defaultWeightDecay(): number {
    return 1e-2;
  }

  protected override get decoupled(): boolean {
    return true;
  }
}
