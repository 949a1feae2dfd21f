import { join } from "node:path";
import { parseFlags } from "./cli.js";
import { configFromFlags, type TrainConfig } from "./train-config.js";
import { outDir, outputMode, trainAndReport } from "./train-command.js";
import type { TrainResult } from "./trainer.js";
import { UsageError } from "./usage-error.js";
import { writeFileAtomic } from "@unetkit/tensor/node";

/** The variants a segmentation comparison trains, each a change to the base configuration. */
export function variants(kind: string, base: TrainConfig): { name: string; config: TrainConfig }[] {
  const with_ = (name: string, model: Partial<TrainConfig["model"]>) => ({ name, config: { ...base, model: { ...base.model, ...model } } });
  if (kind === "skip") return [with_("with-skip", { skip: true }), with_("without-skip", { skip: false, attention: false })];
  if (kind === "upsampling") return [with_("nearest", { upsample: "nearest" }), with_("bilinear", { upsample: "bilinear" }), with_("transposed", { upsample: "transposed" })];
  throw new UsageError(`compare needs skip, upsampling or residual (got ${kind})`);
}

/** `unetkit compare skip|upsampling [train options]`: the same training for each variant, same seed. */
export async function runCompare(args: string[], options: Record<string, { type: "string" | "boolean" }>): Promise<void> {
  const { values, positionals } = parseFlags(args, options);
  const [kind, ...extra] = positionals;
  if (kind === undefined) throw new UsageError("compare needs what to compare: skip, upsampling or residual");
  if (extra.length > 0) throw new UsageError(`compare takes one comparison (got ${positionals.join(" ")})`);
  if (values.resume) throw new UsageError("compare does not resume; rerun it");
  const mode = outputMode(values);
  const base = configFromFlags(values);
  const out = outDir(values, `compare-${kind}`);
  const runs: { name: string; result: TrainResult }[] = [];
  for (const v of variants(kind, base)) {
    if (mode === "pretty") process.stdout.write(`\n== ${kind}: ${v.name}\n`);
    runs.push({ name: v.name, result: await trainAndReport(v.config, join(out, v.name), mode, false) });
  }
  const summary = {
    format: "unetkit.compare",
    kind,
    seed: base.seed,
    runs: runs.map(({ name, result }) => ({
      name,
      testMeanIoU: result.history[result.history.length - 1].testMeanIoU,
      testAccuracy: result.history[result.history.length - 1].testAccuracy,
      parameters: result.session.model.parameterCount(),
      curves: result.history.map((r) => ({ epoch: r.epoch, trainLoss: r.trainLoss, testMeanIoU: r.testMeanIoU, testAccuracy: r.testAccuracy })),
    })),
  };
  await writeFileAtomic(join(out, "compare.json"), new TextEncoder().encode(JSON.stringify(summary, null, 2) + "\n"));
  if (mode === "pretty") {
    process.stdout.write(`\n${kind} comparison (seed ${base.seed}), final test mIoU:\n`);
    for (const r of summary.runs) process.stdout.write(`  ${r.name.padEnd(14)} ${r.testMeanIoU.toFixed(4)}  (${r.parameters.toLocaleString("en-US")} parameters)\n`);
    process.stdout.write(`results: ${join(out, "compare.json")}\n`);
  }
}
