import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseFlags } from "./cli.js";
import { makeReporter, type OutputMode } from "./reporter.js";
import { writeReport } from "./report.js";
import { configFromFlags, type TrainConfig } from "./train-config.js";
import { train, type TrainResult } from "./trainer.js";
import { UsageError } from "./usage-error.js";

/** The output mode from `--json` / `--quiet`. */
export function outputMode(values: Record<string, unknown>): OutputMode {
  if (values.json && values.quiet) throw new UsageError("--json and --quiet exclude each other");
  return values.json ? "json" : values.quiet ? "quiet" : "pretty";
}

/** A timestamped run folder under runs/ unless --out names one. */
export function outDir(values: Record<string, unknown>, prefix = "train"): string {
  if (typeof values.out === "string") return values.out;
  const stamp = new Date().toISOString().replace(/[:T]/g, "-").replace(/\..*/, "");
  return join("runs", `${prefix}-${stamp}`);
}

/** Trains with a reporter and writes the report folder. */
export async function trainAndReport(config: TrainConfig, out: string, mode: OutputMode, resume: boolean): Promise<TrainResult> {
  mkdirSync(out, { recursive: true });
  const reporter = makeReporter(mode, config.epochs);
  const result = await train(config, out, { resume, events: reporter });
  const files = await writeReport(out, result);
  const final = result.final;
  reporter.done({ out, files, testMeanIoU: final.testMeanIoU, testAccuracy: final.testAccuracy, preciseBn: final.preciseBn, wallSeconds: result.wallSeconds });
  if (mode === "pretty") {
    process.stdout.write(
      `done in ${result.wallSeconds.toFixed(1)} s: test mIoU ${final.testMeanIoU.toFixed(4)}, pixel accuracy ${final.testAccuracy.toFixed(4)}${final.preciseBn ? " (after precise BN)" : ""}\n` +
        `report: ${join(out, "index.html")}\n`,
    );
  }
  return result;
}

/** `unetkit train [options]`. */
export async function runTrain(args: string[], options: Record<string, { type: "string" | "boolean" }>): Promise<void> {
  const { values, positionals } = parseFlags(args, options);
  if (positionals.length > 0) throw new UsageError(`train takes no positional arguments (got ${positionals.join(" ")})`);
  const config = configFromFlags(values);
  const mode = outputMode(values);
  if (values.resume && typeof values.out !== "string") throw new UsageError("--resume needs --out FOLDER (the run to continue)");
  await trainAndReport(config, outDir(values), mode, values.resume === true);
}
