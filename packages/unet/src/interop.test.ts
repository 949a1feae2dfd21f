import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { FormatError, Rng, decodeSafetensors } from "@unetkit/tensor";
import { loadFixture, relativeError } from "@unetkit/testing";
import { describe, expect, it } from "vitest";
import { configFromTorch } from "../test/fixture-model.js";
import { UNet } from "./unet.js";
import { decodeUNetWeights, encodeUNetWeights, loadUNetWeights } from "./weights.js";

const fixtures = new URL("../test/fixtures/", import.meta.url);

/** The model whose file `from-unetkit.safetensors` PyTorch loaded (tools/fixtures/unet.py). */
function unetkitModel(): UNet {
  const model = new UNet({ baseChannels: 4, depth: 2, upsample: "bilinear", attention: true, seed: 2024 });
  // Non-default running statistics, so that the file carries real buffers.
  const rng = new Rng(77);
  for (const [k, b] of model.namedBuffers()) {
    if (k.endsWith("running_mean")) rng.fillUniform(b.data, -0.1, 0.1);
    if (k.endsWith("running_var")) rng.fillUniform(b.data, 0.5, 2);
    if (k.endsWith("num_batches_tracked")) b.data[0] = 5;
  }
  return model.eval();
}

describe("weights interop with PyTorch", () => {
  it("a file saved from PyTorch loads with every key and gives PyTorch's logits", () => {
    const fx = loadFixture(new URL("from-pytorch.json", fixtures));
    const model = new UNet(configFromTorch((fx.meta as { config: Record<string, unknown> }).config));
    loadUNetWeights(model, readFileSync(new URL("from-pytorch.safetensors", fixtures)));
    model.eval();
    expect(relativeError(model.forward(fx.tensors.x), fx.tensors.logits)).toBeLessThan(1e-4);
  });

  it("a file saved by unetkit loads into PyTorch (strict) and gives the same logits", () => {
    const path = new URL("from-unetkit.safetensors", fixtures);
    const bytes = encodeUNetWeights(unetkitModel());
    if (!existsSync(path)) writeFileSync(path, bytes); // first run: create it for tools/fixtures/unet.py
    // The committed file is exactly what today's code writes ...
    expect(Buffer.from(bytes).equals(readFileSync(path))).toBe(true);
    // ... and PyTorch, loading it with strict=True, computed these logits.
    const fx = loadFixture(new URL("from-unetkit-logits.json", fixtures));
    expect(fx.meta.loaded_strict).toBe(true);
    expect(relativeError(unetkitModel().forward(fx.tensors.x), fx.tensors.logits)).toBeLessThan(1e-4);
  });

  it("round trip: encode, decode, same configuration and weights; num_batches_tracked stored as I64", () => {
    const model = unetkitModel();
    const bytes = encodeUNetWeights(model);
    const back = decodeUNetWeights(bytes);
    expect(back.config).toEqual(model.config);
    const a = model.stateDict();
    const b = back.stateDict();
    for (const k of Object.keys(a)) expect(Array.from(b[k].data), k).toEqual(Array.from(a[k].data));
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)))).toString());
    expect(header["enc1.double_conv.bn1.num_batches_tracked"].dtype).toBe("I64");
    expect(header["enc1.double_conv.conv1.weight"].dtype).toBe("F32");
    expect(Object.keys(decodeSafetensors(bytes).tensors).length).toBe(Object.keys(a).length);
  });

  it("refuses weights of another architecture, saying what differs", () => {
    const bytes = encodeUNetWeights(new UNet({ baseChannels: 4, depth: 2 }));
    expect(() => loadUNetWeights(new UNet({ baseChannels: 8, depth: 2 }), bytes)).toThrow(FormatError);
    expect(() => loadUNetWeights(new UNet({ baseChannels: 8, depth: 2 }), bytes)).toThrow(/baseChannels 4 in the file, 8 in the model/);
  });

  it("refuses a truncated file", () => {
    const bytes = encodeUNetWeights(new UNet({ baseChannels: 2, depth: 1 }));
    expect(() => decodeUNetWeights(bytes.subarray(0, bytes.length - 10))).toThrow(FormatError);
  });
});
