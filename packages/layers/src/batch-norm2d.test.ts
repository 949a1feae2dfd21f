import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArgumentError, Rng, ShapeError, Tensor, randn } from "@unetkit/tensor";
import { assertLayerGradcheck } from "@unetkit/testing";
import { expectMatches, layerFixture, stateOf, tensorOf } from "../test/fixture-helpers.js";
import { BatchNorm2D, batchNormStatistics } from "./batch-norm2d.js";
import { ReLU } from "./relu.js";

function randomAffine(bn: BatchNorm2D, rng: Rng): void {
  rng.fillUniform(bn.weight!.value.data, 0.5, 1.5);
  rng.fillNormal(bn.bias!.value.data);
}

const shapeArb = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  c: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 4 }),
  w: fc.integer({ min: 1, max: 5 }),
  seed: fc.integer({ min: 0, max: 10_000 }),
}).filter((s) => s.n * s.h * s.w > 1);

describe("BatchNorm2D gradients", () => {
  it("training-mode backward matches float64 central differences", () => {
    fc.assert(
      fc.property(shapeArb, (s) => {
        const rng = new Rng(s.seed);
        const bn = new BatchNorm2D(s.c, { dtype: "float64" });
        randomAffine(bn, rng);
        const x = randn([s.n, s.c, s.h, s.w], rng, { dtype: "float64", mean: 0.5, std: 2 });
        assertLayerGradcheck(bn, x, { seed: s.seed, maxChecksPerInput: 40 });
      }),
      { numRuns: 20 },
    );
  });

  it("eval-mode backward (per-channel affine map) matches central differences", () => {
    fc.assert(
      fc.property(shapeArb, (s) => {
        const rng = new Rng(s.seed);
        const bn = new BatchNorm2D(s.c, { dtype: "float64" });
        randomAffine(bn, rng);
        rng.fillNormal(bn.runningMean!.data);
        rng.fillUniform(bn.runningVar!.data, 0.5, 2);
        bn.eval();
        const x = randn([s.n, s.c, s.h, s.w], rng, { dtype: "float64" });
        assertLayerGradcheck(bn, x, { seed: s.seed, maxChecksPerInput: 40 });
      }),
      { numRuns: 15 },
    );
  });

  it("without affine parameters or running statistics, still matches", () => {
    const rng = new Rng(1);
    const x = randn([2, 3, 3, 2], rng, { dtype: "float64" });
    assertLayerGradcheck(new BatchNorm2D(3, { affine: false, dtype: "float64" }), x);
    const noTrack = new BatchNorm2D(3, { trackRunningStats: false, dtype: "float64" }).eval();
    assertLayerGradcheck(noTrack, x);
  });
});

describe("BatchNorm2D statistics", () => {
  it("computes the batch mean and biased variance accurately even with a large offset", () => {
    const rng = new Rng(3);
    const x = randn([4, 2, 5, 5], rng, { dtype: "float64", mean: 1e6, std: 1e-2 });
    const { mean, variance } = batchNormStatistics(x);
    for (let c = 0; c < 2; c++) {
      let s = 0;
      for (let n = 0; n < 4; n++) for (let i = 0; i < 25; i++) s += x.data[(n * 2 + c) * 25 + i];
      const m = s / 100;
      let v = 0;
      for (let n = 0; n < 4; n++) for (let i = 0; i < 25; i++) v += (x.data[(n * 2 + c) * 25 + i] - m) ** 2;
      v /= 100;
      expect(Math.abs(mean[c] - m)).toBeLessThan(1e-9 * 1e6);
      expect(Math.abs(variance[c] - v) / v).toBeLessThan(1e-6);
    }
  });

  it("normalises each channel to mean 0 and variance 1 in training mode", () => {
    const rng = new Rng(4);
    const bn = new BatchNorm2D(3, { dtype: "float64" });
    const y = bn.forward(randn([4, 3, 4, 4], rng, { dtype: "float64", mean: 3, std: 5 }));
    const { mean, variance } = batchNormStatistics(y);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(mean[c])).toBeLessThan(1e-12);
      expect(variance[c]).toBeCloseTo(1, 4); // var/(var+eps)
    }
  });
});

