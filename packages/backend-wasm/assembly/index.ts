// Entry point of the kernels module (built twice: single-threaded with its own memory, and with an
// imported shared memory for worker threads). All memory is managed by the JavaScript side: the
// functions take byte addresses.
export { gemm, gemmScratchBytes, loadTransposed, storeTransposed } from "./gemm";
export { im2col, col2imAccumulate } from "./im2col";

/** First 16-byte-aligned byte after the module's static data: JavaScript owns everything above. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
export { convDirect, convDirectWeightGradT, directOffsets, directScratchBytes, directWeightsBytes, packDirectWeights, padImages, weightGradChunkBytes, zeroBytes } from "./conv-direct";
export { addArrays, reluForward, reluBackward, batchNormSums, batchNormNormalize, batchNormForwardChannels, batchNormBackwardSums, batchNormBackwardApply, batchNormBackwardChannels, maxPool2x2, maxPoolBackward, upsampleNearest2x, upsampleNearest2xBackward, bilinearForward, bilinearBackward, softmaxCrossEntropyPositions } from "./elementwise";
export { convWinograd, packWinogradWeights, winogradScratchBytes, winogradWeightsBytes } from "./conv-winograd";
export { winogradPadPlanes, winogradWeightGrad, winogradWeightGradFinish, winogradWgradAccBytes, winogradWgradColsN, winogradWgradRowsM, winogradWgradScratchBytes } from "./conv-winograd-wgrad";
