import { FormatError, decodeSafetensors, encodeSafetensors, type Tensor } from "@unetkit/tensor";
import { UNet, type UNetConfig } from "./unet.js";

/** The `__metadata__` key under which {@link encodeUNetWeights} records the model configuration. */
export const CONFIG_METADATA_KEY = "unetkit.unet.config";
/** Format version of the weights file; bumped when the layout of keys changes. */
export const WEIGHTS_FORMAT_VERSION = "1";

/**
 * The model's state dict as `.safetensors` bytes, loadable in PyTorch (`tools/unet_torch.py`'s
 * module, `load_state_dict(strict=True)`): float tensors as stored (F32), `num_batches_tracked` as
 * I64 as PyTorch keeps it, and the configuration as JSON metadata so the file can rebuild the
 * model ({@link decodeUNetWeights}).
 *
 * @example
 * ```ts
 * writeFileSync("model.safetensors", encodeUNetWeights(model)); // prefer an atomic write
 * ```
 */
export function encodeUNetWeights(model: UNet): Uint8Array {
  const state = model.stateDict();
  const storeAs: Record<string, "I64"> = {};
  for (const key of Object.keys(state)) if (key.endsWith("num_batches_tracked")) storeAs[key] = "I64";
  return encodeSafetensors(state, {
    storeAs,
    metadata: {
      format: "unetkit",
      [CONFIG_METADATA_KEY]: JSON.stringify(model.config),
      "unetkit.weights.version": WEIGHTS_FORMAT_VERSION,
    },
  });
}

/**
 * Loads `.safetensors` bytes into an existing model (strict: every key present, shapes equal),
 * e.g. a file saved from PyTorch. When the file records a unetkit configuration that differs from
 * the model's, the error says which settings differ.
 *
 * @example
 * ```ts
 * loadUNetWeights(model, readFileSync("from-pytorch.safetensors"));
 * ```
 */
export function loadUNetWeights(model: UNet, bytes: Uint8Array): void {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const recorded = metadata?.[CONFIG_METADATA_KEY];
  if (recorded !== undefined) {
    const config = parseConfig(recorded);
    const diffs = (Object.keys(model.config) as (keyof UNetConfig)[])
      .filter((k) => k !== "dtype" && config[k] !== undefined && config[k] !== model.config[k])
      .map((k) => `${k} ${String(config[k])} in the file, ${String(model.config[k])} in the model`);
    if (diffs.length > 0) {
      throw new FormatError("loadUNetWeights", `the weights are for another architecture (${diffs.join("; ")})`);
    }
  }
  model.loadStateDict(castState(tensors, model));
}

/**
 * Rebuilds a model from `.safetensors` bytes written by {@link encodeUNetWeights} (the
 * configuration comes from the file's metadata) and loads its weights.
 *
 * @example
 * ```ts
 * const model = decodeUNetWeights(readFileSync("runs/a/model.safetensors"));
 * ```
 */
export function decodeUNetWeights(bytes: Uint8Array): UNet {
  const { metadata } = decodeSafetensors(bytes);
  const recorded = metadata?.[CONFIG_METADATA_KEY];
  if (recorded === undefined) {
    throw new FormatError("decodeUNetWeights", `the file has no ${CONFIG_METADATA_KEY} metadata; build the model yourself and use loadUNetWeights`);
  }
  const model = new UNet(parseConfig(recorded));
  loadUNetWeights(model, bytes);
  return model;
}

function parseConfig(text: string): Partial<UNetConfig> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FormatError("loadUNetWeights", `the ${CONFIG_METADATA_KEY} metadata is not JSON`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new FormatError("loadUNetWeights", `the ${CONFIG_METADATA_KEY} metadata is not an object`);
  }
  return value as Partial<UNetConfig>;
}

function castState(tensors: Record<string, Tensor>, model: UNet): Record<string, Tensor> {
  const want = model.config.dtype;
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) out[k] = t.dtype === want ? t : t.astype(want);
  return out;
}
