import { describe, expect, it } from "vitest";
import { Rng, randn } from "@unetkit/tensor";
import { BasicBlock, BatchNorm2D, Conv2D, Flatten, GlobalAvgPool2D, Linear, MaxPool2D, ReLU, Sequential } from "./index.js";

describe("README example", () => {
  it("runs as written and gives the shapes and keys it states", () => {
    const rng = new Rng(0);
    const net = new Sequential(
      new Conv2D(3, 16, 3, { padding: 1, bias: false, rng }),
      new BatchNorm2D(16),
      new ReLU(),
      new MaxPool2D(3, { stride: 2, padding: 1 }),
      new BasicBlock(16, 32, { stride: 2, rng }),
      new GlobalAvgPool2D(),
      new Flatten(),
      new Linear(32, 10, { rng }),
    );
    const x = randn([4, 3, 32, 32], rng);
    const logits = net.forward(x);
    expect(logits.shape).toEqual([4, 10]);
    const dx = net.backward(randn([4, 10], rng));
    expect(dx.shape).toEqual([4, 3, 32, 32]);
    expect(Object.keys(net.stateDict()).slice(0, 4)).toEqual(["0.weight", "1.weight", "1.bias", "1.running_mean"]);
    expect(net.parameters().some((p) => p.grad.data.some((v) => v !== 0))).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad.data.every((v) => v === 0))).toBe(true);
    net.eval();
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
  });
});
