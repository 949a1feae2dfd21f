import { ArgumentError, FormatError, Tensor, formatShape, sameShape, type TypedArray } from "@unetkit/tensor";
import { allFinite } from "./all-finite.js";
import { Parameter } from "./parameter.js";

/** A hyperparameter value in an optimizer state dict. */
export type HyperValue = number | boolean | readonly number[];

/** The per-parameter state of an optimizer: its step count and named buffers (PyTorch's names). */
export interface ParamState {
  /** Number of updates applied to this parameter. */
  readonly step: number;
  /** Buffers such as `momentum_buffer`, `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`. */
  readonly buffers: Readonly<Record<string, Tensor>>;
}

/**
 * An optimizer's complete state, for checkpoints: its type, hyperparameters (including the current
 * `lr`) and, per parameter in order, the step count and buffers (copies, in the parameter's dtype;
 * `null` for a parameter not updated yet). Loading it into an optimizer over the same parameters
 * continues bit for bit.
 */
export interface OptimizerStateDict {
  /** Format tag. */
  readonly format: "unetkit.optimizer";
  /** Format version (1). */
  readonly version: 1;
  /** The optimizer class (`"SGD"`, `"Adam"`, `"AdamW"`). */
  readonly type: string;
  /** Hyperparameters under their option names (`lr`, `momentum`, `betas`, ...). */
  readonly hyper: Readonly<Record<string, HyperValue>>;
  /** Per-parameter state in parameter order (`null`: no update yet). */
  readonly state: readonly (ParamState | null)[];
  /** The lr when the first LR scheduler was attached (PyTorch's `initial_lr`), if any. */
  readonly initialLr?: number;
}

/** Checks that a hyperparameter is a finite number within `[lo, hi]` (`hiOpen`: excluded). */
export function checkHyper(op: string, what: string, v: unknown, lo: number, hi = Infinity, hiOpen = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi || (hiOpen && v === hi)) {
    const range = hi === Infinity ? `>= ${lo}` : `in [${lo}, ${hi}${hiOpen ? ")" : "]"}`;
    throw new ArgumentError(op, `${what} must be a finite number ${range} (got ${String(v)})`);
  }
  return v;
}

/** Checks that a value is a boolean. */
export function checkBool(op: string, what: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new ArgumentError(op, `${what} must be a boolean (got ${String(v)})`);
  return v;
}

/**
 * The base of {@link SGD}, {@link Adam} and {@link AdamW}: holds the parameters (those with
 * `requiresGrad` false are skipped by `step`), the learning rate (settable, for schedules) and the
 * per-parameter state, and implements `zeroGrad`, `stateDict` and `loadStateDict`.
 *
 * Subclasses define `step()` (updating `value.data` in place from `grad`), their buffer names and
 * their hyperparameters.
 *
 * @example
 * ```ts
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * opt.zeroGrad(); model.backward(loss.grad); opt.step();
 * ```
 */
export abstract class Optimizer<H extends Record<string, HyperValue> = Record<string, HyperValue>> {
  /** The parameters, in the order given. */
  readonly params: readonly Parameter[];
  /** Per-parameter state (`null` until the parameter's first update). */
  protected states: ({ step: number; buffers: Record<string, Tensor> } | null)[];
  private lrValue = 0;
  /**
   * The learning rate when the first LR scheduler was attached (PyTorch's `initial_lr`): schedulers
   * use it as their base lr, so several schedulers on one optimizer share the same base.
   */
  initialLr: number | undefined = undefined;

  constructor(params: Iterable<Parameter>, lr: number) {
    const op = this.type;
    if (params === null || typeof params !== "object" || typeof (params as Iterable<Parameter>)[Symbol.iterator] !== "function") {
      throw new ArgumentError(op, "params must be an iterable of Parameter (e.g. model.parameters())");
    }
    const list = [...params];
    if (list.length === 0) throw new ArgumentError(op, "got an empty parameter list");
    const seen = new Set<Parameter>();
    list.forEach((p, i) => {
      if (!(p instanceof Parameter)) throw new ArgumentError(op, `params[${i}] is not a Parameter`);
      if (seen.has(p)) throw new ArgumentError(op, `params[${i}] appears more than once`);
      seen.add(p);
    });
    this.params = Object.freeze(list);
    this.states = list.map(() => null);
    this.lr = lr;
  }

  /** The optimizer's name (`"SGD"`, `"Adam"`, `"AdamW"`), used in state dicts and errors. */
  get type(): string {
    return "Optimizer";
  }

  /** The learning rate used by the next `step()` (set by schedules; must be finite and >= 0). */
  get lr(): number {
    return this.lrValue;
  }

  set lr(value: number) {
    this.lrValue = checkHyper(this.type, "lr", value, 0);
  }

  /** Applies one update to every parameter with `requiresGrad`, from its accumulated `grad`. */
  abstract step(): void;

  /** Sets the gradient of every parameter to zero. */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** The hyperparameters other than `lr` (validated; replaced as a whole by `loadStateDict`). */
  protected abstract hyper: H;

  /** Validates hyperparameters (without `lr`), throwing an ArgumentError; returns them normalised. */
  protected abstract validateHyper(h: Readonly<Record<string, unknown>>): H;

  /** The buffer names kept per parameter under these hyperparameters. */
  protected abstract bufferNamesFor(h: H): string[];

  /** The state of parameter `i`, created with zero buffers on its first update. */
  protected stateFor(i: number): { step: number; buffers: Record<string, Tensor> } {
    let s = this.states[i];
    if (s === null) {
      const value = this.params[i].value;
      const buffers: Record<string, Tensor> = {};
      for (const name of this.bufferNamesFor(this.hyper)) buffers[name] = new Tensor(value.dtype, value.shape);
      s = { step: 0, buffers };
      this.states[i] = s;
    }
    return s;
  }

