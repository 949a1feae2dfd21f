import {
  ArgumentError,
  FormatError,
  ShapeError,
  Tensor,
  formatShape,
  sameShape,
} from "@unetkit/tensor";
import { Parameter } from "./parameter.js";

/** A state dict: PyTorch-style dotted keys to tensors, in registration order. */
export type StateDict = Record<string, Tensor>;

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Refuse missing and unexpected keys (default true, as PyTorch). */
  strict?: boolean;
}

/**
 * The base of every layer and model: registers parameters, buffers and child modules under
 * PyTorch's names, and derives from them `namedParameters()`, `stateDict()`, `loadStateDict()`,
 * `train()` / `eval()` and `zeroGrad()`.
 *
 * Subclasses register in their constructor, in the order PyTorch's module registers (that order is
 * the state dict's). Keys of nested modules are joined with `.` (`enc1.double_conv.conv1.weight`).
 *
 * A module with one input and one output extends {@link Layer}; blocks with several inputs or
 * outputs (a decoder block with a skip) extend Module directly and define their own signatures.
 *
 * @example
 * ```ts
 * class Scale extends Layer {
 *   readonly weight = this.registerParameter("weight", new Parameter(ones([1])));
 *   ...
 * }
 * ```
 */
export abstract class Module {
  /** Training mode (true) or evaluation mode (false); see {@link Module.train}. */
  training = true;
  private readonly params = new Map<string, Parameter>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** Registers a parameter under a name; returns it. */
  protected registerParameter(name: string, p: Parameter): Parameter {
    this.checkFreeName(name);
    this.params.set(name, p);
    return p;
  }

  /** Registers a buffer (state that is saved but not trained, e.g. running statistics); returns it. */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.checkFreeName(name);
    this.buffers.set(name, t);
    return t;
  }

  /** Registers a child module under a name; returns it. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.checkFreeName(name);
    this.children.set(name, m);
    return m;
  }

  private checkFreeName(name: string): void {
    if (!/^[A-Za-z0-9_]+$/.test(name)) {
      throw new ArgumentError(this.constructor.name, `invalid registration name "${name}"`);
    }
    if (this.params.has(name) || this.buffers.has(name) || this.children.has(name)) {
      throw new ArgumentError(this.constructor.name, `name "${name}" is registered already`);
    }
  }

  /** Direct children, by name, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.children.entries()];
  }

  /** This module and every descendant, with dotted names (`""` for this one). */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.children) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    }
    return out;
  }

  /** Every parameter of this module and its descendants, with dotted names, in PyTorch's order. */
  namedParameters(prefix = ""): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [name, p] of this.params) out.push([prefix ? `${prefix}.${name}` : name, p]);
    for (const [name, child] of this.children) {
      out.push(...child.namedParameters(prefix ? `${prefix}.${name}` : name));
    }
    return out;
  }

  /** Every parameter (see {@link Module.namedParameters}). */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer of this module and its descendants, with dotted names. */
  namedBuffers(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, b] of this.buffers) out.push([prefix ? `${prefix}.${name}` : name, b]);
    for (const [name, child] of this.children) {
      out.push(...child.namedBuffers(prefix ? `${prefix}.${name}` : name));
    }
    return out;
  }

  /** The number of trainable scalars (sum of parameter sizes). */
  parameterCount(): number {
    let n = 0;
    for (const p of this.parameters()) n += p.value.size;
    return n;
  }

  /**
   * Parameters and buffers under PyTorch's keys, in PyTorch's order (a module's own parameters,
   * then its own buffers, then each child's entries). The tensors are the live ones, not copies.
   */
  stateDict(prefix = ""): StateDict {
    const out: StateDict = {};
    for (const [name, p] of this.params) out[prefix + name] = p.value;
    for (const [name, b] of this.buffers) out[prefix + name] = b;
    for (const [name, child] of this.children) Object.assign(out, child.stateDict(`${prefix}${name}.`));
    return out;
  }

  /**
   * Copies values from a state dict into this module's parameters and buffers (in place, converting
   * dtype if needed). With `strict` (the default) missing or unexpected keys are refused; a shape
   * mismatch or a non-finite parameter value is always refused. Nothing is changed when it throws.
   */
  loadStateDict(state: StateDict, options: LoadStateDictOptions = {}): void {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const op = `${this.constructor.name}.loadStateDict`;
    if (state === null || typeof state !== "object") throw new FormatError(op, "state dict must be an object");
    const has = (obj: object, k: string): boolean => Object.prototype.hasOwnProperty.call(obj, k);
    const missing = Object.keys(own).filter((k) => !has(state, k));
    const unexpected = Object.keys(state).filter((k) => !has(own, k));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing keys: ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? `, ... (${missing.length})` : ""}`);
      if (unexpected.length) parts.push(`unexpected keys: ${unexpected.slice(0, 10).join(", ")}${unexpected.length > 10 ? `, ... (${unexpected.length})` : ""}`);
      throw new FormatError(op, `state dict does not match the model (${parts.join("; ")})`);
    }
    for (const [key, target] of Object.entries(own)) {
      const src = has(state, key) ? state[key] : undefined;
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) throw new FormatError(op, `entry ${key} is not a Tensor`);
      if (!sameShape(src.shape, target.shape)) {
        throw new ShapeError(
          op,
          `${key} has shape ${formatShape(src.shape)} but the model expects ${formatShape(target.shape)}`,
        );
      }
      for (let i = 0; i < src.size; i++) {
        if (!Number.isFinite(src.data[i])) {
          throw new FormatError(op, `${key} holds a non-finite value at flat index ${i}`);
        }
      }
    }
    for (const [key, target] of Object.entries(own)) {
      const src = has(state, key) ? state[key] : undefined;
      if (src !== undefined) target.data.set(src.data);
    }
  }

  /** Sets training mode (true) or evaluation mode (false) here and in every descendant; returns this. */
  train(mode = true): this {
    this.training = mode;
    for (const child of this.children.values()) child.train(mode);
    return this;
  }

  /** Evaluation mode: BatchNorm uses running statistics, Dropout passes through. Returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Sets every parameter's gradient to zero. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }
}

/**
 * A module with one input and one output: `forward(x)` returns `y`, `backward(dy)` returns `dx` and
 * adds parameter gradients into each `Parameter.grad`.
 *
 * A layer keeps only what its backward needs from the last forward. Calling backward without a
 * forward, or twice for one forward, throws. Use {@link Layer.saveForBackward} /
 * {@link Layer.takeSaved} to get that behaviour.
 */
export abstract class Layer extends Module {
  private saved: unknown = undefined;

  /** Computes the output for an input. */
  abstract forward(x: Tensor): Tensor;
  /** Given dL/dy for the last forward, returns dL/dx and accumulates parameter gradients. */
  abstract backward(dy: Tensor): Tensor;

  /** Keeps what backward will need (replacing what an earlier forward kept). */
  protected saveForBackward<T>(value: T): void {
    this.saved = value;
  }

  /** Takes what forward kept; throws if there is nothing (no forward, or backward already ran). */
  protected takeSaved<T>(): T {
    if (this.saved === undefined) {
      throw new ArgumentError(
        this.constructor.name,
        "backward called without a matching forward (call forward first; backward runs once per forward)",
      );
    }
    const v = this.saved as T;
    this.saved = undefined;
    return v;
  }
}
