// Benchmark (not a test): im2col / col2im at the SimpleUNet conv shapes (batch 8, kernel 3,
// padding 1; PADDING=0 for the paper's unpadded convolutions), per batch, through the dispatching one-image functions with reused buffers (what
// Conv2D does), against a naive loop with the bounds check in the inner loop.
// Run: pnpm --filter @unetkit/im2col bench
import { Rng, allocate, getBackend, type ConvGeometry, type DType, type TypedArray } from "@unetkit/tensor";
import { formatRow, medianCpuMs } from "@unetkit/testing";
import { col2imAccumulateImage, convGeometry, im2colImage } from "../src/index.js";

const BATCH = 8;
const SHAPES: [number, number][] = [
  [1, 64],
  [16, 64],
  [16, 32],
  [32, 32],
  [32, 16],
  [64, 16],
];

/** The straightforward im2col: one bounds check per element. */
function naiveIm2col(g: ConvGeometry, image: TypedArray, imageOffset: number, cols: TypedArray): void {
  let k = 0;
  for (let c = 0; c < g.channels; c++)
    for (let i = 0; i < g.kernelH; i++)
      for (let j = 0; j < g.kernelW; j++)
        for (let oy = 0; oy < g.outH; oy++)
          for (let ox = 0; ox < g.outW; ox++) {
            const iy = oy * g.strideH - g.padH + i * g.dilationH;
            const ix = ox * g.strideW - g.padW + j * g.dilationW;
            cols[k++] =
              iy >= 0 && iy < g.height && ix >= 0 && ix < g.width
                ? image[imageOffset + (c * g.height + iy) * g.width + ix]
                : 0;
          }
}

/** Median CPU ms per call of `fn` (see medianCpuMs of @unetkit/testing). */
const time = (fn: () => void, budgetMs = 400) => medianCpuMs(fn, { budgetMs, warmupCalls: 3, maxSamples: 200 });

const widths = [7, 4, 8, 14, 12, 10, 12, 10, 11];
console.log(
  `im2col / col2im, batch ${BATCH}, kernel 3, padding ${process.env.PADDING ?? 1}, backend ${getBackend().name}, node ${process.version}; median CPU ms per batch`,
);
console.log(
  formatRow(["dtype", "C", "HxW", "cols/image", "im2col ms", "GB/s", "col2im ms", "GB/s", "naive ms"], widths),
);
// PADDING=0 gives the original paper's unpadded 3x3 convolutions (output 2 pixels smaller).
const padding = Number(process.env.PADDING ?? 1);
for (const dtype of ["float32", "float64"] as DType[]) {
  for (const [C, S] of SHAPES) {
    const shape = [BATCH, C, S, S];
    const g = convGeometry("bench", shape, { kernelSize: 3, padding });
    const rows = C * g.kernelH * g.kernelW;
    const L = g.outH * g.outW;
    const imageSize = C * S * S;
    const x = allocate(dtype, BATCH * imageSize);
    new Rng(0).fillNormal(x);
    const cols = allocate(dtype, rows * L);
    const dx = allocate(dtype, BATCH * imageSize);
    const im = time(() => {
      for (let n = 0; n < BATCH; n++) {
        im2colImage({ geometry: g, image: x, imageOffset: n * imageSize, cols, colsOffset: 0 });
      }
    });
    const c2i = time(() => {
      dx.fill(0);
      for (let n = 0; n < BATCH; n++) {
        col2imAccumulateImage({ geometry: g, image: dx, imageOffset: n * imageSize, cols, colsOffset: 0 });
      }
    });
    const naive = time(() => {
      for (let n = 0; n < BATCH; n++) naiveIm2col(g, x, n * imageSize, cols);
    });
    // Bytes of the column matrices written (im2col) or read (col2im) per batch.
    const bytes = BATCH * rows * L * x.BYTES_PER_ELEMENT;
    console.log(
      formatRow(
        [
          dtype,
          C,
          `${S}x${S}`,
          `[${rows},${L}]`,
          im.toFixed(3),
          (bytes / im / 1e6).toFixed(2),
          c2i.toFixed(3),
          (bytes / c2i / 1e6).toFixed(2),
          naive.toFixed(3),
        ],
        widths,
      ),
    );
  }
}