describe("BatchNorm2D against PyTorch", () => {
  for (const name of ["momentum", "cumulative"]) {
    it(`matches torch.nn.BatchNorm2d over two training steps and in eval (${name})`, () => {
      const fx = layerFixture(`layer-batchnorm2d-${name}`);
      const bn = new BatchNorm2D(3, { momentum: (fx.meta.momentum as number | null) });
      bn.weight!.value.data.set(tensorOf(fx, "weight").data);
      bn.bias!.value.data.set(tensorOf(fx, "bias").data);
      for (const step of [1, 2]) {
        bn.zeroGrad();
        const y = bn.forward(tensorOf(fx, `x${step}`));
        expectMatches(y, tensorOf(fx, `y${step}`), `step ${step} y`);
        const dx = bn.backward(tensorOf(fx, `dy${step}`));
        expectMatches(dx, tensorOf(fx, `dx${step}`), `step ${step} dx`);
        expectMatches(bn.weight!.grad, tensorOf(fx, `dweight${step}`), `step ${step} dweight`);
        expectMatches(bn.bias!.grad, tensorOf(fx, `dbias${step}`), `step ${step} dbias`);
        expectMatches(bn.runningMean!, tensorOf(fx, `running_mean${step}`), `step ${step} running_mean`);
        expectMatches(bn.runningVar!, tensorOf(fx, `running_var${step}`), `step ${step} running_var`);
        expect(bn.numBatchesTracked!.item()).toBe(fx.ints[`num_batches_tracked${step}`].data[0]);
      }
      bn.eval();
      bn.zeroGrad();
      expectMatches(bn.forward(tensorOf(fx, "x_eval")), tensorOf(fx, "y_eval"), "eval y");
      expectMatches(bn.backward(tensorOf(fx, "dy_eval")), tensorOf(fx, "dx_eval"), "eval dx");
      expectMatches(bn.weight!.grad, tensorOf(fx, "dweight_eval"), "eval dweight");
      expectMatches(bn.bias!.grad, tensorOf(fx, "dbias_eval"), "eval dbias");
    });
  }

  it("has PyTorch's state-dict keys, in order, and loads num_batches_tracked", () => {
    const bn = new BatchNorm2D(2);
    expect(Object.keys(bn.stateDict())).toEqual(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    expect(bn.stateDict().num_batches_tracked.shape).toEqual([]);
    expect(Object.keys(new BatchNorm2D(2, { affine: false }).stateDict())).toEqual(["running_mean", "running_var", "num_batches_tracked"]);
    expect(Object.keys(new BatchNorm2D(2, { trackRunningStats: false }).stateDict())).toEqual(["weight", "bias"]);
    const fx = layerFixture("layer-basicblock-identity");
    const state = stateOf(fx, "state.bn1.");
    expect(() => bn.loadStateDict(new BatchNorm2D(4).stateDict())).toThrow(
      "BatchNorm2D.loadStateDict: weight has shape [4] but the model expects [2]",
    );
    const bn4 = new BatchNorm2D(4);
    bn4.loadStateDict(state);
    expect(bn4.numBatchesTracked!.item()).toBe(0);
    expectMatches(bn4.runningVar!, state.running_var, "loaded running_var");
  });
});

describe("BatchNorm2D behaviour and errors", () => {
  it("uses running statistics in eval mode and leaves them unchanged", () => {
    const bn = new BatchNorm2D(1);
    bn.runningMean!.data[0] = 2;
    bn.runningVar!.data[0] = 4;
    bn.eval();
    const y = bn.forward(new Tensor("float32", [1, 1, 1, 2], new Float32Array([2, 4])));
    expect(y.data[0]).toBeCloseTo(0, 6);
    expect(y.data[1]).toBeCloseTo(2 / Math.sqrt(4 + 1e-5), 6);
    expect(bn.runningMean!.data[0]).toBe(2);
    expect(bn.numBatchesTracked!.item()).toBe(0);
  });

  it("updates running_var with the unbiased variance and momentum as PyTorch", () => {
    const bn = new BatchNorm2D(1, { momentum: 0.5, dtype: "float64" });
    bn.forward(new Tensor("float64", [1, 1, 1, 4], new Float64Array([1, 2, 3, 4])));
    // batch mean 2.5, unbiased var 5/3
    expect(bn.runningMean!.data[0]).toBeCloseTo(0.5 * 0 + 0.5 * 2.5, 12);
    expect(bn.runningVar!.data[0]).toBeCloseTo(0.5 * 1 + 0.5 * (5 / 3), 12);
    expect(bn.numBatchesTracked!.item()).toBe(1);
  });

  it("refuses bad input with the layer name and shapes", () => {
    const bn = new BatchNorm2D(3);
    expect(() => bn.forward(new Tensor("float32", [2, 3, 4]))).toThrow(/BatchNorm2D: input must be 4-D NCHW \(got \[2,3,4\]\)/);
    expect(() => bn.forward(new Tensor("float32", [2, 4, 2, 2]))).toThrow(
      "BatchNorm2D: input has 4 channels, the layer expects 3 (input [2,4,2,2])",
    );
    expect(() => bn.forward(new Tensor("float32", [1, 3, 1, 1]))).toThrow(ShapeError);
    expect(() => bn.forward(new Tensor("float32", [1, 3, 1, 1]))).toThrow(/more than 1 value per channel/);
    expect(() => new BatchNorm2D(0)).toThrow(ArgumentError);
    expect(() => new BatchNorm2D(2.5)).toThrow(/BatchNorm2D: numFeatures must be a positive integer/);
    expect(() => new BatchNorm2D(2, { eps: 0 })).toThrow(ArgumentError);
    expect(() => new BatchNorm2D(2, { momentum: 1.5 })).toThrow(ArgumentError);
  });

  it("refuses backward without forward, twice, or with a wrong gradient shape", () => {
    const bn = new BatchNorm2D(2);
    expect(() => bn.backward(new Tensor("float32", [2, 2, 2, 2]))).toThrow(/BatchNorm2D: backward called without a matching forward/);
    bn.forward(randn([2, 2, 2, 2], new Rng(0)));
    expect(() => bn.backward(new Tensor("float32", [2, 2, 2, 3]))).toThrow(/gradient has shape \[2,2,2,3\] but the forward output was \[2,2,2,2\]/);
    bn.forward(randn([2, 2, 2, 2], new Rng(0)));
    bn.backward(new Tensor("float32", [2, 2, 2, 2]));
    expect(() => bn.backward(new Tensor("float32", [2, 2, 2, 2]))).toThrow(/backward called without a matching forward/);
  });
});

describe("BatchNorm2D momentum", () => {
  it("is assignable as in PyTorch: null averages the batch statistics exactly; bad values are refused", () => {
    const bn = new BatchNorm2D(2, { dtype: "float64" });
    bn.momentum = null;
    bn.resetRunningStats();
    const rng = new Rng(4);
    const xs = [randn([3, 2, 4, 4], rng, { dtype: "float64" }), randn([3, 2, 4, 4], rng, { dtype: "float64" })];
    for (const x of xs) bn.forward(x);
    const n = 3 * 16;
    for (let c = 0; c < 2; c++) {
      const stats = xs.map((x) => {
        let m = 0;
        for (let b = 0; b < 3; b++) for (let k = 0; k < 16; k++) m += x.data[(b * 2 + c) * 16 + k];
        m /= n;
        let v = 0;
        for (let b = 0; b < 3; b++) for (let k = 0; k < 16; k++) v += (x.data[(b * 2 + c) * 16 + k] - m) ** 2;
        return [m, v / (n - 1)];
      });
      expect(bn.runningMean!.data[c]).toBeCloseTo((stats[0][0] + stats[1][0]) / 2, 12);
      expect(bn.runningVar!.data[c]).toBeCloseTo((stats[0][1] + stats[1][1]) / 2, 12);
    }
    expect(() => (bn.momentum = 1.5)).toThrow(/momentum must be a number in \[0, 1\] or null/);
    bn.momentum = 0.1;
    expect(bn.momentum).toBe(0.1);
  });
});

describe("BatchNorm2D.forwardReLU / backwardReLU", () => {
  const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

  it("give ReLU after BatchNorm bit for bit: output, input gradient, parameter gradients, running statistics", () => {
    fc.assert(
      fc.property(shapeArb, fc.constantFrom("float32", "float64"), fc.boolean(), fc.boolean(), (s, dtype, training, affine) => {
        const rng = new Rng(s.seed);
        const make = () => {
          const bn = new BatchNorm2D(s.c, { dtype, affine });
          if (affine) randomAffine(bn, new Rng(s.seed + 1));
          bn.runningMean!.data.set(Array.from({ length: s.c }, (_, i) => i * 0.1));
          return training ? bn.train() : bn.eval();
        };
        const fused = make();
        const bn = make();
        const relu = new ReLU();
        const x = randn([s.n, s.c, s.h, s.w], rng, { dtype, std: 2 });
        // some exact zeros and negative zeros in the gradient, and inputs at the ReLU's edge
        const dy = randn(x.shape, rng, { dtype });
        dy.data[0] = -0;
        const y = fused.forwardReLU(x);
        const y0 = relu.forward(bn.forward(x));
        expect(sameBits(y.data, y0.data)).toBe(true);
        const dx = fused.backwardReLU(dy);
        const dx0 = bn.backward(relu.backward(dy));
        expect(sameBits(dx.data, dx0.data)).toBe(true);
        if (affine) {
          expect(sameBits(fused.weight!.grad.data, bn.weight!.grad.data)).toBe(true);
          expect(sameBits(fused.bias!.grad.data, bn.bias!.grad.data)).toBe(true);
        }
        expect(sameBits(fused.runningMean!.data, bn.runningMean!.data)).toBe(true);
        expect(sameBits(fused.runningVar!.data, bn.runningVar!.data)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it("refuses a backward that does not pair with the forward", () => {
    const x = randn([2, 2, 3, 3], new Rng(1));
    const bn = new BatchNorm2D(2);
    bn.forward(x);
    expect(() => bn.backwardReLU(x)).toThrow(/BatchNorm2D.backwardReLU: the last forward was forward, not forwardReLU/);
    bn.forwardReLU(x);
    expect(() => bn.backward(x)).toThrow(/BatchNorm2D.backward: the last forward was forwardReLU: use backwardReLU/);
  });
});
