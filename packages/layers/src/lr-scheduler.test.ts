import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, FormatError, Tensor } from "@unetkit/tensor";
import { Adam } from "./adam.js";
import { CosineAnnealingLR } from "./cosine-annealing-lr.js";
import { LinearLR } from "./linear-lr.js";
import type { LRScheduler } from "./lr-scheduler.js";
import type { Optimizer } from "./optimizer.js";
import { Parameter } from "./parameter.js";
import { SGD } from "./sgd.js";
import { SequentialLR } from "./sequential-lr.js";
import { StepLR } from "./step-lr.js";
import { fixture, maxRelError } from "../test/loss-helpers.js";

const fx = fixture("lr-schedules");

function sgd(lr = 0.1): SGD {
  return new SGD([new Parameter(new Tensor("float64", [1]))], { lr });
}

function sequence(opt: Optimizer, sched: LRScheduler, n: number): number[] {
  const out = [sched.getLastLr()];
  for (let i = 0; i < n; i++) {
    opt.step();
    sched.step();
    out.push(sched.getLastLr());
    expect(opt.lr).toBe(sched.getLastLr());
  }
  return out;
}

describe("LR schedules: torch's get_last_lr() sequences", () => {
  const cases: [string, (o: Optimizer) => LRScheduler][] = [
    ["step_lr", (o) => new StepLR(o, { stepSize: 3, gamma: 0.5 })],
    ["step_lr_default_gamma", (o) => new StepLR(o, { stepSize: 2 })],
    ["cosine", (o) => new CosineAnnealingLR(o, { tMax: 5, etaMin: 0.01 })],
    ["cosine_zero_min", (o) => new CosineAnnealingLR(o, { tMax: 8 })],
    ["linear", (o) => new LinearLR(o, { startFactor: 0.25, totalIters: 4 })],
  ];
  for (const [name, build] of cases) {
    it(`${name} matches torch`, () => {
      const want = fx.tensors[name];
      const opt = sgd();
      const got = sequence(opt, build(opt), want.size - 1);
      expect(maxRelError(new Tensor("float64", [got.length], Float64Array.from(got)), want)).toBeLessThan(1e-14);
    });
  }

  it("Adam driven by StepLR matches torch parameter for parameter", () => {
    const p = new Parameter(fx.tensors.adam_steplr_init.clone());
    const opt = new Adam([p], { lr: 0.05 });
    const sched = new StepLR(opt, { stepSize: 2, gamma: 0.3 });
    for (let e = 0; e < 6; e++) {
      p.grad.data.set(fx.tensors[`adam_steplr_grad_${e}`].data);
      opt.step();
      sched.step();
      expect(maxRelError(p.value, fx.tensors[`adam_steplr_param_${e}`])).toBeLessThan(1e-13);
    }
  });

  it("StepLR and CosineAnnealingLR agree with their closed forms", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.double({ min: 0, max: 0.01, noNaN: true }),
        (k, gamma, etaMin) => {
          const o1 = sgd(0.1);
          const step = sequence(o1, new StepLR(o1, { stepSize: k, gamma }), 3 * k + 1);
          step.forEach((lr, e) => expect(lr).toBeCloseTo(0.1 * gamma ** Math.floor(e / k), 12));
          const o2 = sgd(0.1);
          const cos = sequence(o2, new CosineAnnealingLR(o2, { tMax: k, etaMin }), k);
          cos.forEach((lr, e) => expect(lr).toBeCloseTo(etaMin + ((0.1 - etaMin) * (1 + Math.cos((Math.PI * e) / k))) / 2, 12));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("LR schedules: state dict and errors", () => {
  it("a round trip of optimizer and scheduler mid-run continues identically", () => {
    const build = (o: Optimizer) => new CosineAnnealingLR(o, { tMax: 7, etaMin: 0.001 });
    const optA = sgd();
    const a = build(optA);
    sequence(optA, a, 4);
    const savedOpt = optA.stateDict();
    const savedSched = a.stateDict();
    const restA = sequence(optA, a, 6);
    const optB = sgd(0.7);
    const b = new CosineAnnealingLR(optB, { tMax: 2 });
    optB.loadStateDict(savedOpt);
    b.loadStateDict(savedSched);
    expect(b.lastEpoch).toBe(4);
    expect(sequence(optB, b, 6)).toEqual(restA);
  });

  it("several schedulers on one optimizer share the first one's base lr (PyTorch's initial_lr)", () => {
    const opt = sgd(0.1);
    const warm = new LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
    const cos = new CosineAnnealingLR(opt, { tMax: 10 });
    expect(warm.baseLr).toBe(0.1);
    expect(cos.baseLr).toBe(0.1);
    expect(opt.stateDict().initialLr).toBe(0.1);
  });

  it("refuses bad options and foreign state dicts", () => {
    const opt = sgd();
    expect(() => new StepLR(opt, { stepSize: 0 })).toThrow("StepLR: stepSize must be an integer in [1, ∞] (got 0)");
    expect(() => new StepLR(opt, { stepSize: 2.5 })).toThrow(ArgumentError);
    expect(() => new StepLR(opt, { stepSize: 2, gamma: -1 })).toThrow(/gamma/);
    expect(() => new CosineAnnealingLR(opt, { tMax: 0 })).toThrow(/tMax/);
    expect(() => new CosineAnnealingLR(opt, { tMax: 3, etaMin: Number.NaN })).toThrow(/etaMin/);
    expect(() => new LinearLR(opt, { startFactor: 0 })).toThrow(/startFactor/);
    expect(() => new LinearLR(opt, { endFactor: 2 })).toThrow(/endFactor/);
    expect(() => new StepLR({} as Optimizer, { stepSize: 1 })).toThrow(/must be an Optimizer/);
    const step = new StepLR(opt, { stepSize: 2 });
    const cos = new CosineAnnealingLR(opt, { tMax: 3 });
    expect(() => cos.loadStateDict(step.stateDict())).toThrow("CosineAnnealingLR.loadStateDict: state dict is for StepLR, not CosineAnnealingLR");
    expect(() => step.loadStateDict({ ...step.stateDict(), lastEpoch: -3 })).toThrow(FormatError);
    expect(() => step.loadStateDict({ ...step.stateDict(), lastEpoch: 1.5 })).toThrow(/bad lastEpoch/);
    expect(() => step.loadStateDict({ ...step.stateDict(), options: { stepSize: 0 } })).toThrow(/bad options/);
  });
});

describe("SequentialLR and chained schedules", () => {
  it("warmup then cosine, and three stages, match torch's SequentialLR", () => {
    for (const [name, build] of [
      [
        "sequential_warmup_cosine",
        (o: Optimizer) =>
          new SequentialLR(o, {
            schedulers: [new LinearLR(o, { startFactor: 0.1, totalIters: 3 }), new CosineAnnealingLR(o, { tMax: 7, etaMin: 1e-3 })],
            milestones: [3],
          }),
      ],
      [
        "sequential_three",
        (o: Optimizer) =>
          new SequentialLR(o, {
            schedulers: [
              new LinearLR(o, { startFactor: 0.5, totalIters: 2 }),
              new StepLR(o, { stepSize: 2, gamma: 0.5 }),
              new CosineAnnealingLR(o, { tMax: 4 }),
            ],
            milestones: [2, 5],
          }),
      ],
    ] as const) {
      const want = fx.tensors[name];
      const opt = sgd();
      const got = sequence(opt, build(opt), want.size - 1);
      expect(maxRelError(new Tensor("float64", [got.length], Float64Array.from(got)), want), name).toBeLessThan(1e-14);
    }
  });

  it("two schedules stepped together match torch (ChainedScheduler behaviour)", () => {
    const want = fx.tensors.chained_warmup_cosine;
    const opt = sgd();
    const warm = new LinearLR(opt, { startFactor: 0.2, totalIters: 3 });
    const cos = new CosineAnnealingLR(opt, { tMax: 8, etaMin: 0.001 });
    const got = [opt.lr];
    for (let e = 0; e < want.size - 1; e++) {
      opt.step();
      warm.step();
      cos.step();
      got.push(opt.lr);
    }
    expect(maxRelError(new Tensor("float64", [got.length], Float64Array.from(got)), want)).toBeLessThan(1e-14);
  });

  it("stepTo uses the closed form, and a SequentialLR round trip continues identically", () => {
    const opt = sgd();
    const cos = new CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.01 });
    cos.stepTo(5);
    expect(opt.lr).toBeCloseTo(0.01 + (0.09 * (1 + Math.cos(Math.PI / 2))) / 2, 15);
    expect(() => cos.stepTo(-1)).toThrow(ArgumentError);

    const make = (o: Optimizer) =>
      new SequentialLR(o, {
        schedulers: [new LinearLR(o, { startFactor: 0.1, totalIters: 3 }), new CosineAnnealingLR(o, { tMax: 7 })],
        milestones: [3],
      });
    const optA = sgd();
    const a = make(optA);
    sequence(optA, a, 2);
    const saved = [optA.stateDict(), a.stateDict()] as const;
    const rest = sequence(optA, a, 8);
    const optB = sgd(0.3);
    const b = make(optB);
    optB.loadStateDict(saved[0]);
    b.loadStateDict(saved[1]);
    expect(sequence(optB, b, 8)).toEqual(rest);
    const plain = new StepLR(sgd(), { stepSize: 2 });
    expect(() => plain.loadStateDict({ ...plain.stateDict(), children: [] })).toThrow(FormatError);
  });

  it("refuses bad milestones and foreign schedulers", () => {
    const opt = sgd();
    const w = new LinearLR(opt);
    const c = new CosineAnnealingLR(opt, { tMax: 5 });
    expect(() => new SequentialLR(opt, { schedulers: [w, c], milestones: [] })).toThrow(/milestones must list 1 epoch/);
    expect(() => new SequentialLR(opt, { schedulers: [w, c], milestones: [0] })).toThrow(/increasing positive integers/);
    expect(() => new SequentialLR(opt, { schedulers: [], milestones: [] })).toThrow(/non-empty/);
    const other = new StepLR(sgd(), { stepSize: 1 });
    expect(() => new SequentialLR(opt, { schedulers: [w, other], milestones: [2] })).toThrow(/another optimizer/);
    expect(() => new SequentialLR(opt, { schedulers: [w, c], milestones: [2] }).closedFormLr()).toThrow(/no closed form/);
  });
});
