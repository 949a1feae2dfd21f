import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, FormatError, Rng, Tensor, randn, type DType } from "@unetkit/tensor";
import { Adam } from "./adam.js";
import { AdamW } from "./adamw.js";
import type { Optimizer } from "./optimizer.js";
import { Parameter } from "./parameter.js";
import { SGD } from "./sgd.js";
import { fixture, maxRelError } from "../test/loss-helpers.js";

type Config = { name: string; type: "SGD" | "Adam" | "AdamW"; options: Record<string, unknown> };

function make(type: Config["type"], params: Parameter[], options: Record<string, unknown>): Optimizer {
  if (type === "SGD") return new SGD(params, options as unknown as { lr: number });
  if (type === "Adam") return new Adam(params, options);
  return new AdamW(params, options);
}

describe("optimizers: PyTorch fixtures (fixed gradient sequence)", () => {
  const fx = fixture("optim");
  const configs = fx.meta.configs as Config[];
  const steps = fx.meta.steps as number;
  const nParams = fx.meta.params as number;
  for (const cfg of configs) {
    it(`${cfg.type} ${cfg.name} matches torch.optim in float64 and float32`, () => {
      for (const [dtype, tag, tol] of [["float64", "f64", 1e-13], ["float32", "f32", 1e-5]] as const) {
        const params = Array.from({ length: nParams }, (_, j) => new Parameter(fx.tensors[`init_${j}`].astype(dtype)));
        const opt = make(cfg.type, params, cfg.options);
        for (let s = 0; s < steps; s++) {
          params.forEach((p, j) => p.grad.data.set(fx.tensors[`grad_${s}_${j}`].data));
          opt.step();
          params.forEach((p, j) => {
            expect(p.value.dtype).toBe(dtype);
            const err = maxRelError(p.value, fx.tensors[`${cfg.name}_${tag}_${s}_${j}`]);
            expect(err, `${tag} step ${s} param ${j}`).toBeLessThan(tol);
          });
        }
      }
    });
  }
});

function run(opt: Optimizer, params: Parameter[], rng: Rng, steps: number): void {
  for (let s = 0; s < steps; s++) {
    for (const p of params) rng.fillNormal(p.grad.data);
    opt.step();
  }
}

