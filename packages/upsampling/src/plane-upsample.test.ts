import { Tensor } from "@unetkit/tensor";
import { describe, expect, it } from "vitest";
import { BilinearUpsample, NearestUpsample, bilinearUpsampleForward, nearestUpsampleForward } from "./index.js";

describe("PlaneUpsample (nearest, bilinear)", () => {
  it("handles an empty batch and zero channels in forward, backward and into / from a slice, on every backend", () => {
    for (const shape of [[1, 0, 2, 2], [0, 3, 2, 2]]) {
      const [n, c] = shape;
      expect(nearestUpsampleForward(new Tensor("float32", shape), { scaleFactor: 2 }).shape).toEqual([n, c, 4, 4]);
      expect(bilinearUpsampleForward(new Tensor("float32", shape), { scaleFactor: 2 }).shape).toEqual([n, c, 4, 4]);
      for (const up of [new NearestUpsample({ scaleFactor: 2 }), new BilinearUpsample({ scaleFactor: 2 })]) {
        const out = new Tensor("float32", [n, c + 1, 4, 4]);
        up.forwardInto(new Tensor("float32", shape), out, 1);
        expect(up.backwardFrom(out, 1).shape).toEqual(shape);
        expect(up.forward(new Tensor("float32", shape)).shape).toEqual([n, c, 4, 4]);
        expect(up.backward(new Tensor("float32", [n, c, 4, 4])).shape).toEqual(shape);
      }
    }
  });
});