  /** Checks before a step that every gradient has its parameter's shape and is finite. */
  protected checkGrads(): void {
    const op = `${this.type}.step`;
    this.params.forEach((p, i) => {
      if (!p.requiresGrad) return;
      if (!sameShape(p.grad.shape, p.value.shape)) {
        throw new ArgumentError(op, `params[${i}] has grad ${formatShape(p.grad.shape)} for value ${formatShape(p.value.shape)}`);
      }
      const g = p.grad.data;
      const k = allFinite(g) ? -1 : firstNonFinite(g);
      if (k >= 0) {
        throw new ArgumentError(op, `params[${i}] ${formatShape(p.value.shape)} has a non-finite gradient (${g[k]}) at flat index ${k}`);
      }
    });
  }

  /**
   * A deep copy of the optimizer's state (hyperparameters, current lr, per-parameter step counts and
   * buffers), for a checkpoint.
   *
   * @example
   * ```ts
   * const saved = opt.stateDict();
   * const resumed = new Adam(model.parameters()); resumed.loadStateDict(saved);
   * ```
   */
  stateDict(): OptimizerStateDict {
    return {
      format: "unetkit.optimizer",
      version: 1,
      type: this.type,
      hyper: { lr: this.lr, ...this.hyper },
      ...(this.initialLr !== undefined ? { initialLr: this.initialLr } : {}),
      state: this.states.map((s) =>
        s === null
          ? null
          : {
              step: s.step,
              buffers: Object.fromEntries(Object.entries(s.buffers).map(([k, t]) => [k, t.clone()])),
            },
      ),
    };
  }

  /**
   * Restores a state saved by {@link Optimizer.stateDict} (copying it). Refuses, with a
   * {@link FormatError} and without changing anything, a dict of another optimizer type, another
   * parameter count, buffers of the wrong shape or name, bad step counts or non-finite values.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const op = `${this.type}.loadStateDict`;
    if (sd === null || typeof sd !== "object" || sd.format !== "unetkit.optimizer") {
      throw new FormatError(op, "not an optimizer state dict");
    }
    if (sd.version !== 1) throw new FormatError(op, `unsupported version ${String(sd.version)}`);
    if (sd.type !== this.type) {
      throw new FormatError(op, `state dict is for ${String(sd.type)}, not ${this.type}`);
    }
    if (!Array.isArray(sd.state) || sd.state.length !== this.params.length) {
      throw new FormatError(
        op,
        `state dict has ${Array.isArray(sd.state) ? sd.state.length : "no"} parameter states but the optimizer has ${this.params.length} parameters`,
      );
    }
    if (sd.hyper === null || typeof sd.hyper !== "object") throw new FormatError(op, "hyper is missing");
    const lr = sd.hyper.lr;
    if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0) throw new FormatError(op, `bad lr ${String(lr)}`);
    let hyper: H;
    try {
      const { lr: _lr, ...rest } = sd.hyper;
      hyper = this.validateHyper(rest);
    } catch (e) {
      throw new FormatError(op, `bad hyperparameters: ${(e as Error).message}`);
    }
    const next: ({ step: number; buffers: Record<string, Tensor> } | null)[] = [];
    sd.state.forEach((s, i) => {
      if (s === null) {
        next.push(null);
        return;
      }
      const value = this.params[i].value;
      if (typeof s !== "object" || !Number.isSafeInteger(s.step) || s.step < 0) {
        throw new FormatError(op, `state ${i} has a bad step count ${String(s?.step)}`);
      }
      if (s.buffers === null || typeof s.buffers !== "object") throw new FormatError(op, `state ${i} has no buffers`);
      const want = this.bufferNamesFor(hyper).slice().sort();
      const got = Object.keys(s.buffers).sort();
      if (want.join(",") !== got.join(",")) {
        throw new FormatError(op, `state ${i} has buffers [${got.join(", ")}] but ${this.type} expects [${want.join(", ")}]`);
      }
      const buffers: Record<string, Tensor> = {};
      for (const name of want) {
        const t = s.buffers[name];
        if (!(t instanceof Tensor)) throw new FormatError(op, `state ${i} buffer ${name} is not a Tensor`);
        if (!sameShape(t.shape, value.shape)) {
          throw new FormatError(
            op,
            `state ${i} buffer ${name} has shape ${formatShape(t.shape)} but parameter ${i} has shape ${formatShape(value.shape)}`,
          );
        }
        for (let k = 0; k < t.size; k++) {
          if (!Number.isFinite(t.data[k])) throw new FormatError(op, `state ${i} buffer ${name} holds a non-finite value at flat index ${k}`);
        }
        buffers[name] = t.astype(value.dtype);
      }
      next.push({ step: s.step, buffers });
    });
    const initialLr = sd.initialLr;
    if (initialLr !== undefined && (typeof initialLr !== "number" || !Number.isFinite(initialLr) || initialLr < 0)) {
      throw new FormatError(op, `bad initialLr ${String(initialLr)}`);
    }
    this.hyper = hyper;
    this.lr = lr;
    this.initialLr = initialLr;
    this.states = next;
  }
}

/** The index of the first NaN or infinite element, or -1 (a small function V8 optimises early). */
function firstNonFinite(g: TypedArray): number {
  for (let k = 0; k < g.length; k++) {
    const v = g[k];
    if (v - v !== 0) return k;
  }
  return -1;
}
