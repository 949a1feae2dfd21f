export { convOutputSize, convGeometry, type ConvOptions } from "./conv-geometry.js";
export { im2colTs } from "./im2col-ts.js";
export { col2imAccumulateTs } from "./col2im-ts.js";
export { im2colImage, col2imAccumulateImage } from "./im2col-image.js";
export { im2col } from "./im2col.js";
export { col2im } from "./col2im.js";
export type { ConvGeometry, Im2colArgs } from "@unetkit/tensor";
