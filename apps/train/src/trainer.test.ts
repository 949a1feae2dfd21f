import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSession } from "./session.js";
import { DEFAULT_CONFIG, type TrainConfig } from "./train-config.js";
import { recalibrateBatchNorm, train } from "./trainer.js";

const tiny: TrainConfig = {
  ...DEFAULT_CONFIG,
  data: { ...DEFAULT_CONFIG.data, trainSize: 8, testSize: 4, imageSize: 32 },
  model: { ...DEFAULT_CONFIG.model, baseChannels: 2 },
  batchSize: 4,
  epochs: 2,
  seed: 5,
};

const runningStats = (s: ReturnType<typeof createSession>) =>
  s.model.namedBuffers().filter(([k]) => k.includes("running")).map(([k, t]) => [k, Array.from(t.data)] as const);

describe("precise BN", () => {
  it("recomputes the running statistics from the weights and the training set alone (not from their previous values)", () => {
    const a = createSession(tiny);
    recalibrateBatchNorm(a);
    const first = runningStats(a);
    // Scramble the running statistics: recalibrating again must give the same values.
    for (const [k, t] of a.model.namedBuffers()) if (k.includes("running")) t.data.fill(k.endsWith("var") ? 7 : -3);
    recalibrateBatchNorm(a);
    expect(runningStats(a)).toEqual(first);
    // The momenta are back to PyTorch's 0.1.
    for (const [, m] of a.model.namedModules()) if ("momentum" in m) expect((m as { momentum: number | null }).momentum).toBe(0.1);
  });

  it("is on by default and can be turned off, in which case the final figures are the last epoch's", async () => {
    const on = await train(tiny, mkdtempSync(join(tmpdir(), "unetkit-pbn-")));
    expect(on.final.preciseBn).toBe(true);
    const off = await train({ ...tiny, preciseBn: false }, mkdtempSync(join(tmpdir(), "unetkit-pbn-")));
    expect(off.final.preciseBn).toBe(false);
    expect(off.final.testMeanIoU).toBe(off.history[off.history.length - 1].testMeanIoU);
    // Training itself is the same either way: precise BN only runs after the last epoch.
    expect(off.history.map((r) => r.trainLoss)).toEqual(on.history.map((r) => r.trainLoss));
  });
});
