import { Tensor } from "@unetkit/tensor";
import type { Fixture } from "@unetkit/testing";
import { UNet, type UNetConfig } from "../src/unet.js";

/** The TypeScript config for a fixture's snake_case PyTorch config. */
export function configFromTorch(meta: Record<string, unknown>): Partial<UNetConfig> {
  return {
    inChannels: meta.in_channels as number,
    numClasses: meta.num_classes as number,
    baseChannels: meta.base_channels as number,
    depth: meta.depth as number,
    channelMultiplier: meta.channel_multiplier as number,
    upsample: meta.upsample as UNetConfig["upsample"],
    skip: meta.skip as boolean,
    batchNorm: meta.batch_norm as boolean,
    padding: meta.padding as UNetConfig["padding"],
    attention: meta.attention as boolean,
  };
}

/** The state dict stored under `state:` keys (int64 buffers become float tensors). */
export function stateFromFixture(fx: Fixture, prefix = "state:"): Record<string, Tensor> {
  const state: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(fx.tensors)) if (k.startsWith(prefix)) state[k.slice(prefix.length)] = t;
  for (const [k, v] of Object.entries(fx.ints)) {
    if (k.startsWith(prefix)) state[k.slice(prefix.length)] = new Tensor("float32", v.shape, Float32Array.from(v.data));
  }
  return state;
}

/** A UNet built and loaded from a fixture, in the given dtype. */
export function modelFromFixture(fx: Fixture, dtype: "float32" | "float64" = "float32"): UNet {
  const model = new UNet({ ...configFromTorch((fx.meta as { config: Record<string, unknown> }).config), dtype });
  const state = stateFromFixture(fx);
  model.loadStateDict(Object.fromEntries(Object.entries(state).map(([k, t]) => [k, t.astype(dtype)])));
  return model;
}
