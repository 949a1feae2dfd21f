import { describe, expect, it } from "vitest";
import { FormatError, Rng, ShapeError, Tensor, fromArray } from "@unetkit/tensor";
import { BatchNorm2D } from "./batch-norm2d.js";
import { Conv2D } from "./conv2d.js";
import { Dropout } from "./dropout.js";
import { Layer, Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { Sequential } from "./sequential.js";

/** A module with its own parameter and buffer registered before a child, as PyTorch orders them. */
class Net extends Layer {
  readonly scale = this.registerParameter("scale", new Parameter(fromArray([2])));
  readonly steps = this.registerBuffer("steps", fromArray([0]));
  readonly body = this.registerModule(
    "body",
    new Sequential(new Conv2D(1, 2, 3, { rng: new Rng(0) }), new BatchNorm2D(2), new Dropout(0.5)),
  );
  readonly head = this.registerModule("head", new Conv2D(2, 1, 1, { bias: false, rng: new Rng(1) }));
  forward(x: Tensor): Tensor {
    return this.head.forward(this.body.forward(x));
  }
  backward(dy: Tensor): Tensor {
    return this.body.backward(this.head.backward(dy));
  }
}

const KEYS = [
  "scale",
  "steps",
  "body.0.weight",
  "body.0.bias",
  "body.1.weight",
  "body.1.bias",
  "body.1.running_mean",
  "body.1.running_var",
  "body.1.num_batches_tracked",
  "head.weight",
];

describe("Module", () => {
  it("orders state-dict keys as PyTorch: own parameters, own buffers, then children, dotted", () => {
    const net = new Net();
    expect(Object.keys(net.stateDict())).toEqual(KEYS);
    expect(net.namedParameters().map(([k]) => k)).toEqual(["scale", "body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias", "head.weight"]);
    expect(net.namedBuffers().map(([k]) => k)).toEqual(["steps", "body.1.running_mean", "body.1.running_var", "body.1.num_batches_tracked"]);
    expect(net.namedModules().map(([k]) => k)).toEqual(["", "body", "body.0", "body.1", "body.2", "head"]);
    expect(net.parameterCount()).toBe(1 + 18 + 2 + 2 + 2 + 2);
    expect(net.stateDict()["head.weight"]).toBe(net.head.weight.value); // live, not a copy
  });

  it("round-trips a state dict into a fresh model", () => {
    const a = new Net();
    const src = new Net();
    src.scale.value.data[0] = 7;
    src.head.weight.value.fill(0.5);
    (src.body.at(1) as BatchNorm2D).runningVar!.fill(3);
    a.loadStateDict(src.stateDict());
    for (const [k, t] of Object.entries(a.stateDict())) expect(t.toArray(), k).toEqual(src.stateDict()[k].toArray());
    expect(a.stateDict().scale).not.toBe(src.stateDict().scale);
  });

  it("refuses missing and unexpected keys when strict, names them, and changes nothing", () => {
    const net = new Net();
    const before = net.head.weight.value.toArray();
    const state = { ...new Net().stateDict() };
    state["head.weight"] = new Tensor("float32", [1, 2, 1, 1]).fill(9);
    delete state["body.1.running_var"];
    state["extra.weight"] = new Tensor("float32", [1]);
    expect(() => net.loadStateDict(state)).toThrow(FormatError);
    expect(() => net.loadStateDict(state)).toThrow(
      "Net.loadStateDict: state dict does not match the model (missing keys: body.1.running_var; unexpected keys: extra.weight)",
    );
    expect(net.head.weight.value.toArray()).toEqual(before);
    net.loadStateDict(state, { strict: false });
    expect(net.head.weight.value.toArray()).toEqual([9, 9]);
  });

  it("treats inherited object keys as unexpected, not as present", () => {
    const net = new Net();
    const state = { ...net.stateDict(), toString: new Tensor("float32", [1]) } as unknown as Record<string, Tensor>;
    expect(() => net.loadStateDict(state)).toThrow(/unexpected keys: toString/);
    const missing = Object.create({ scale: fromArray([1]) }) as Record<string, Tensor>;
    expect(() => new Net().loadStateDict(missing)).toThrow(/missing keys: scale, steps/);
  });

  it("refuses a shape mismatch or a non-finite value even when not strict, atomically", () => {
    const net = new Net();
    const before = net.scale.value.toArray();
    expect(() => net.loadStateDict({ scale: fromArray([1, 2]) }, { strict: false })).toThrow(ShapeError);
    expect(() => net.loadStateDict({ scale: fromArray([1, 2]) }, { strict: false })).toThrow(
      "Net.loadStateDict: scale has shape [2] but the model expects [1]",
    );
    expect(() => net.loadStateDict({ "head.weight": fromArray([[[[1]], [[2]]]]), scale: fromArray([NaN]) }, { strict: false })).toThrow(
      /scale holds a non-finite value/,
    );
    expect(net.scale.value.toArray()).toEqual(before);
    expect(() => net.loadStateDict({ scale: [1] as unknown as Tensor }, { strict: false })).toThrow(/entry scale is not a Tensor/);
    expect(() => net.loadStateDict(null as unknown as Record<string, Tensor>)).toThrow(FormatError);
  });

  it("propagates train() and eval() to every descendant", () => {
    const net = new Net();
    expect(net.namedModules().every(([, m]) => m.training)).toBe(true);
    expect(net.eval()).toBe(net);
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    net.train();
    expect(net.namedModules().every(([, m]) => m.training)).toBe(true);
    net.train(false);
    expect(net.body.at(2).training).toBe(false);
  });

  it("zeroGrad clears every parameter's gradient", () => {
    const net = new Net();
    for (const p of net.parameters()) p.grad.fill(1);
    net.zeroGrad();
    for (const p of net.parameters()) expect(p.grad.toArray().every((v) => v === 0)).toBe(true);
  });

  it("refuses duplicate or invalid registration names", () => {
    class Bad extends Module {
      constructor(name: string, twice: boolean) {
        super();
        this.registerParameter(name, new Parameter(fromArray([1])));
        if (twice) this.registerBuffer(name, fromArray([1]));
      }
    }
    expect(() => new Bad("w", true)).toThrow('Bad: name "w" is registered already');
    expect(() => new Bad("a.b", false)).toThrow('Bad: invalid registration name "a.b"');
  });
});
