import { getBackend } from "@unetkit/tensor";
import type { EpochRecord } from "./epoch-record.js";
import type { TrainEvents } from "./trainer.js";

/** How the trainer talks: a progress bar and epoch lines, JSON lines, or nothing but errors. */
export type OutputMode = "pretty" | "json" | "quiet";

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return "--:--";
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
}

/** Formats one epoch as the line the CLI prints. */
export function epochLine(r: EpochRecord, epochs: number): string {
  return (
    `epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  loss ${r.trainLoss.toFixed(4)}  ` +
    `train acc ${r.trainAccuracy.toFixed(4)} mIoU ${r.trainMeanIoU.toFixed(4)}  ` +
    `test acc ${r.testAccuracy.toFixed(4)} mIoU ${r.testMeanIoU.toFixed(4)}  (${r.seconds.toFixed(1)} s)`
  );
}

/**
 * Event handlers for a mode. `pretty` draws a progress bar (batch count, loss, ETA) only when the
 * stream is a terminal, and prints a line per epoch either way; `json` prints one JSON object per
 * event (`start`, `epoch` with the heap in use, `done` by the caller); `quiet` prints nothing.
 */
export function makeReporter(mode: OutputMode, epochs: number, out: NodeJS.WriteStream = process.stdout): TrainEvents & { done(extra: object): void } {
  const tty = out.isTTY === true;
  let epochStart = performance.now();
  let lossSum = 0;
  const write = (s: string) => out.write(s);
  if (mode === "json") {
    return {
      onStart: ({ startEpoch, batchesPerEpoch, session }) =>
        write(JSON.stringify({ event: "start", startEpoch, batchesPerEpoch, epochs, parameters: session.model.parameterCount(), backend: getBackend().name }) + "\n"),
      onEpoch: (r) => write(JSON.stringify({ event: "epoch", ...r }) + "\n"),
      done: (extra) => write(JSON.stringify({ event: "done", ...extra }) + "\n"),
    };
  }
  if (mode === "quiet") return { done: () => undefined };
  return {
    onStart: ({ session, startEpoch }) => {
      const c = session.config;
      write(
        `training ${session.model.constructor.name} (${session.model.parameterCount().toLocaleString("en-US")} parameters) on ` +
          `${session.train.images.shape[0]} images, testing on ${session.test.images.shape[0]}; ${c.epochs} epochs, batch ${c.batchSize}, ` +
          `${c.optimizer} lr ${c.lr}; ${getBackend().name} backend${startEpoch > 0 ? `; resuming after epoch ${startEpoch}` : ""}\n`,
      );
    },
    onBatch: ({ epoch, batch, batches, loss }) => {
      if (batch === 1) {
        epochStart = performance.now();
        lossSum = 0;
      }
      lossSum += loss;
      if (!tty) return;
      const elapsed = (performance.now() - epochStart) / 1000;
      const eta = (elapsed / batch) * (batches - batch);
      const width = 24;
      const filled = Math.round((batch / batches) * width);
      write(
        `\r\x1b[2Kepoch ${epoch + 1}/${epochs} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${batch}/${batches}  loss ${(lossSum / batch).toFixed(4)}  ETA ${fmtTime(eta)}`,
      );
    },
    onEpoch: (r) => write(`${tty ? "\r\x1b[2K" : ""}${epochLine(r, epochs)}\n`),
    done: () => undefined,
  };
}
