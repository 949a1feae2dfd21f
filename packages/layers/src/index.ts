export { Parameter } from "./parameter.js";
export { Module, Layer, type StateDict, type LoadStateDictOptions } from "./module.js";
export { labels, toLabels, type Labels, type LabelsLike, type IntegerArray } from "./labels.js";
export type { Loss, LossResult, UnreducedLossResult, Reduction } from "./loss.js";
export { crossEntropyLoss, CrossEntropyLoss, type CrossEntropyOptions } from "./cross-entropy-loss.js";
