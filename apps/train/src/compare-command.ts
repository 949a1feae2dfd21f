import { join } from "node:path";
import { parseFlags } from "./cli.js";
import { writeCompareReport, type CompareRun } from "./compare-report.js";
import { RESIDUAL_FLAGS, RESIDUAL_SHARED_FLAGS, residualOptionsFromFlags, runResidualExperiment } from "./residual-command.js";
import { TRAIN_FLAGS, configFromFlags, type TrainConfig } from "./train-config.js";
import { outDir, outputMode, trainAndReport } from "./train-command.js";
import { UsageError } from "./usage-error.js";

/** The variants a segmentation comparison trains, each a change to the base configuration. */
export function variants(kind: string, base: TrainConfig): { name: string; config: TrainConfig }[] {
  const with_ = (name: string, model: Partial<TrainConfig["model"]>) => ({ name, config: { ...base, model: { ...base.model, ...model } } });
  if (kind === "skip") return [with_("with-skip", { skip: true }), with_("without-skip", { skip: false, attention: false })];
  if (kind === "upsampling") return [with_("nearest", { upsample: "nearest" }), with_("bilinear", { upsample: "bilinear" }), with_("transposed", { upsample: "transposed" })];
  throw new UsageError(`compare needs skip, upsampling or residual (got ${kind})`);
}

/**
 * `unetkit compare skip|upsampling [train options]`: the same training for each variant, same seed,
 * each with its own report in a subfolder, then the comparison's report (compare.json, one chart of
 * all variants, a side-by-side prediction grid, index.html).
 * `unetkit compare residual [options]`: the ResNet vs plain experiment (see residual-command.ts).
 */
export async function runCompare(args: string[], options: Record<string, { type: "string" | "boolean" }>): Promise<void> {
  const { values, positionals } = parseFlags(args, { ...options, ...RESIDUAL_FLAGS });
  const [kind, ...extra] = positionals;
  if (kind === undefined) throw new UsageError("compare needs what to compare: skip, upsampling or residual");
  if (extra.length > 0) throw new UsageError(`compare takes one comparison (got ${positionals.join(" ")})`);
  if (values.resume) throw new UsageError("compare does not resume; rerun it");
  const given = Object.keys(values).filter((k) => values[k] !== undefined);
  const mode = outputMode(values);
  if (kind === "residual") {
    // Of the train flags only the shared ones apply; the common ones (--out, --json, ...) all do.
    const foreign = given.filter((k) => k in TRAIN_FLAGS && !(RESIDUAL_SHARED_FLAGS as readonly string[]).includes(k));
    if (foreign.length > 0) {
      const takes = [...RESIDUAL_SHARED_FLAGS.filter((k) => k in TRAIN_FLAGS), ...Object.keys(RESIDUAL_FLAGS)];
      throw new UsageError(`compare residual does not take --${foreign[0]} (its options: --${takes.join(", --")}, and --out, --json, --quiet)`);
    }
    const o = residualOptionsFromFlags(values);
    await runResidualExperiment(o, outDir(values, "compare-residual"), mode);
    return;
  }
  const residualOnly = given.find((k) => k in RESIDUAL_FLAGS);
  if (residualOnly) throw new UsageError(`--${residualOnly} is an option of compare residual only`);
  const base = configFromFlags(values);
  const names = variants(kind, base);
  const out = outDir(values, `compare-${kind}`);
  const runs: CompareRun[] = [];
  for (const v of names) {
    if (mode === "pretty") process.stdout.write(`\n== ${kind}: ${v.name}\n`);
    runs.push({ name: v.name, result: await trainAndReport(v.config, join(out, v.name), mode, false) });
  }
  const files = await writeCompareReport(out, kind, runs);
  if (mode === "json") {
    const finals = runs.map(({ name, result }) => ({ name, testMeanIoU: result.final.testMeanIoU, preciseBn: result.final.preciseBn }));
    process.stdout.write(JSON.stringify({ event: "compare", kind, out, files, runs: finals }) + "\n");
  }
  if (mode === "pretty") {
    process.stdout.write(`\n${kind} comparison (seed ${base.seed}), final test mIoU:\n`);
    for (const { name, result } of runs) {
      const f = result.final;
      process.stdout.write(`  ${name.padEnd(14)} ${f.testMeanIoU.toFixed(4)}  (${result.session.model.parameterCount().toLocaleString("en-US")} parameters)\n`);
    }
    process.stdout.write(`report: ${join(out, "index.html")}\n`);
  }
}
