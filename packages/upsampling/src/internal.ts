import { ArgumentError, ShapeError, Tensor, checkRank, formatShape, type DType, type Shape, type TypedArray } from "@unetkit/tensor";

/** Checks a 4-D NCHW input tensor (not exported from the package). */
export function checkImage(op: string, x: Tensor, what = "input"): void {
  checkRank(op, what, x, 4);
}

/**
 * Checks that an upstream gradient has the shape and dtype the forward produced; the message names
 * the op and both shapes.
 */
export function checkGrad(op: string, dy: Tensor, expected: Shape, dtype: DType): void {
  if (!(dy instanceof Tensor)) throw new ArgumentError(op, "gradient must be a Tensor");
  if (dy.rank !== expected.length || dy.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(
      op,
      `gradient has shape ${formatShape(dy.shape)} but the output has shape ${formatShape(expected)}`,
    );
  }
  if (dy.dtype !== dtype) {
    throw new ArgumentError(op, `gradient is ${dy.dtype} but the output is ${dtype}`);
  }
}

/** Refuses option keys an options object does not know (a typo would otherwise pass silently). */
export function checkKeys(op: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ArgumentError(op, `unknown option "${key}" (known: ${known.join(", ")})`);
    }
  }
}

/**
 * Where the planes of an upsampled map (or of its gradient) lie: `data` holds plane `p` from element
 * `floor(p / runPlanes) * runStride + (p % runPlanes) * plane size` (see `PlaneRuns` of
 * `@unetkit/tensor`). A map of its own is one run per image, `runStride = runPlanes * plane size`;
 * channels `c0 .. c0+C` of a wider `[N, C', H, W]` tensor are `data` from channel `c0`'s first
 * element, `runPlanes = C` and `runStride = C' * H * W`.
 */
export interface PlaneTarget {
  data: TypedArray;
  runPlanes: number;
  runStride: number;
}

/** The planes of `t`, a tensor of its own (one run per image). */
export function ownPlanes(t: Tensor): PlaneTarget {
  const [, c, h, w] = t.shape;
  return { data: t.data, runPlanes: Math.max(1, c), runStride: Math.max(1, c) * h * w };
}

/** Channels `[offset, offset + channels)` of the NCHW tensor `t` (checked by {@link checkChannelSlice}). */
export function channelPlanes(t: Tensor, offset: number, channels: number): PlaneTarget {
  const [, c, h, w] = t.shape;
  const plane = h * w;
  return { data: t.data.subarray(offset * plane), runPlanes: Math.max(1, channels), runStride: c * plane };
}

/**
 * Checks that `wide` is an NCHW tensor of `dtype` with `n` images of `outH x outW` and that channels
 * `[offset, offset + channels)` lie in it; the message names the op and the shapes.
 */
export function checkChannelSlice(op: string, what: string, wide: Tensor, offset: number, dtype: DType, expected: Shape): void {
  if (!(wide instanceof Tensor)) throw new ArgumentError(op, `${what} must be a Tensor`);
  checkImage(op, wide, what);
  const [n, channels, outH, outW] = expected;
  const [wn, wc, wh, ww] = wide.shape;
  const context = `(${what} ${formatShape(wide.shape)}, upsampled map ${formatShape(expected)})`;
  if (wide.dtype !== dtype) throw new ArgumentError(op, `${what} is ${wide.dtype} but the upsampled map is ${dtype} ${context}`);
  if (wn !== n || wh !== outH || ww !== outW) {
    throw new ShapeError(op, `${what} must be [${n}, C, ${outH}, ${outW}] ${context}`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + channels > wc) {
    throw new ArgumentError(op, `channels ${offset}..${offset + channels} do not fit in the ${wc} channels of ${what} (channelOffset ${offset}) ${context}`);
  }
}

/** Where plane `p` of `t` starts in `t.data` (see {@link PlaneTarget}), for planes of `plane` elements. */
export function planeStart(t: PlaneTarget, p: number, plane: number): number {
  return Math.floor(p / t.runPlanes) * t.runStride + (p % t.runPlanes) * plane;
}
