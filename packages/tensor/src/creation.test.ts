import { describe, expect, it } from "vitest";
import { ArgumentError, Rng, ShapeError, arange, fromArray, full, ones, rand, randn, zeros, zerosLike } from "./index.js";

describe("creation", () => {
  it("zeros / ones / full / zerosLike with shape and dtype", () => {
    const z = zeros([2, 3]);
    expect(z.dtype).toBe("float32");
    expect(z.shape).toEqual([2, 3]);
    expect(z.toArray()).toEqual([0, 0, 0, 0, 0, 0]);
    expect(ones([2], "float64").data).toBeInstanceOf(Float64Array);
    expect(ones([2]).toArray()).toEqual([1, 1]);
    expect(full([3], 7.5).toArray()).toEqual([7.5, 7.5, 7.5]);
    expect(full([], 2).item()).toBe(2);
    const like = zerosLike(full([2, 2], 3, "float64"));
    expect([like.dtype, like.shape, like.toArray()]).toEqual(["float64", [2, 2], [0, 0, 0, 0]]);
    expect(zeros([0, 4]).size).toBe(0);
  });

  it("refuses bad shapes and dtypes", () => {
    expect(() => zeros([2, -1])).toThrow(ShapeError);
    expect(() => zeros([2.5])).toThrow(/sizes must be non-negative integers \(got \[2.5\]\)/);
    expect(() => zeros([2], "int32" as "float32")).toThrow(ArgumentError);
  });

  it("fromArray: nested, flat with shape, typed arrays, scalars", () => {
    expect(fromArray([[1, 2, 3], [4, 5, 6]]).shape).toEqual([2, 3]);
    expect(fromArray([1, 2, 3, 4, 5, 6], { shape: [3, 2] }).get(2, 1)).toBe(6);
    expect(fromArray(new Float64Array([1, 2]), { shape: [2], dtype: "float64" }).toArray()).toEqual([1, 2]);
    expect(fromArray(3).shape).toEqual([]);
    expect(fromArray([[[1], [2]]]).shape).toEqual([1, 2, 1]);
    expect(fromArray([0.1]).data[0]).toBe(Math.fround(0.1));
    expect(() => fromArray([1, 2, 3], { shape: [2, 2] })).toThrow(/3 values do not fill shape \[2,2\] \(4\)/);
    expect(() => fromArray([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => fromArray([["a"]])).toThrow(/leaves must be numbers/);
  });

  it("randn / rand are seeded and shaped", () => {
    const a = randn([3, 4], new Rng(1), { dtype: "float64" });
    const b = randn([3, 4], new Rng(1), { dtype: "float64" });
    expect(a.toArray()).toEqual(b.toArray());
    expect(a.shape).toEqual([3, 4]);
    const u = rand([1000], new Rng(2), { low: -2, high: 2 });
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u.data)).toBeLessThan(2);
    const n = randn([20000], new Rng(3), { mean: 5, std: 0.5, dtype: "float64" });
    const mean = n.toArray().reduce((s, v) => s + v, 0) / n.size;
    expect(Math.abs(mean - 5)).toBeLessThan(0.02);
  });

  it("arange like torch.arange", () => {
    expect(arange(0, 5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(arange(3, 3).size).toBe(0);
    expect(arange(0, 3, 1, "float64").dtype).toBe("float64");
    expect(() => arange(0, 5, 0)).toThrow(/arange: need finite start, stop and a non-zero step/);
  });
});
