import { empty, type DType, type Shape, type Tensor } from "@unetkit/tensor";
import { Layer } from "@unetkit/layers";
import type { InterpolateGeometry } from "./interpolate-size.js";
import { channelPlanes, checkChannelSlice, checkGrad, checkImage, ownPlanes, type PlaneTarget } from "./internal.js";

/** What an interpolating layer saves for its backward. */
interface Saved<P> {
  shape: Shape;
  outShape: Shape;
  dtype: DType;
  plan: P;
}

/**
 * The common part of the interpolating layers ({@link NearestUpsample}, {@link BilinearUpsample}):
 * a plan per input size (cached by the subclass), and forward and backward to a tensor of their own
 * or into and from a channel slice of a wider tensor, with the same checks and the same saved state.
 * A subclass supplies the plan and the two passes over planes.
 *
 * Shapes: `[N, C, H, W] -> [N, C, outH, outW]`; `forwardInto` writes channels
 * `[channelOffset, channelOffset + C)` of an `[N, C', outH, outW]` tensor.
 *
 * @example
 * ```ts
 * const up = new NearestUpsample({ scaleFactor: 2 }); // a PlaneUpsample
 * up.forwardInto(x, cat, 0);                          // x [8, 64, 16, 16] into channels 0..64 of cat [8, 96, 32, 32]
 * const dx = up.backwardFrom(dcat, 0);                // [8, 64, 16, 16]
 * ```
 */
export abstract class PlaneUpsample<P extends { geometry: InterpolateGeometry }> extends Layer {
  /** The layer's name in error messages. */
  protected abstract readonly op: string;
  /** The plan for an input shape and dtype. */
  protected abstract plan(shape: Shape, dtype: DType): P;
  /** Writes the resizing of `x` into the planes of `out`. */
  protected abstract run(x: Tensor, plan: P, out: PlaneTarget): void;
  /** The gradient with respect to an input of `shape` from the gradient's planes `dy`. */
  protected abstract runBackward(dy: PlaneTarget, dtype: DType, shape: Shape, plan: P): Tensor;

  forward(x: Tensor): Tensor {
    checkImage(this.op, x);
    const plan = this.plan(x.shape, x.dtype);
    const y = empty([x.shape[0], x.shape[1], plan.geometry.outH, plan.geometry.outW], x.dtype); // every element is written
    this.run(x, plan, ownPlanes(y));
    this.saveForBackward({ shape: x.shape, outShape: y.shape, dtype: x.dtype, plan });
    return y;
  }

  /**
   * The forward written into channels `[channelOffset, channelOffset + C)` of `out` (the other
   * channels are left as they are; the same bits as the forward's); saves what
   * {@link PlaneUpsample.backward} and {@link PlaneUpsample.backwardFrom} need, as the forward does.
   *
   * @example
   * ```ts
   * up.forwardInto(x, cat, 0); // x [8, 64, 16, 16] into channels 0..64 of cat [8, 96, 32, 32]
   * ```
   */
  forwardInto(x: Tensor, out: Tensor, channelOffset: number): void {
    const op = `${this.op}.forwardInto`;
    checkImage(op, x);
    const plan = this.plan(x.shape, x.dtype);
    const outShape = [x.shape[0], x.shape[1], plan.geometry.outH, plan.geometry.outW];
    checkChannelSlice(op, "out", out, channelOffset, x.dtype, outShape);
    this.run(x, plan, channelPlanes(out, channelOffset, x.shape[1]));
    this.saveForBackward({ shape: x.shape, outShape, dtype: x.dtype, plan });
  }

  backward(dy: Tensor): Tensor {
    const { shape, outShape, dtype, plan } = this.takeSaved<Saved<P>>();
    checkGrad(`${this.op}.backward`, dy, outShape, dtype);
    return this.runBackward(ownPlanes(dy), dtype, shape, plan);
  }

  /**
   * The backward with the upstream gradient read from channels `[channelOffset, channelOffset + C)`
   * of `dOut` (the gradient of {@link PlaneUpsample.forwardInto}; the same bits as the backward on a
   * copy of those channels).
   *
   * @example
   * ```ts
   * const dx = up.backwardFrom(dcat, 0); // dcat [8, 96, 32, 32] -> dx [8, 64, 16, 16]
   * ```
   */
  backwardFrom(dOut: Tensor, channelOffset: number): Tensor {
    const { shape, outShape, dtype, plan } = this.takeSaved<Saved<P>>();
    checkChannelSlice(`${this.op}.backwardFrom`, "gradient", dOut, channelOffset, dtype, outShape);
    return this.runBackward(channelPlanes(dOut, channelOffset, shape[1]), dtype, shape, plan);
  }
}
