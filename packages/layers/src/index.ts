export { Parameter } from "./parameter.js";
export { Module, Layer, type StateDict, type LoadStateDictOptions } from "./module.js";
