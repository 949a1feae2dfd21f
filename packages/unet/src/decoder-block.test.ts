import { Arena, ArgumentError, Rng, Tensor, concat, getBackend, split, withArena, type DType } from "@unetkit/tensor";
import { bilinearUpsampleBackward, bilinearUpsampleForward, nearestUpsampleBackward, nearestUpsampleForward } from "@unetkit/upsampling";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { centerCrop, centerCropBackward } from "./center-crop.js";
import { DecoderBlock, type UpsampleMode } from "./decoder-block.js";

/** A tensor of standard normal draws from a seeded generator. */
function normal(shape: number[], seed: number, dtype: DType): Tensor {
  const t = new Tensor(dtype, shape);
  new Rng(seed).fillNormal(t.data);
  return t;
}

const bits = (t: Tensor) => Array.from(t.data, (v) => (Object.is(v, -0) ? "-0" : v));

/**
 * A nearest or bilinear decoder block's forward and backward next to the same block's layers run the
 * way it computed them before the upsampling wrote into the concatenation: up(x), concat with the
 * cropped skip, the double convolution, then split the gradient and take each part's backward.
 */
function againstConcat(inC: number, skipC: number, outC: number, n: number, h: number, w: number, crop: number, dtype: DType, seed: number, upsample: UpsampleMode = "nearest"): void {
  const block = new DecoderBlock(inC, skipC, outC, { dtype, rng: new Rng(seed), upsample });
  const [upForward, upBackward] = upsample === "nearest" ? [nearestUpsampleForward, nearestUpsampleBackward] : [bilinearUpsampleForward, bilinearUpsampleBackward];
  const x = normal([n, inC, h, w], seed + 1, dtype);
  const skip = normal([n, skipC, 2 * h + crop, 2 * w + crop], seed + 2, dtype);
  const y = block.forward(x, skip);
  const dy = normal(y.shape as number[], seed + 3, dtype);
  const { dx, dskip } = block.backward(dy);

  const cat = concat([upForward(x, { scaleFactor: 2 }), centerCrop(skip, 2 * h, 2 * w)], 1);
  const yRef = block.doubleConv.forward(cat);
  const [du, ds] = split(block.doubleConv.backward(dy), [inC, skipC], 1);
  expect(bits(y)).toEqual(bits(yRef));
  expect(bits(dx)).toEqual(bits(upBackward(du, x.shape, { scaleFactor: 2 })));
  expect(dskip!.shape).toEqual(skip.shape);
  expect(bits(dskip!)).toEqual(bits(centerCropBackward(ds, skip.shape)));
}

describe("DecoderBlock (nearest, bilinear): the upsampled map written into the concatenation", () => {
  it("gives the bits of up(x), concat, double conv, split and the parts' backward (crops, dtypes)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 2 }), fc.constantFrom<DType>("float32", "float64"),
        fc.integer({ min: 0, max: 1000 }), fc.constantFrom<UpsampleMode>("nearest", "bilinear"),
        (inC, skipC, outC, n, h, w, crop, dtype, seed, upsample) => againstConcat(inC, skipC, outC, n, h, w, crop, dtype, seed, upsample),
      ),
      { numRuns: 25 },
    );
  });

  it("does the same in an arena (operands in the backend's memory where it has its own)", () => {
    withArena(new Arena(getBackend()), () => {
      againstConcat(8, 4, 4, 2, 8, 6, 0, "float32", 11);
      againstConcat(8, 4, 4, 2, 8, 6, 1, "float32", 12, "bilinear");
    });
  });

  it("refuses a skip of another dtype, naming the shapes", () => {
    const block = new DecoderBlock(2, 2, 2, { rng: new Rng(0) });
    expect(() => block.forward(new Tensor("float32", [1, 2, 3, 3]), new Tensor("float64", [1, 2, 6, 6]))).toThrow(ArgumentError);
    expect(() => block.forward(new Tensor("float32", [1, 2, 3, 3]), new Tensor("float64", [1, 2, 6, 6]))).toThrow(
      /DecoderBlock: skip is float64 but the input is float32 \(skip \[1,2,6,6\], input \[1,2,3,3\]\)/,
    );
  });
});
