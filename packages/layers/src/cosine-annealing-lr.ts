import type { Optimizer } from "./optimizer.js";
import { LRScheduler, checkScheduleOption } from "./lr-scheduler.js";

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** Half period in epochs (a positive integer): the lr reaches `etaMin` at epoch tMax. */
  tMax: number;
  /** Minimum lr (default 0). */
  etaMin?: number;
}

/**
 * Cosine annealing (PyTorch's `CosineAnnealingLR`, without restarts):
 * lr(epoch) = etaMin + (baseLr - etaMin) · (1 + cos(π · epoch / tMax)) / 2, computed with torch's
 * recursive formula so the values equal torch's step for step; past tMax the lr rises again
 * (period 2·tMax), as in torch.
 *
 * @example
 * ```ts
 * const sched = new CosineAnnealingLR(opt, { tMax: 50, etaMin: 1e-5 });
 * for (let e = 0; e < 50; e++) { trainEpoch(); sched.step(); }
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  private tMax = 1;
  private etaMin = 0;

  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    super(optimizer);
    this.setOptions((options ?? {}) as unknown as Record<string, unknown>);
    this.initialStep();
  }

  override get type(): string {
    return "CosineAnnealingLR";
  }

  protected computeLr(): number {
    const e = this.lastEpoch;
    const lr = this.optimizer.lr;
    const T = this.tMax;
    if (e === 0) return lr;
    if ((e - 1 - T) % (2 * T) === 0) {
      return lr + ((this.baseLr - this.etaMin) * (1 - Math.cos(Math.PI / T))) / 2;
    }
    return ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (lr - this.etaMin) + this.etaMin;
  }

  closedFormLr(epoch: number): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }

  protected getOptions(): Record<string, number> {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }

  protected setOptions(o: Readonly<Record<string, unknown>>): void {
    const tMax = checkScheduleOption("CosineAnnealingLR", "tMax", o.tMax, 1, Infinity, true);
    const etaMin = checkScheduleOption("CosineAnnealingLR", "etaMin", o.etaMin ?? 0, 0);
    this.tMax = tMax;
    this.etaMin = etaMin;
  }
}
