import { SGD, crossEntropyLoss, labels } from "@unetkit/layers";
import { Rng, getBackend, randn, setBackend, tsBackend } from "@unetkit/tensor";
import { SimpleUNet } from "@unetkit/unet";
import { afterEach, describe, expect, it } from "vitest";
import { chooseBackend } from "./backend.js";
import { UsageError } from "./usage-error.js";

afterEach(() => {
  const b = getBackend() as { dispose?: () => void };
  if (b !== tsBackend) b.dispose?.();
  setBackend(tsBackend);
});

describe("chooseBackend (--backend, --threads, --no-fma)", () => {
  it("--backend typescript activates the reference backend", async () => {
    expect(await chooseBackend({ backend: "typescript" })).toEqual({ name: "typescript" });
    expect(getBackend()).toBe(tsBackend);
  });

  it("wasm uses the fused multiply-add build by default (relaxed SIMD turned on in Node 20), --no-fma the plain one", async () => {
    const fused = await chooseBackend({ threads: "1" });
    expect(fused.name).toBe("wasm fma (1 thread)");
    expect(getBackend().name).toBe("wasm-simd-fma");
    (getBackend() as unknown as { dispose(): void }).dispose();
    const plain = await chooseBackend({ backend: "wasm", threads: "1", "no-fma": true });
    expect(plain.name).toBe("wasm (1 thread)");
    expect(getBackend().name).toBe("wasm-simd");
  });

  it("refuses unknown backends, bad thread counts and wasm-only flags on typescript with a UsageError", async () => {
    await expect(chooseBackend({ backend: "gpu" })).rejects.toThrow(UsageError);
    await expect(chooseBackend({ threads: "0" })).rejects.toThrow(/--threads must be an integer from 1 to 64/);
    await expect(chooseBackend({ backend: "typescript", threads: "2" })).rejects.toThrow(/--threads applies to the wasm backend only/);
    await expect(chooseBackend({ backend: "typescript", "no-fma": true })).rejects.toThrow(/--no-fma applies to the wasm backend only/);
  });

  it("--threads 2 trains the same SimpleUNet as --threads 1, bit for bit (the worker takes the weight gradients during backward)", async () => {
    const train = async (threads: string) => {
      await chooseBackend({ threads });
      const model = new SimpleUNet({ inChannels: 1, numClasses: 2, baseChannels: 8, depth: 2, seed: 5 }).train();
      const rng = new Rng(9);
      const x = randn([4, 1, 32, 32], rng);
      const y = labels(Int32Array.from({ length: 4 * 32 * 32 }, () => rng.int(0, 2)), [4, 32, 32]);
      const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
      const seen: Float32Array[] = [];
      for (let s = 0; s < 3; s++) {
        opt.zeroGrad();
        const loss = crossEntropyLoss(model.forward(x), y);
        seen.push(model.backward(loss.grad).data.slice() as Float32Array);
        for (const p of model.parameters()) seen.push(p.grad.data.slice() as Float32Array);
        opt.step();
      }
      for (const [, b] of model.namedBuffers()) seen.push(Float32Array.from(b.data));
      const stats = (getBackend() as unknown as { stats(): { parallelGemms: number } }).stats();
      (getBackend() as unknown as { dispose(): void }).dispose();
      setBackend(tsBackend);
      return { seen, parallel: stats.parallelGemms };
    };
    const one = await train("1");
    const two = await train("2");
    expect(one.parallel).toBe(0);
    expect(two.parallel).toBeGreaterThan(0);
    expect(two.seen.length).toBe(one.seen.length);
    two.seen.forEach((a, i) => expect(a, `entry ${i}`).toEqual(one.seen[i]));
  });
});
