import { crossEntropyLoss, labels } from "@unetkit/layers";
import type { Tensor } from "@unetkit/tensor";
import { loadFixture, normRelativeError, relativeError } from "@unetkit/testing";
import { describe, expect, it } from "vitest";
import { modelFromFixture } from "../test/fixture-model.js";

const CASES = ["nearest", "bilinear", "transposed", "noskip", "valid", "valid-bn-bilinear", "attention", "attention-valid"];

// Whole-UNet parity with PyTorch (tools/fixtures/unet.py, the module in tools/unet_torch.py):
// logits, loss, every parameter's gradient after one cross-entropy backward, and the updated
// BatchNorm running statistics, in train and eval mode. The goldens are PyTorch's float64 results
// on float32-representable weights and inputs:
// - unetkit in float64 agrees elementwise to 1e-9: the semantics are PyTorch's exactly;
// - unetkit in float32 agrees to 1e-4 norm-wise relative error (||a-e||/||e||) for every tensor,
//   and to 1e-3 in the worst element. (PyTorch's own float32 run of these cases is off from its
//   float64 run by up to 6.4e-4 in the worst element, in train mode: tools/fixtures/unet.py notes.)
function check(dtype: "float32" | "float64", actual: Tensor, expected: Tensor, what: string): void {
  const want = expected.astype(dtype);
  if (dtype === "float64") {
    expect(relativeError(actual, want), what).toBeLessThan(1e-9);
  } else {
    expect(normRelativeError(actual, want), what).toBeLessThan(1e-4);
    expect(relativeError(actual, want), what).toBeLessThan(1e-3);
  }
}
describe.each(CASES)("UNet matches PyTorch: %s", (name) => {
  const fx = loadFixture(new URL(`../test/fixtures/unet-${name}.json`, import.meta.url));
  const y = labels(fx.ints.labels.data, fx.ints.labels.shape);

  for (const [mode, dtype] of [["train", "float64"], ["eval", "float64"], ["train", "float32"], ["eval", "float32"]] as const) {
    it(`${mode} mode, ${dtype}: logits, loss, every gradient and the running statistics`, () => {
      const model = modelFromFixture(fx, dtype);
      const x = fx.tensors.x.astype(dtype);
      model.train(mode === "train");
      const logits = model.forward(x);
      expect(logits.shape).toEqual(fx.tensors[`${mode}:logits`].shape);
      check(dtype, logits, fx.tensors[`${mode}:logits`], "logits");
      const { loss, grad } = crossEntropyLoss(logits, y);
      expect(Math.abs(loss - fx.tensors[`${mode}:loss`].data[0])).toBeLessThan(dtype === "float64" ? 1e-12 : 1e-5);
      model.zeroGrad();
      model.backward(grad);
      const params = model.namedParameters();
      const expected = Object.keys(fx.tensors).filter((k) => k.startsWith(`${mode}:grad:`));
      expect(params.map(([k]) => k).sort()).toEqual(expected.map((k) => k.slice(`${mode}:grad:`.length)).sort());
      for (const [key, p] of params) {
        check(dtype, p.grad, fx.tensors[`${mode}:grad:${key}`], `gradient of ${key}`);
      }
      if (mode === "train") {
        for (const [key, buf] of model.namedBuffers()) {
          const want = fx.tensors[`train:after:${key}`];
          if (want) check(dtype, buf, want, key);
        }
      }
    });
  }
});
