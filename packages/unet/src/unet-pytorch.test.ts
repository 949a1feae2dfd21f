import { crossEntropyLoss, labels } from "@unetkit/layers";
import { loadFixture, relativeError } from "@unetkit/testing";
import { describe, expect, it } from "vitest";
import { modelFromFixture } from "../test/fixture-model.js";

const CASES = ["nearest", "bilinear", "transposed", "noskip", "valid", "valid-bn-bilinear", "attention", "attention-valid"];

// Whole-UNet parity with PyTorch (tools/fixtures/unet.py, the module in tools/unet_torch.py):
// logits, loss, every parameter's gradient after one cross-entropy backward, and the updated
// BatchNorm running statistics, float32, in train and eval mode.
describe.each(CASES)("UNet matches PyTorch: %s", (name) => {
  const fx = loadFixture(new URL(`../test/fixtures/unet-${name}.json`, import.meta.url));
  const x = fx.tensors.x;
  const y = labels(fx.ints.labels.data, fx.ints.labels.shape);

  for (const mode of ["train", "eval"] as const) {
    it(`${mode} mode: logits, loss and every gradient within 1e-4 relative error`, () => {
      const model = modelFromFixture(fx);
      model.train(mode === "train");
      const logits = model.forward(x);
      expect(logits.shape).toEqual(fx.tensors[`${mode}:logits`].shape);
      expect(relativeError(logits, fx.tensors[`${mode}:logits`])).toBeLessThan(1e-4);
      const { loss, grad } = crossEntropyLoss(logits, y);
      expect(Math.abs(loss - fx.tensors[`${mode}:loss`].data[0])).toBeLessThan(1e-5 * Math.max(1, loss));
      model.zeroGrad();
      model.backward(grad);
      const params = model.namedParameters();
      const expected = Object.keys(fx.tensors).filter((k) => k.startsWith(`${mode}:grad:`));
      expect(params.map(([k]) => k).sort()).toEqual(expected.map((k) => k.slice(`${mode}:grad:`.length)).sort());
      for (const [key, p] of params) {
        const err = relativeError(p.grad, fx.tensors[`${mode}:grad:${key}`]);
        expect(err, `gradient of ${key}`).toBeLessThan(1e-4);
      }
      if (mode === "train") {
        for (const [key, buf] of model.namedBuffers()) {
          const want = fx.tensors[`train:after:${key}`];
          if (want) expect(relativeError(buf, want), key).toBeLessThan(1e-4);
        }
      }
    });
  }
});
