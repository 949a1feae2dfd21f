import { ArgumentError } from "@unetkit/tensor";
import type { Optimizer } from "./optimizer.js";
import { LRScheduler, checkScheduleOption } from "./lr-scheduler.js";

/** Options of {@link LinearLR} (PyTorch's defaults). */
export interface LinearLROptions {
  /** Factor at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor from epoch `totalIters` on, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs of the linear ramp (a positive integer, default 5). */
  totalIters?: number;
}

/**
 * Linear warmup (PyTorch's `LinearLR`): the lr factor goes linearly from `startFactor` at epoch 0
 * to `endFactor` at epoch `totalIters` and stays there: lr(epoch) = baseLr · (startFactor +
 * (endFactor - startFactor) · min(epoch, totalIters) / totalIters), with torch's recursive formula.
 *
 * @example
 * ```ts
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * ```
 */
export class LinearLR extends LRScheduler {
  private startFactor = 1 / 3;
  private endFactor = 1;
  private totalIters = 5;

  constructor(optimizer: Optimizer, options: LinearLROptions = {}) {
    super(optimizer);
    this.setOptions((options ?? {}) as unknown as Record<string, unknown>);
    this.initialStep();
  }

  override get type(): string {
    return "LinearLR";
  }

  protected computeLr(): number {
    const lr = this.optimizer.lr;
    const e = this.lastEpoch;
    if (e === 0) return lr * this.startFactor;
    if (e > this.totalIters) return lr;
    const d = this.endFactor - this.startFactor;
    return lr * (1 + d / (this.totalIters * this.startFactor + (e - 1) * d));
  }

  closedFormLr(epoch: number): number {
    const f = this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.totalIters, epoch)) / this.totalIters;
    return this.baseLr * f;
  }

  protected getOptions(): Record<string, number> {
    return { startFactor: this.startFactor, endFactor: this.endFactor, totalIters: this.totalIters };
  }

  protected setOptions(o: Readonly<Record<string, unknown>>): void {
    const op = "LinearLR";
    const startFactor = checkScheduleOption(op, "startFactor", o.startFactor ?? 1 / 3, 0, 1);
    if (startFactor === 0) throw new ArgumentError(op, "startFactor must be in (0, 1] (got 0)");
    const endFactor = checkScheduleOption(op, "endFactor", o.endFactor ?? 1, 0, 1);
    const totalIters = checkScheduleOption(op, "totalIters", o.totalIters ?? 5, 1, Infinity, true);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
  }
}
