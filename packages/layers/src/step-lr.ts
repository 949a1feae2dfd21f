import type { Optimizer } from "./optimizer.js";
import { LRScheduler, checkScheduleOption } from "./lr-scheduler.js";

/** Options of {@link StepLR}. */
export interface StepLROptions {
  /** Epochs between decays (a positive integer). */
  stepSize: number;
  /** Multiplicative decay factor (default 0.1). */
  gamma?: number;
}

/**
 * Decays the lr by `gamma` every `stepSize` epochs (PyTorch's `StepLR`):
 * lr(epoch) = baseLr · gamma^floor(epoch / stepSize), computed recursively as torch does
 * (the lr is multiplied by gamma at each multiple of stepSize).
 *
 * @example
 * ```ts
 * const sched = new StepLR(opt, { stepSize: 3, gamma: 0.5 }); // lr 0.1, 0.1, 0.1, 0.05, ...
 * sched.step();
 * ```
 */
export class StepLR extends LRScheduler {
  private stepSize = 1;
  private gamma = 0.1;

  constructor(optimizer: Optimizer, options: StepLROptions) {
    super(optimizer);
    this.setOptions((options ?? {}) as unknown as Record<string, unknown>);
    this.initialStep();
  }

  override get type(): string {
    return "StepLR";
  }

  protected computeLr(): number {
    const lr = this.optimizer.lr;
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lr;
    return lr * this.gamma;
  }

  closedFormLr(epoch: number): number {
    return this.baseLr * Math.pow(this.gamma, Math.floor(epoch / this.stepSize));
  }

  protected getOptions(): Record<string, number> {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }

  protected setOptions(o: Readonly<Record<string, unknown>>): void {
    const stepSize = checkScheduleOption("StepLR", "stepSize", o.stepSize, 1, Infinity, true);
    const gamma = checkScheduleOption("StepLR", "gamma", o.gamma ?? 0.1, 0);
    this.stepSize = stepSize;
    this.gamma = gamma;
  }
}
