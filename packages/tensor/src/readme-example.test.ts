import { describe, expect, it } from "vitest";
import {
  Rng,
  add,
  allClose,
  argmax,
  concat,
  decodeSafetensors,
  encodeSafetensors,
  fromArray,
  matmul,
  randn,
  sum,
} from "./index.js";

describe("README example", () => {
  it("runs as written", () => {
    const rng = new Rng(42);
    const x = randn([2, 3, 4, 4], rng);
    const bias = fromArray([0.1, 0.2, 0.3]).reshape([1, 3, 1, 1]);
    const y = add(x, bias);
    const skip = concat([y, x], 1);
    const perChannel = sum(skip, [0, 2, 3]);
    const classes = argmax(skip, 1);
    const w = matmul(fromArray([[1, 2], [3, 4]]), fromArray([[5], [6]]));
    const bytes = encodeSafetensors({ "conv.weight": x }, { metadata: { format: "pt" } });
    const { tensors } = decodeSafetensors(bytes);

    expect(skip.shape).toEqual([2, 6, 4, 4]);
    expect(perChannel.shape).toEqual([6]);
    expect(classes.shape).toEqual([2, 4, 4]);
    expect(w.toNested()).toEqual([[17], [39]]);
    expect(allClose(tensors["conv.weight"], x)).toBe(true);
    expect(y.get(1, 2, 3, 3)).toBeCloseTo(x.get(1, 2, 3, 3) + 0.3, 6);
  });
});
