import {
  ArgumentError,
  ShapeError,
  backendFor,
  dtypeOf,
  type ConvGeometry,
  type DType,
  type Im2colArgs,
} from "@unetkit/tensor";
import { col2imAccumulateTs } from "./col2im-ts.js";
import { convOutputSize } from "./conv-geometry.js";
import { im2colTs } from "./im2col-ts.js";

const GEOMETRY_FIELDS: readonly (keyof ConvGeometry)[] = [
  "channels",
  "height",
  "width",
  "kernelH",
  "kernelW",
  "strideH",
  "strideW",
  "padH",
  "padW",
  "dilationH",
  "dilationW",
  "outH",
  "outW",
];

/**
 * Validates the arguments of a one-image kernel call (geometry consistent, same dtype, buffers long
 * enough and not overlapping) and returns the dtype. O(1): cheap next to the kernel itself.
 */
function checkArgs(op: string, args: Im2colArgs): DType {
  if (args === null || typeof args !== "object" || args.geometry === null || typeof args.geometry !== "object") {
    throw new ArgumentError(op, "expected { geometry, image, imageOffset, cols, colsOffset }");
  }
  const g = args.geometry;
  for (const f of GEOMETRY_FIELDS) {
    const v = g[f];
    const min = f === "padH" || f === "padW" ? 0 : 1;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new ArgumentError(op, `geometry.${f} must be an integer >= ${min} (got ${String(v)})`);
    }
  }
  const outH = convOutputSize(g.height, g.kernelH, g.strideH, g.padH, g.dilationH, op);
  const outW = convOutputSize(g.width, g.kernelW, g.strideW, g.padW, g.dilationW, op);
  if (outH !== g.outH || outW !== g.outW) {
    throw new ArgumentError(
      op,
      `geometry.outH x outW is ${g.outH}x${g.outW} but the window gives ${outH}x${outW} (use convGeometry)`,
    );
  }
  const dtype = dtypeOf(args.image);
  if (dtypeOf(args.cols) !== dtype) {
    throw new ArgumentError(op, `image is ${dtype} but cols is ${dtypeOf(args.cols)}`);
  }
  for (const [name, off] of [["imageOffset", args.imageOffset], ["colsOffset", args.colsOffset]] as const) {
    if (!Number.isInteger(off) || off < 0) {
      throw new ArgumentError(op, `${name} must be a non-negative integer (got ${String(off)})`);
    }
  }
  const imageSize = g.channels * g.height * g.width;
  const colsSize = g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
  if (args.imageOffset + imageSize > args.image.length) {
    throw new ShapeError(
      op,
      `image needs ${imageSize} values (${g.channels}x${g.height}x${g.width}) from offset ${args.imageOffset} but has length ${args.image.length}`,
    );
  }
  if (args.colsOffset + colsSize > args.cols.length) {
    throw new ShapeError(
      op,
      `cols needs ${colsSize} values ([${g.channels * g.kernelH * g.kernelW},${g.outH * g.outW}]) from offset ${args.colsOffset} but has length ${args.cols.length}`,
    );
  }
  if (args.image.buffer === args.cols.buffer) {
    const bytes = args.image.BYTES_PER_ELEMENT;
    const a0 = args.image.byteOffset + args.imageOffset * bytes;
    const b0 = args.cols.byteOffset + args.colsOffset * bytes;
    if (a0 < b0 + colsSize * bytes && b0 < a0 + imageSize * bytes) {
      throw new ArgumentError(op, "image and cols overlap in memory");
    }
  }
  return dtype;
}

/**
 * im2col for one image, with no allocation: writes the `[channels*kernelH*kernelW, outH*outW]`
 * column matrix of the `channels x height x width` image at `image[imageOffset..]` into
 * `cols[colsOffset..]`, overwriting it. Row `(c*kernelH + i)*kernelW + j`, column `oy*outW + ox`
 * (PyTorch's `unfold` layout); positions in the padding give 0.
 *
 * Validates the arguments (a `ShapeError` / `ArgumentError` naming `im2colImage`), then runs the
 * active backend's `im2col` kernel for the dtype, or {@link im2colTs} when it has none.
 *
 * @example
 * ```ts
 * const geometry = convGeometry("Conv2D", x.shape, { kernelSize: 3, padding: 1 });
 * const rows = geometry.channels * 9, L = geometry.outH * geometry.outW;
 * const cols = new Float32Array(rows * L);
 * for (let n = 0; n < x.shape[0]; n++) {
 *   im2colImage({ geometry, image: x.data, imageOffset: n * geometry.channels * geometry.height * geometry.width, cols, colsOffset: 0 });
 *   // ... W[Cout, rows] @ cols[rows, L] = y[n] ...
 * }
 * ```
 */
export function im2colImage(args: Im2colArgs): void {
  const dtype = checkArgs("im2colImage", args);
  const k = backendFor(dtype);
  (k.im2col ?? im2colTs)(args);
}

/**
 * col2im for one image, accumulating, with no allocation: adds each entry of the column matrix at
 * `cols[colsOffset..]` onto the image position im2col read it from (`image += col2im(cols)`); the
 * adjoint of {@link im2colImage}. Entries that fall in the padding are dropped.
 *
 * Validates the arguments (errors name `col2imAccumulateImage`), then runs the active backend's
 * `col2imAccumulate` kernel for the dtype, or {@link col2imAccumulateTs} when it has none.
 *
 * @example
 * ```ts
 * // conv backward-data for image n: dcols = W^T @ dY[n], then
 * col2imAccumulateImage({ geometry, image: dx.data, imageOffset: n * C * H * W, cols: dcols, colsOffset: 0 });
 * ```
 */
export function col2imAccumulateImage(args: Im2colArgs): void {
  const dtype = checkArgs("col2imAccumulateImage", args);
  const k = backendFor(dtype);
  (k.col2imAccumulate ?? col2imAccumulateTs)(args);
}
