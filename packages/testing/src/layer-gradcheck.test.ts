import { ArgumentError, Rng, Tensor, matmul, randn } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assertLayerGradcheck, layerGradcheck, type GradcheckableLayer } from "./index.js";

const f64 = (shape: number[], seed: number) => randn(shape, new Rng(seed), { dtype: "float64" });

class Param {
  readonly grad: Tensor;
  requiresGrad = true;
  constructor(readonly value: Tensor) {
    this.grad = new Tensor(value.dtype, value.shape);
  }
}

type Bug = "none" | "bias-first-row-only" | "dx-transposed-sign" | "no-accumulate";

/**
 * A minimal Linear layer written the way @unetkit/layers writes them (y = x W^T + b, gradients
 * accumulate with +=), with optional deliberate bugs.
 */
class TinyLinear implements GradcheckableLayer {
  readonly weight: Param;
  readonly bias: Param;
  private saved: Tensor | null = null;
  zeroGradCalls = 0;
  constructor(inF: number, outF: number, seed: number, readonly bug: Bug = "none") {
    this.weight = new Param(f64([outF, inF], seed));
    this.bias = new Param(f64([outF], seed + 1));
  }
  forward(x: Tensor): Tensor {
    this.saved = x;
    const y = matmul(x, this.weight.value, { transB: true });
    const [n, o] = y.shape;
    for (let i = 0; i < n; i++) for (let j = 0; j < o; j++) y.data[i * o + j] += this.bias.value.data[j];
    return y;
  }
  backward(dy: Tensor): Tensor {
    const x = this.saved;
    if (!x) throw new Error("backward without forward");
    this.saved = null;
    const [n, o] = dy.shape;
    const dw = matmul(dy, x, { transA: true });
    for (let i = 0; i < dw.size; i++) {
      if (this.bug === "no-accumulate") this.weight.grad.data[i] = dw.data[i];
      else this.weight.grad.data[i] += dw.data[i];
    }
    const rows = this.bug === "bias-first-row-only" ? 1 : n;
    for (let i = 0; i < rows; i++) for (let j = 0; j < o; j++) this.bias.grad.data[j] += dy.data[i * o + j];
    const dx = matmul(dy, this.weight.value);
    if (this.bug === "dx-transposed-sign") dx.data[0] = -dx.data[0];
    return dx;
  }
  zeroGrad(): void {
    this.zeroGradCalls++;
    this.weight.grad.data.fill(0);
    this.bias.grad.data.fill(0);
  }
  namedParameters(): [string, Param][] {
    return [
      ["weight", this.weight],
      ["bias", this.bias],
    ];
  }
}

describe("layerGradcheck", () => {
  it("passes on a correct layer, checking dx and every parameter (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 1e6 }),
        (n, inF, outF, seed) => {
          const layer = new TinyLinear(inF, outF, seed);
          const report = assertLayerGradcheck(layer, f64([n, inF], seed + 2), { seed });
          expect(report.perInput.map((p) => p.name)).toEqual(["input", "weight", "bias"]);
          expect(report.checked).toBe(n * inF + outF * inF + outF);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("fails on a wrong parameter gradient and names the parameter", () => {
    const layer = new TinyLinear(3, 2, 1, "bias-first-row-only");
    const report = layerGradcheck(layer, f64([4, 3], 5));
    expect(report.ok).toBe(false);
    expect(report.worst?.input).toBe("bias");
    expect(report.perInput.find((p) => p.name === "weight")!.maxRelError).toBeLessThan(1e-6);
    expect(() => assertLayerGradcheck(layer, f64([4, 3], 5))).toThrow(/^TinyLinear: gradcheck FAILED[\s\S]*worst: bias\[/);
    expect(() => assertLayerGradcheck(layer, f64([4, 3], 5), { label: "Linear(3, 2)" })).toThrow(/^Linear\(3, 2\): /);
  });

  it("fails on a wrong input gradient and points at the coordinate", () => {
    const report = layerGradcheck(new TinyLinear(3, 2, 1, "dx-transposed-sign"), f64([4, 3], 5));
    expect(report.ok).toBe(false);
    expect(report.failed).toBe(1);
    expect(report.worst).toMatchObject({ input: "input", index: [0, 0] });
  });

  it("zeroes gradients before the analytic pass, so accumulation is checked from zero", () => {
    const layer = new TinyLinear(3, 2, 1);
    layer.weight.grad.data.fill(100); // stale gradient from an earlier step
    expect(layerGradcheck(layer, f64([4, 3], 5)).ok).toBe(true);
    expect(layer.zeroGradCalls).toBe(1);
    // A layer that overwrites instead of accumulating is not caught by one pass (it is by the layer's own tests).
    expect(layerGradcheck(new TinyLinear(3, 2, 1, "no-accumulate"), f64([4, 3], 5)).ok).toBe(true);
  });

  it("skips parameters with requiresGrad false and the input when checkInput is false", () => {
    const layer = new TinyLinear(3, 2, 1, "bias-first-row-only");
    layer.bias.requiresGrad = false;
    const report = layerGradcheck(layer, f64([4, 3], 5), { checkInput: false });
    expect(report.ok).toBe(true);
    expect(report.perInput.map((p) => p.name)).toEqual(["weight"]);
  });

  it("samples coordinates, restores parameters, and refuses what it cannot check", () => {
    const layer = new TinyLinear(6, 5, 2);
    const w0 = layer.weight.value.data.slice();
    const x = f64([3, 6], 3);
    const x0 = x.data.slice();
    const report = layerGradcheck(layer, x, { maxChecksPerInput: 4 });
    expect(report.ok).toBe(true);
    expect(report.perInput.map((p) => p.checked)).toEqual([4, 4, 4]);
    expect(layer.weight.value.data).toEqual(w0);
    expect(x.data).toEqual(x0);
    expect(() => layerGradcheck({} as GradcheckableLayer, x)).toThrow(ArgumentError);
    expect(() => layerGradcheck(layer, x.astype("float32"))).toThrow(/float64/);
    const bare = new TinyLinear(3, 2, 1);
    bare.weight.requiresGrad = false;
    bare.bias.requiresGrad = false;
    expect(() => layerGradcheck(bare, f64([1, 3], 0), { checkInput: false })).toThrow(/nothing to check/);
  });
});
