import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodePng, encodePng } from "@unetkit/data/node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "./cli.js";

beforeEach(() => {
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

describe("predict", () => {
  it("segments PNGs of any size (overlap-tile) and writes a mask and an overlay of the same size", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unetkit-predict-"));
    const run = join(dir, "run");
    const tiny = ["--train-size", "8", "--test-size", "4", "--image-size", "32", "--base", "2", "--batch-size", "4", "--epochs", "1", "--quiet"];
    expect(await main(["train", ...tiny, "--out", run])).toBe(0);
    // A 70x45 grey image with a bright disc: not a size the network accepts whole.
    const w = 70;
    const h = 45;
    const data = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = (x - 30) ** 2 + (y - 20) ** 2 < 100 ? 220 : 20;
    const image = join(dir, "disc.png");
    writeFileSync(image, encodePng({ width: w, height: h, channels: 1, data }));
    const out = join(dir, "pred");
    expect(await main(["predict", "--weights", join(run, "model.safetensors"), "--out", out, "--tile", "32", "--quiet", image])).toBe(1); // too small for the margin
    expect(await main(["predict", "--weights", join(run, "model.safetensors"), "--out", out, "--quiet", image])).toBe(0);
    for (const name of ["disc-mask.png", "disc-overlay.png"]) {
      expect(existsSync(join(out, name))).toBe(true);
      const png = decodePng(readFileSync(join(out, name)));
      expect([png.width, png.height]).toEqual([w, h]);
    }
  });

  it("refuses a missing image with one line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unetkit-predict-"));
    const run = join(dir, "run");
    expect(await main(["train", "--train-size", "4", "--test-size", "2", "--image-size", "32", "--base", "2", "--epochs", "1", "--quiet", "--out", run])).toBe(0);
    expect(await main(["predict", "--weights", join(run, "model.safetensors"), join(dir, "nope.png")])).toBe(2);
  });
});