describe("optimizers: state dict", () => {
  const configs: [Config["type"], Record<string, unknown>][] = [
    ["SGD", { lr: 0.1 }],
    ["SGD", { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }],
    ["Adam", { lr: 0.01 }],
    ["Adam", { lr: 0.01, amsgrad: true, weightDecay: 0.1 }],
    ["AdamW", { lr: 0.01, betas: [0.8, 0.95] }],
  ];

  it("a round trip mid-run continues bit for bit (float32 and float64)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...configs),
        fc.constantFrom<DType>("float32", "float64"),
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 1, max: 4 }),
        ([type, options], dtype, seed, before) => {
          const init = [randn([3, 2], new Rng(seed), { dtype }), randn([4], new Rng(seed + 1), { dtype })];
          const a = init.map((t) => new Parameter(t.clone()));
          const optA = make(type, a, options);
          run(optA, a, new Rng(seed + 2), before);
          const saved = optA.stateDict();
          const savedValues = a.map((p) => p.value.clone());
          const gradRng = new Rng(seed + 3);
          run(optA, a, gradRng.clone(), 3);

          const b = savedValues.map((t) => new Parameter(t.clone()));
          const optB = make(type, b, type === "SGD" ? { lr: 1 } : {});
          optB.loadStateDict(saved);
          expect(optB.lr).toBe(optA.lr);
          run(optB, b, gradRng.clone(), 3);
          a.forEach((p, j) => expect(Array.from(b[j].value.data)).toEqual(Array.from(p.value.data)));
        },
      ),
      { numRuns: 30 },
    );
  });

  it("stateDict is a deep copy with PyTorch's buffer names and per-parameter step counts", () => {
    const p = new Parameter(randn([2, 2], new Rng(1), { dtype: "float64" }));
    const frozen = new Parameter(randn([3], new Rng(2), { dtype: "float64" }));
    frozen.requiresGrad = false;
    const opt = new Adam([p, frozen], { amsgrad: true });
    run(opt, [p, frozen], new Rng(3), 2);
    const sd = opt.stateDict();
    expect(sd.type).toBe("Adam");
    expect(sd.hyper).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false });
    expect(sd.state[1]).toBeNull();
    expect(sd.state[0]?.step).toBe(2);
    expect(Object.keys(sd.state[0]?.buffers ?? {}).sort()).toEqual(["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]);
    const before = sd.state[0]!.buffers.exp_avg.toArray();
    run(opt, [p, frozen], new Rng(4), 1);
    expect(sd.state[0]!.buffers.exp_avg.toArray()).toEqual(before);
    const sgd = new SGD([p], { lr: 0.1, momentum: 0.9 });
    run(sgd, [p], new Rng(5), 1);
    expect(Object.keys(sgd.stateDict().state[0]!.buffers)).toEqual(["momentum_buffer"]);
  });

  it("loadStateDict refuses a mismatched dict with a FormatError and changes nothing", () => {
    const params = [new Parameter(randn([2, 3], new Rng(1))), new Parameter(randn([4], new Rng(2)))];
    const opt = new Adam(params, { lr: 0.01 });
    run(opt, params, new Rng(3), 2);
    const sd = opt.stateDict();
    const fresh = () => new Adam([new Parameter(randn([2, 3], new Rng(1))), new Parameter(randn([4], new Rng(2)))], { lr: 0.5 });

    const fewer = new Adam([new Parameter(randn([2, 3], new Rng(1)))]);
    expect(() => fewer.loadStateDict(sd)).toThrow(FormatError);
    expect(() => fewer.loadStateDict(sd)).toThrow("Adam.loadStateDict: state dict has 2 parameter states but the optimizer has 1 parameters");

    const wrongShape = new Adam([new Parameter(randn([3, 2], new Rng(1))), new Parameter(randn([4], new Rng(2)))]);
    expect(() => wrongShape.loadStateDict(sd)).toThrow(/buffer exp_a\w+ has shape \[2,3\] but parameter 0 has shape \[3,2\]/);

    const target = fresh();
    expect(() => new SGD(target.params, { lr: 1 }).loadStateDict(sd)).toThrow("SGD.loadStateDict: state dict is for Adam, not SGD");
    expect(() => new AdamW(target.params).loadStateDict(sd)).toThrow(FormatError);
    const badBetas = { ...sd, hyper: { ...sd.hyper, betas: [1.5, 0.9] } };
    expect(() => target.loadStateDict(badBetas)).toThrow(/bad hyperparameters: Adam: betas\[0\] must be a finite number in \[0, 1\)/);
    const badStep = { ...sd, state: [{ ...sd.state[0]!, step: -1 }, sd.state[1]] };
    expect(() => target.loadStateDict(badStep)).toThrow(/bad step count/);
    const nanBuf = sd.state[0]!.buffers.exp_avg.clone();
    nanBuf.data[0] = Number.NaN;
    const badBuf = { ...sd, state: [{ step: 2, buffers: { ...sd.state[0]!.buffers, exp_avg: nanBuf } }, sd.state[1]] };
    expect(() => target.loadStateDict(badBuf)).toThrow(/non-finite/);
    const amsgradDict = { ...sd, hyper: { ...sd.hyper, amsgrad: true } };
    expect(() => target.loadStateDict(amsgradDict)).toThrow(/expects \[exp_avg, exp_avg_sq, max_exp_avg_sq\]/);
    expect(() => target.loadStateDict({} as never)).toThrow(FormatError);
    // Nothing changed by the refused loads.
    expect(target.lr).toBe(0.5);
    expect(target.stateDict().state).toEqual([null, null]);
    expect(target.options.amsgrad).toBe(false);
  });
});

