import { join } from "node:path";
import { writeFileAtomic } from "@unetkit/tensor/node";
import { encodeUNetWeights } from "@unetkit/unet";
import type { TrainResult } from "./trainer.js";

/** The JSON summary of a run: configuration, seed, per-epoch and final figures, wall time. */
export function metricsJson(result: TrainResult): object {
  const { session, history, wallSeconds } = result;
  const final = history[history.length - 1];
  return {
    format: "unetkit.metrics",
    version: 1,
    config: session.config,
    seed: session.config.seed,
    model: { ...session.model.config, parameters: session.model.parameterCount() },
    classNames: session.classNames,
    normalize: session.normalize ?? null,
    epochs: history,
    final: {
      trainLoss: final.trainLoss,
      trainAccuracy: final.trainAccuracy,
      trainMeanIoU: final.trainMeanIoU,
      testAccuracy: final.testAccuracy,
      testMeanIoU: final.testMeanIoU,
      testIoU: Object.fromEntries(session.classNames.map((n, i) => [n, final.testIoU[i]])),
    },
    wallSeconds,
    node: process.version,
  };
}

/**
 * Writes the run's report into `out`: `metrics.json`, `model.safetensors` (loadable in PyTorch with
 * tools/unet_torch.py) and the visual report (charts, prediction grid, index.html). Every file is
 * written atomically. Returns the file names.
 */
export async function writeReport(out: string, result: TrainResult): Promise<string[]> {
  await writeFileAtomic(join(out, "metrics.json"), new TextEncoder().encode(JSON.stringify(metricsJson(result), null, 2) + "\n"));
  await writeFileAtomic(join(out, "model.safetensors"), encodeUNetWeights(result.session.model));
  return ["metrics.json", "model.safetensors"];
}
