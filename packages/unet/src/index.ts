export { DoubleConv, checkPaddingMode, type DoubleConvOptions, type PaddingMode } from "./double-conv.js";
export { EncoderBlock, type EncoderOutput } from "./encoder-block.js";
export { DecoderBlock, type DecoderBlockOptions, type UpsampleMode } from "./decoder-block.js";
export { AttentionGate, type AttentionGateOptions } from "./attention-gate.js";
export { centerCrop, centerCropBackward } from "./center-crop.js";
export { UNet, SimpleUNet, PaperUNet, type UNetConfig, type UNetOptions, type SizePlan } from "./unet.js";
export { predict, softmaxChannels, maskFromScores, type Prediction } from "./predict.js";
export { predictTiled, planTiles, receptiveRadius, type TiledOptions, type TilePlan } from "./predict-tiled.js";
export {
  encodeUNetWeights,
  loadUNetWeights,
  decodeUNetWeights,
  CONFIG_METADATA_KEY,
  WEIGHTS_FORMAT_VERSION,
} from "./weights.js";