describe("optimizers: behaviour and errors", () => {
  it("skips parameters with requiresGrad false and uses a changed lr on the next step", () => {
    const a = new Parameter(new Tensor("float64", [2]).fill(1));
    const b = new Parameter(new Tensor("float64", [2]).fill(1));
    b.requiresGrad = false;
    const opt = new SGD([a, b], { lr: 0.5 });
    a.grad.fill(1);
    b.grad.fill(1);
    opt.step();
    expect(a.value.toArray()).toEqual([0.5, 0.5]);
    expect(b.value.toArray()).toEqual([1, 1]);
    opt.lr = 0.25;
    opt.step();
    expect(a.value.toArray()).toEqual([0.25, 0.25]);
    opt.zeroGrad();
    expect(a.grad.toArray()).toEqual([0, 0]);
    expect(b.grad.toArray()).toEqual([0, 0]);
  });

  it("refuses bad hyperparameters, parameter lists and gradients", () => {
    const p = new Parameter(new Tensor("float32", [2]));
    expect(() => new SGD([p], { lr: -0.1 })).toThrow("SGD: lr must be a finite number >= 0 (got -0.1)");
    expect(() => new SGD([p], {} as { lr: number })).toThrow(/lr is required/);
    expect(() => new SGD([p], { lr: 0.1, momentum: -1 })).toThrow(/momentum/);
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/Nesterov/);
    expect(() => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/Nesterov/);
    expect(() => new Adam([p], { betas: [0.9, 1] })).toThrow("Adam: betas[1] must be a finite number in [0, 1) (got 1)");
    expect(() => new AdamW([p], { betas: [-0.1, 0.9] })).toThrow(/AdamW: betas\[0\]/);
    expect(() => new Adam([p], { eps: -1 })).toThrow(/eps/);
    expect(() => new Adam([p], { weightDecay: Number.NaN })).toThrow(/weightDecay/);
    expect(() => new Adam([p], { lr: Number.POSITIVE_INFINITY })).toThrow(ArgumentError);
    expect(() => new Adam([])).toThrow(/empty parameter list/);
    expect(() => new Adam([p, p])).toThrow(/appears more than once/);
    expect(() => new Adam([{} as Parameter])).toThrow(/not a Parameter/);
    const opt = new Adam([p]);
    expect(() => {
      opt.lr = -1;
    }).toThrow(ArgumentError);
    p.grad.data[1] = Number.NaN;
    expect(() => opt.step()).toThrow("Adam.step: params[0] [2] has a non-finite gradient (NaN) at flat index 1");
    expect(p.value.toArray()).toEqual([0, 0]);
    // the first non-finite element is named wherever it is (in the 4-wide sums or the tail), and nothing moves
    const q = new Parameter(new Tensor("float32", [3, 3]));
    const sgd = new SGD([p, q], { lr: 0.1, momentum: 0.9 });
    p.grad.data[1] = 0;
    q.grad.data.fill(1);
    q.grad.data[6] = Number.NEGATIVE_INFINITY;
    q.grad.data[2] = Number.POSITIVE_INFINITY;
    expect(() => sgd.step()).toThrow("SGD.step: params[1] [3,3] has a non-finite gradient (Infinity) at flat index 2");
    q.grad.data[2] = 1;
    expect(() => sgd.step()).toThrow("SGD.step: params[1] [3,3] has a non-finite gradient (-Infinity) at flat index 6");
    expect(q.value.toArray()).toEqual(Array(9).fill(0));
  });

  it("AdamW defaults to weightDecay 1e-2 and decays decoupled from the gradient", () => {
    const p = new Parameter(new Tensor("float64", [1]).fill(2));
    const opt = new AdamW([p], { lr: 0.1 });
    expect(opt.options.weightDecay).toBe(0.01);
    opt.step(); // zero gradient: only the decay acts (the Adam step is 0 / (0 + eps) = 0)
    expect(p.value.data[0]).toBe(2 * (1 - 0.1 * 0.01));
    const q = new Parameter(new Tensor("float64", [1]).fill(2));
    new Adam([q], { lr: 0.1, weightDecay: 0.01 }).step(); // L2 through the gradient: a full Adam step
    expect(q.value.data[0]).toBeCloseTo(2 - 0.1, 6);
  });
});

describe("SGD with momentum, float32", () => {
  /** The update as PyTorch states it, element by element: the buffer stored (rounded), then read back. */
  function reference(p: Float32Array, g: Float32Array, b: Float32Array, first: boolean, o: { lr: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number; maximize: boolean }) {
    for (let k = 0; k < p.length; k++) {
      const d = (o.maximize ? -1 : 1) * g[k] + o.weightDecay * p[k];
      b[k] = first ? d : o.momentum * b[k] + (1 - o.dampening) * d;
      const u = o.nesterov ? d + o.momentum * b[k] : b[k];
      p[k] = p[k] - o.lr * u;
    }
  }

  it("steps bit for bit as the element-by-element update (momentum, dampening, weight decay, maximize, Nesterov)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(0.5, 0.9, 0.99),
        fc.constantFrom(0, 0.1), fc.constantFrom(0, 1e-3), fc.boolean(), fc.boolean(),
        (n, seed, momentum, dampening, weightDecay, maximize, nesterov) => {
          if (nesterov && dampening !== 0) return;
          const o = { lr: 0.03, momentum, dampening, nesterov, weightDecay, maximize };
          const param = new Parameter(randn([n], new Rng(seed)));
          const opt = new SGD([param], o);
          const p = param.value.data.slice() as Float32Array;
          const b = new Float32Array(n);
          const rng = new Rng(seed + 1);
          for (let s = 0; s < 4; s++) {
            rng.fillNormal(param.grad.data);
            reference(p, param.grad.data as Float32Array, b, s === 0, o);
            opt.step();
            expect(param.value.data).toEqual(p);
            expect(opt.stateDict().state[0]!.buffers.momentum_buffer.data).toEqual(b);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
