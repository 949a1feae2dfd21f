import { UnetkitError } from "@unetkit/tensor";
import { parseArgs } from "node:util";
import { runCompare } from "./compare-command.js";
import { runPredict } from "./predict-command.js";
import { RESIDUAL_FLAGS } from "./residual-command.js";
import { runTrain } from "./train-command.js";
import { BACKEND_FLAGS, chooseBackend } from "./backend.js";
import { TRAIN_FLAGS } from "./train-config.js";
import { UsageError } from "./usage-error.js";

const COMMON = {
  out: { type: "string", help: "output folder (train: runs/<timestamp>)" },
  resume: { type: "boolean", help: "continue from the output folder's last checkpoint" },
  json: { type: "boolean", help: "one JSON object per line instead of a progress bar" },
  quiet: { type: "boolean", help: "print nothing but errors" },
  debug: { type: "boolean", help: "show stack traces of unexpected errors" },
  ...BACKEND_FLAGS,
} as const;

export const HELP = `unetkit: train and compare U-Nets written from scratch in TypeScript

usage:
  unetkit train [options]                 train a U-Net (defaults: the seed notebook's experiment)
  unetkit predict --weights FILE IMAGE... apply saved weights to PNG images of any size
  unetkit compare skip|upsampling|residual [options]
  unetkit help

train options:
${[...Object.entries(TRAIN_FLAGS), ...Object.entries(COMMON)]
  .map(([k, v]) => `  --${k}${v.type === "string" ? " VALUE" : ""}`.padEnd(28) + v.help)
  .join("\n")}

compare residual options (a small ResNet vs its plain twin, at two depths, on Fashion-MNIST or CIFAR-10;
it also takes --train-size, --test-size, --epochs, --batch-size, --lr, --momentum, --weight-decay, --seed,
and --depth N = blocks per stage of the deep pair):
${Object.entries(RESIDUAL_FLAGS)
  .map(([k, v]) => `  --${k} VALUE`.padEnd(28) + v.help.replace(/^residual: /, ""))
  .join("\n")}
`;

/** Runs the CLI; returns the exit code. Errors end as one line on stderr, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const debug = rest.includes("--debug");
  try {
    if (command === "train" || command === "predict" || command === "compare") {
      // The kernel backend is chosen before the command runs: wasm by default, TypeScript on request
      // or when wasm cannot load (said on stderr, so JSON-lines output on stdout stays clean).
      const pre = parseArgs({ args: rest, options: BACKEND_FLAGS as never, strict: false, allowPositionals: true });
      const chosen = await chooseBackend(pre.values as Record<string, unknown>);
      if (chosen.note && !rest.includes("--quiet")) process.stderr.write(`unetkit: ${chosen.note}\n`);
    }
    switch (command) {
      case "train":
        await runTrain(rest, { ...TRAIN_FLAGS, ...COMMON });
        return 0;
      case "predict":
        await runPredict(rest);
        return 0;
      case "compare":
        await runCompare(rest, { ...TRAIN_FLAGS, ...COMMON });
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}" (commands: train, predict, compare, help)`);
    }
  } catch (e) {
    const err = e as Error;
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`unetkit: ${err.message.split("\n")[0]} (see unetkit help)\n`);
      return 2;
    }
    if (err instanceof UnetkitError) {
      process.stderr.write(`unetkit: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`unetkit: ${debug ? err.stack : err.message ?? String(err)}\n`);
    return 1;
  }
}

/** Parses a command's flags strictly (unknown flags are errors). */
export function parseFlags<T extends Record<string, { type: "string" | "boolean" }>>(args: string[], options: T) {
  return parseArgs({ args, options: options as never, strict: true, allowPositionals: true }) as {
    values: Record<string, string | boolean | undefined>;
    positionals: string[];
  };
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/").split("/").pop() ?? "");
if (isMain) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
