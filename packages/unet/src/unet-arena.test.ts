import { SGD, crossEntropyLoss, labels } from "@unetkit/layers";
import { Arena, Rng, Tensor, getBackend, randn } from "@unetkit/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimpleUNet, UNet, type UNetOptions } from "./unet.js";

/** Three SGD steps on one batch; everything a step produces, as plain arrays. */
function train(options: UNetOptions, steps = 3) {
  const model = new UNet({ inChannels: 1, numClasses: 3, baseChannels: 4, depth: 2, seed: 7, ...options }).train();
  const rng = new Rng(3);
  const x = randn([2, 1, 16, 16], rng);
  const y = labels(Int32Array.from({ length: 2 * 16 * 16 }, () => rng.int(0, 3)), [2, 16, 16]);
  const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const history: Float32Array[] = [];
  const kept: Tensor[] = [];
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    const logits = model.forward(x);
    const loss = crossEntropyLoss(logits, y);
    const dx = model.backward(loss.grad);
    kept.push(logits, dx);
    history.push(Float32Array.of(loss.loss), logits.data.slice() as Float32Array, dx.data.slice() as Float32Array);
    for (const p of model.parameters()) history.push(p.grad.data.slice() as Float32Array);
    opt.step();
  }
  for (const [, b] of model.namedBuffers()) history.push(Float32Array.from(b.data));
  return { model, history, kept, keptCopies: kept.map((t) => t.data.slice()) };
}

describe("UNet arena", () => {
  // memory the ops take without zero-filling (empty()) is NaN: an op that reads before it writes
  // turns the results NaN, and they would differ from the run without an arena
  beforeAll(() => {
    Arena.poisonUninitialized = true;
  });
  afterAll(() => {
    Arena.poisonUninitialized = false;
  });

  it("gives the same bits as allocating every intermediate anew, over training steps", () => {
    const withArena = train({});
    const without = train({ arena: false });
    expect(withArena.model.usesArena).toBe(true);
    expect(without.model.usesArena).toBe(false);
    expect(without.model.arenaFloats).toBe(0);
    expect(withArena.history.length).toBe(without.history.length);
    withArena.history.forEach((a, i) => expect(a, `entry ${i}`).toEqual(without.history[i]));
  });

  it("returns logits and input gradients the caller owns: later passes never change them", () => {
    const { kept, keptCopies } = train({}, 4);
    kept.forEach((t, i) => {
      expect(t.data.byteOffset).toBe(0);
      expect(t.data.buffer.byteLength).toBe(t.size * 4);
      expect(t.data).toEqual(keptCopies[i]);
    });
  });

  it("reuses the same memory step after step", () => {
    const model = new SimpleUNet({ baseChannels: 4, seed: 1 }).train();
    const x = randn([2, 1, 16, 16], new Rng(0));
    const step = () => {
      const logits = model.forward(x);
      model.backward(logits); // any gradient of the right shape
    };
    step();
    step();
    const reserved = model.arenaFloats;
    expect(reserved).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) step();
    expect(model.arenaFloats).toBe(reserved);
    model.eval();
    for (let i = 0; i < 3; i++) model.forward(x);
    expect(model.arenaFloats).toBe(reserved);
  });

  it("takes a new arena when the backend changes, and float64 models run without one", () => {
    const model = new SimpleUNet({ baseChannels: 2, seed: 1 });
    model.forward(randn([1, 1, 8, 8], new Rng(0)));
    expect(model.arenaFloats).toBeGreaterThan(0);
    const f64 = new SimpleUNet({ baseChannels: 2, seed: 1, dtype: "float64" });
    expect(f64.usesArena).toBe(false);
    expect(f64.forward(randn([1, 1, 8, 8], new Rng(0), { dtype: "float64" })).dtype).toBe("float64");
    expect(getBackend()).toBeDefined();
    expect(() => new SimpleUNet({ arena: "yes" as unknown as boolean })).toThrow(/UNet: arena must be a boolean \(got yes\)/);
  });
});
