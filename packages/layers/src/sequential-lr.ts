import { ArgumentError, FormatError } from "@unetkit/tensor";
import type { Optimizer } from "./optimizer.js";
import { LRScheduler, type LRSchedulerStateDict } from "./lr-scheduler.js";

/** Options of {@link SequentialLR}. */
export interface SequentialLROptions {
  /** The schedules, in order, all built on the same optimizer. */
  schedulers: readonly LRScheduler[];
  /** Epochs where the next schedule takes over (increasing, one fewer than `schedulers`). */
  milestones: readonly number[];
}

/**
 * Runs schedules one after another (PyTorch's `SequentialLR`), e.g. a linear warmup then cosine
 * annealing. Construction resets the lr to the base lr and restarts the first schedule; at each
 * milestone the next schedule restarts at its epoch 0 (closed form, as torch's `step(0)`), and in
 * between the active schedule steps. Call only this scheduler's `step()`, not the wrapped ones'.
 *
 * (To apply two schedules at once, PyTorch's `ChainedScheduler`, just call both `step()`s each
 * epoch: their recursive formulas compose the same way.)
 *
 * @example
 * ```ts
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const cosine = new CosineAnnealingLR(opt, { tMax: 95 });
 * const sched = new SequentialLR(opt, { schedulers: [warmup, cosine], milestones: [5] });
 * ```
 */
export class SequentialLR extends LRScheduler {
  private readonly schedulers: readonly LRScheduler[];
  private milestones: readonly number[];

  constructor(optimizer: Optimizer, options: SequentialLROptions) {
    super(optimizer);
    const op = "SequentialLR";
    const { schedulers, milestones } = options ?? ({} as SequentialLROptions);
    if (!Array.isArray(schedulers) || schedulers.length === 0) {
      throw new ArgumentError(op, "schedulers must be a non-empty array of LR schedulers");
    }
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new ArgumentError(op, `schedulers[${i}] is not an LR scheduler`);
      if (s.optimizer !== optimizer) throw new ArgumentError(op, `schedulers[${i}] is attached to another optimizer`);
      if (s instanceof SequentialLR) throw new ArgumentError(op, `schedulers[${i}] is a SequentialLR (nesting is not supported)`);
    });
    this.milestones = SequentialLR.checkMilestones(op, milestones, schedulers.length);
    this.schedulers = Object.freeze(schedulers.slice());
    // Reset the lr, undo the wrapped schedulers' initial steps, restart the first one.
    optimizer.lr = this.baseLr;
    for (const s of schedulers) s.lastEpoch -= 1;
    schedulers[0].step();
    this.lastEpoch = 0;
    this.lastLr = schedulers[0].getLastLr();
  }

  private static checkMilestones(op: string, m: unknown, n: number): readonly number[] {
    if (!Array.isArray(m) || m.length !== n - 1) {
      throw new ArgumentError(op, `milestones must list ${n - 1} epoch(s) for ${n} schedulers (got ${String(m)})`);
    }
    m.forEach((v, i) => {
      if (!Number.isSafeInteger(v) || v < 1 || (i > 0 && v <= m[i - 1])) {
        throw new ArgumentError(op, `milestones must be increasing positive integers (got [${m.join(", ")}])`);
      }
    });
    return Object.freeze(m.slice());
  }

  override get type(): string {
    return "SequentialLR";
  }

  /** Advances one epoch: the active schedule steps, or the next one restarts at a milestone. */
  override step(): void {
    this.lastEpoch++;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx] <= this.lastEpoch) idx++;
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.stepTo(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  protected computeLr(): number {
    return this.optimizer.lr;
  }

  /** Not defined for a sequence (PyTorch has none either); throws. */
  closedFormLr(): number {
    throw new ArgumentError("SequentialLR", "has no closed form; use step()");
  }

  protected getOptions(): Record<string, number | readonly number[]> {
    return { milestones: this.milestones };
  }

  protected setOptions(o: Readonly<Record<string, unknown>>): void {
    this.milestones = SequentialLR.checkMilestones("SequentialLR", o.milestones, this.schedulers.length);
  }

  /** The state, with the wrapped schedules' states under `children`. */
  override stateDict(): LRSchedulerStateDict {
    return { ...super.stateDict(), children: this.schedulers.map((s) => s.stateDict()) };
  }

  protected override loadChildren(children: readonly LRSchedulerStateDict[] | undefined, op: string): void {
    if (!Array.isArray(children) || children.length !== this.schedulers.length) {
      throw new FormatError(op, `expected states for ${this.schedulers.length} wrapped schedulers`);
    }
    // Validate every child before loading any: load into the live ones only if all would succeed.
    const backups = this.schedulers.map((s) => s.stateDict());
    try {
      this.schedulers.forEach((s, i) => s.loadStateDict(children[i]));
    } catch (e) {
      this.schedulers.forEach((s, i) => s.loadStateDict(backups[i]));
      throw e;
    }
  }
}
