import { expect } from "vitest";
import type { Layer } from "../src/module.js";
import { expectMatches, layerFixture, stateOf, tensorOf } from "./fixture-helpers.js";

/**
 * Loads a block fixture's state dict into `block` and checks train- and eval-mode forward, input
 * gradient, every parameter gradient and (train) the updated running statistics against PyTorch.
 */
export function checkBlockFixture(name: string, block: Layer): void {
  const fx = layerFixture(name);
  const state = stateOf(fx, "state.");
  expect(Object.keys(block.stateDict()).sort()).toEqual(Object.keys(state).sort());
  for (const mode of ["train", "eval"] as const) {
    block.loadStateDict(state);
    block.train(mode === "train");
    block.zeroGrad();
    const y = block.forward(tensorOf(fx, "x"));
    expectMatches(y, tensorOf(fx, `${mode}.y`), `${name} ${mode} y`);
    const dx = block.backward(tensorOf(fx, `${mode}.dy`));
    expectMatches(dx, tensorOf(fx, `${mode}.dx`), `${name} ${mode} dx`);
    for (const [key, p] of block.namedParameters()) {
      expectMatches(p.grad, tensorOf(fx, `${mode}.grad.${key}`), `${name} ${mode} grad ${key}`);
    }
    if (mode === "train") {
      const after = stateOf(fx, "train.after.");
      const live = block.stateDict();
      expect(Object.keys(after).length).toBeGreaterThan(0);
      for (const [key, t] of Object.entries(after)) expectMatches(live[key], t, `${name} ${key}`);
    }
  }
}
