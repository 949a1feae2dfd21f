import { ArgumentError, FormatError } from "@unetkit/tensor";
import { Optimizer } from "./optimizer.js";

/** An LR scheduler's state, for checkpoints. */
export interface LRSchedulerStateDict {
  /** Format tag. */
  readonly format: "unetkit.lr-scheduler";
  /** Format version (1). */
  readonly version: 1;
  /** The scheduler class (`"StepLR"`, `"CosineAnnealingLR"`, `"LinearLR"`, `"SequentialLR"`). */
  readonly type: string;
  /** Number of `step()` calls so far (PyTorch's `last_epoch`; -1 for a schedule in a
   * {@link SequentialLR} that has not started yet). */
  readonly lastEpoch: number;
  /** The base learning rate (the optimizer's `initialLr`). */
  readonly baseLr: number;
  /** The lr set by the last step. */
  readonly lastLr: number;
  /** The scheduler's options. */
  readonly options: Readonly<Record<string, number | readonly number[]>>;
  /** The states of the wrapped schedulers ({@link SequentialLR} only). */
  readonly children?: readonly LRSchedulerStateDict[];
}

/**
 * The base of the learning-rate schedules. Like PyTorch's `_LRScheduler`: constructing one records
 * the optimizer's lr as its `initialLr` (unless a scheduler did already) and applies epoch 0;
 * each `step()` (call it after `optimizer.step()`, once per epoch) advances the epoch and sets
 * `optimizer.lr`. Schedules use PyTorch's recursive (chainable) formulas, so their values equal
 * `get_last_lr()` of torch step for step.
 *
 * Checkpoints: save both `optimizer.stateDict()` (which holds the current lr) and
 * `scheduler.stateDict()`, and load both.
 *
 * @example
 * ```ts
 * const sched = new StepLR(opt, { stepSize: 10, gamma: 0.1 });
 * for (let epoch = 0; epoch < 30; epoch++) { train(opt); sched.step(); }
 * ```
 */
export abstract class LRScheduler {
  /** The optimizer whose `lr` this schedule sets. */
  readonly optimizer: Optimizer;
  /** Number of `step()` calls so far (0 after construction; PyTorch's `last_epoch`). */
  lastEpoch = -1;
  /** The base learning rate. */
  baseLr: number;
  /** The lr set by the last step. */
  protected lastLr = 0;

  constructor(optimizer: Optimizer) {
    if (!(optimizer instanceof Optimizer)) throw new ArgumentError(this.type, "optimizer must be an Optimizer");
    this.optimizer = optimizer;
    if (optimizer.initialLr === undefined) optimizer.initialLr = optimizer.lr;
    this.baseLr = optimizer.initialLr;
  }

  /** The schedule's name. */
  get type(): string {
    return "LRScheduler";
  }

  /** The lr for `this.lastEpoch`, given the optimizer's current lr (PyTorch's `get_lr`). */
  protected abstract computeLr(): number;

  /**
   * The lr at `epoch` by the closed-form formula from the base lr (PyTorch's
   * `_get_closed_form_lr`).
   */
  abstract closedFormLr(epoch: number): number;

  /** The options as plain values (for the state dict). */
  protected abstract getOptions(): Record<string, number | readonly number[]>;

  /** Validates and applies options from a state dict. */
  protected abstract setOptions(o: Readonly<Record<string, unknown>>): void;

  /** Applies epoch 0; subclasses call it at the end of their constructor. */
  protected initialStep(): void {
    this.step();
  }

  /** Advances one epoch and sets the optimizer's lr. */
  step(): void {
    this.lastEpoch++;
    const lr = this.computeLr();
    this.optimizer.lr = lr;
    this.lastLr = lr;
  }

  /**
   * Jumps to `epoch` and sets the optimizer's lr by the closed form (PyTorch's `step(epoch)`;
   * {@link SequentialLR} uses it to start each schedule at epoch 0).
   *
   * @example
   * ```ts
   * sched.stepTo(0); // restart the schedule from the base lr
   * ```
   */
  stepTo(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      throw new ArgumentError(this.type, `epoch must be a non-negative integer (got ${String(epoch)})`);
    }
    this.lastEpoch = epoch;
    const lr = this.closedFormLr(epoch);
    this.optimizer.lr = lr;
    this.lastLr = lr;
  }

  /**
   * The lr set by the last `step()` (or by construction).
   *
   * @example
   * ```ts
   * new StepLR(new SGD(params, { lr: 0.1 }), { stepSize: 2 }).getLastLr(); // 0.1
   * ```
   */
  getLastLr(): number {
    return this.lastLr;
  }

  /** The schedule's state (epoch, base lr, last lr, options). */
  stateDict(): LRSchedulerStateDict {
    return {
      format: "unetkit.lr-scheduler",
      version: 1,
      type: this.type,
      lastEpoch: this.lastEpoch,
      baseLr: this.baseLr,
      lastLr: this.lastLr,
      options: this.getOptions(),
    };
  }

  /** Restores a state from {@link LRScheduler.stateDict}; refuses another type or bad values (FormatError). */
  loadStateDict(sd: LRSchedulerStateDict): void {
    const op = `${this.type}.loadStateDict`;
    if (sd === null || typeof sd !== "object" || sd.format !== "unetkit.lr-scheduler" || sd.version !== 1) {
      throw new FormatError(op, "not an LR scheduler state dict (version 1)");
    }
    if (sd.type !== this.type) throw new FormatError(op, `state dict is for ${String(sd.type)}, not ${this.type}`);
    if (!Number.isSafeInteger(sd.lastEpoch) || sd.lastEpoch < -1) throw new FormatError(op, `bad lastEpoch ${String(sd.lastEpoch)}`);
    for (const k of ["baseLr", "lastLr"] as const) {
      if (typeof sd[k] !== "number" || !Number.isFinite(sd[k]) || sd[k] < 0) throw new FormatError(op, `bad ${k} ${String(sd[k])}`);
    }
    if (sd.options === null || typeof sd.options !== "object") throw new FormatError(op, "options missing");
    const previous = this.getOptions();
    try {
      this.setOptions(sd.options);
    } catch (e) {
      throw new FormatError(op, `bad options: ${(e as Error).message}`);
    }
    try {
      this.loadChildren(sd.children, op);
    } catch (e) {
      this.setOptions(previous);
      throw e;
    }
    this.lastEpoch = sd.lastEpoch;
    this.baseLr = sd.baseLr;
    this.lastLr = sd.lastLr;
  }

  /** Validates the wrapped schedulers' states (none for a plain schedule). */
  protected loadChildren(children: readonly LRSchedulerStateDict[] | undefined, op: string): void {
    if (children !== undefined) throw new FormatError(op, `${this.type} has no wrapped schedulers`);
  }
}

/** Checks a schedule option: a finite number within `[lo, hi]`, integral when asked. */
export function checkScheduleOption(op: string, what: string, v: unknown, lo: number, hi = Infinity, integer = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    const kind = integer ? "an integer" : "a number";
    throw new ArgumentError(op, `${what} must be ${kind} in [${lo}, ${hi === Infinity ? "∞" : hi}] (got ${String(v)})`);
  }
  return v;
}
