import { existsSync, readFileSync } from "node:fs";
import type { LRSchedulerStateDict, OptimizerStateDict, ParamState } from "@unetkit/layers";
import { FormatError, decodeSafetensors, encodeSafetensors, type Tensor } from "@unetkit/tensor";
import { writeFileAtomic } from "@unetkit/tensor/node";
import type { EpochRecord } from "./epoch-record.js";
import type { Session } from "./session.js";
import type { TrainConfig } from "./train-config.js";

const KEY = "unetkit.checkpoint";
const VERSION = 1;

/** What a checkpoint restores besides the tensors. */
interface CheckpointMeta {
  version: number;
  config: TrainConfig;
  /** Epochs completed. */
  epochsDone: number;
  history: EpochRecord[];
  optimizer: Omit<OptimizerStateDict, "state"> & { state: ({ step: number; buffers: string[] } | null)[] };
  scheduler: LRSchedulerStateDict | null;
  wallSeconds: number;
}

/**
 * A training checkpoint as one `.safetensors` file: the model's state dict under `model.`, the
 * optimizer's per-parameter buffers under `optim.<i>.<name>`, and everything else (configuration,
 * epochs done, history, optimizer hyperparameters and step counts, LR schedule) as JSON metadata.
 * The data order needs no state: epoch k's batches are a pure function of the seed and k.
 */
export function encodeCheckpoint(session: Session, epochsDone: number, history: EpochRecord[], wallSeconds: number): Uint8Array {
  const tensors: Record<string, Tensor> = {};
  const storeAs: Record<string, "I64"> = {};
  for (const [k, t] of Object.entries(session.model.stateDict())) {
    tensors[`model.${k}`] = t;
    if (k.endsWith("num_batches_tracked")) storeAs[`model.${k}`] = "I64";
  }
  const opt = session.optimizer.stateDict();
  const state = opt.state.map((s, i) => {
    if (s === null) return null;
    for (const [name, t] of Object.entries(s.buffers)) tensors[`optim.${i}.${name}`] = t;
    return { step: s.step, buffers: Object.keys(s.buffers) };
  });
  const meta: CheckpointMeta = {
    version: VERSION,
    config: session.config,
    epochsDone,
    history,
    optimizer: { ...opt, state },
    scheduler: session.scheduler ? session.scheduler.stateDict() : null,
    wallSeconds,
  };
  return encodeSafetensors(tensors, { storeAs, metadata: { [KEY]: JSON.stringify(meta) } });
}

/** Writes a checkpoint atomically (temp file, then rename): a kill at any moment leaves the old or the new one. */
export async function saveCheckpoint(path: string, session: Session, epochsDone: number, history: EpochRecord[], wallSeconds: number): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(session, epochsDone, history, wallSeconds));
}

/** Reads and validates a checkpoint file's metadata and tensors (FormatError when corrupt). */
export function readCheckpoint(path: string): { meta: CheckpointMeta; tensors: Record<string, Tensor> } {
  const op = "readCheckpoint";
  if (!existsSync(path)) throw new FormatError(op, `no checkpoint at ${path}`);
  const { tensors, metadata } = decodeSafetensors(readFileSync(path));
  const text = metadata?.[KEY];
  if (text === undefined) throw new FormatError(op, `${path} is not a unetkit training checkpoint (no ${KEY} metadata)`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(text) as CheckpointMeta;
  } catch {
    throw new FormatError(op, `${path}: the checkpoint metadata is not JSON`);
  }
  if (meta === null || typeof meta !== "object" || meta.version !== VERSION) {
    throw new FormatError(op, `${path}: unsupported checkpoint version ${String((meta as { version?: unknown })?.version)}`);
  }
  if (!Number.isInteger(meta.epochsDone) || meta.epochsDone < 1 || !Array.isArray(meta.history) || meta.history.length !== meta.epochsDone) {
    throw new FormatError(op, `${path}: inconsistent epoch count in the checkpoint`);
  }
  return { meta, tensors };
}

/**
 * The configuration differences between a checkpoint and a run, as text. The epoch count may change
 * (to train longer) unless an LR schedule depends on it.
 */
export function configDifferences(saved: TrainConfig, wanted: TrainConfig): string[] {
  const out: string[] = [];
  const epochsMatter = saved.schedule !== "none";
  const walk = (a: unknown, b: unknown, path: string) => {
    if (path === "epochs" && !epochsMatter) return;
    if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && !Array.isArray(a)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
        walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      }
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      out.push(`${path}: ${JSON.stringify(a)} in the checkpoint, ${JSON.stringify(b)} now`);
    }
  };
  walk(saved, wanted, "");
  return out;
}

/** Loads a checkpoint's tensors and state into a freshly built session (same configuration). */
export function restoreSession(session: Session, meta: CheckpointMeta, tensors: Record<string, Tensor>): void {
  const model: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) if (k.startsWith("model.")) model[k.slice(6)] = t.astype(session.model.config.dtype);
  session.model.loadStateDict(model);
  const state: (ParamState | null)[] = meta.optimizer.state.map((s, i) => {
    if (s === null) return null;
    const buffers: Record<string, Tensor> = {};
    for (const name of s.buffers) {
      const t = tensors[`optim.${i}.${name}`];
      if (!t) throw new FormatError("restoreSession", `checkpoint lacks optimizer buffer optim.${i}.${name}`);
      buffers[name] = t;
    }
    return { step: s.step, buffers };
  });
  session.optimizer.loadStateDict({ ...meta.optimizer, state } as OptimizerStateDict);
  if (session.scheduler && meta.scheduler) session.scheduler.loadStateDict(meta.scheduler);
}
