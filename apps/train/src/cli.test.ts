import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { encodePng } from "@unetkit/data/node";
import { main } from "./cli.js";

const TINY = ["--train-size", "12", "--test-size", "6", "--image-size", "32", "--base", "2", "--batch-size", "4", "--seed", "3"];

let err = "";
let out = "";
beforeEach(() => {
  err = "";
  out = "";
  vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
  vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

const tmp = () => mkdtempSync(join(tmpdir(), "unetkit-cli-"));

describe("bad options end with one clear line and a non-zero exit", () => {
  const cases: [string, string[], RegExp][] = [
    ["an unknown flag", ["train", "--epoch", "3"], /Unknown option '--epoch'/],
    ["epochs 0", ["train", "--epochs", "0"], /--epochs must be an integer from 1/],
    ["a non-number", ["train", "--lr", "fast"], /--lr must be a number/],
    ["an unknown choice", ["train", "--upsample", "cubic"], /--upsample must be one of nearest, bilinear, transposed/],
    ["folder data without masks", ["train", "--data", "folder", "--images", "x"], /needs --images DIR and --masks DIR/],
    ["an unknown command", ["fly"], /unknown command "fly"/],
    ["resume without a folder", ["train", "--resume"], /--resume needs --out/],
    ["predict without weights", ["predict", "a.png"], /predict needs --weights/],
    ["compare without a kind", ["compare"], /compare needs what to compare/],
  ];
  it.each(cases)("%s", async (_name, argv, message) => {
    const code = await main(argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it("a folder without masks", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "images"));
    mkdirSync(join(dir, "masks"));
    writeFileSync(join(dir, "images", "a.png"), encodePng({ width: 4, height: 4, channels: 1, data: new Uint8Array(16) }));
    const code = await main(["train", "--data", "folder", "--images", join(dir, "images"), "--masks", join(dir, "masks"), "--out", join(dir, "run")]);
    expect(code).toBe(1);
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toMatch(/unetkit: .*a\.png/);
  });

  it("a checkpoint from another architecture", async () => {
    const dir = tmp();
    expect(await main(["train", ...TINY, "--epochs", "1", "--quiet", "--out", dir])).toBe(0);
    const code = await main(["train", ...TINY, "--base", "4", "--epochs", "2", "--quiet", "--resume", "--out", dir]);
    expect(code).toBe(2);
    expect(err).toMatch(/another configuration \(model\.baseChannels: 2 in the checkpoint, 4 now\)/);
  });

  it("a corrupt checkpoint", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "checkpoint.safetensors"), Buffer.from("not a safetensors file at all"));
    const code = await main(["train", ...TINY, "--epochs", "2", "--quiet", "--resume", "--out", dir]);
    expect(code).toBe(1);
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toMatch(/unetkit: decodeSafetensors: /);
  });
});

describe("train", () => {
  it("a 1-epoch run writes metrics.json and loadable weights; JSON-lines mode reports every epoch with the heap", async () => {
    const dir = tmp();
    expect(await main(["train", ...TINY, "--epochs", "1", "--json", "--out", dir])).toBe(0);
    const lines = out.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event)).toEqual(["start", "epoch", "done"]);
    expect(lines[1].heapUsedMiB).toBeGreaterThan(0);
    const metrics = JSON.parse(readFileSync(join(dir, "metrics.json"), "utf8"));
    expect(metrics.epochs).toHaveLength(1);
    expect(metrics.seed).toBe(3);
    expect(metrics.final.testMeanIoU).toBeGreaterThanOrEqual(0);
    expect(existsSync(join(dir, "model.safetensors"))).toBe(true);
  });

  it("resuming gives the same weights, bit for bit, as an uninterrupted run", async () => {
    const a = tmp();
    const b = tmp();
    expect(await main(["train", ...TINY, "--epochs", "3", "--quiet", "--out", a])).toBe(0);
    expect(await main(["train", ...TINY, "--epochs", "1", "--quiet", "--out", b])).toBe(0);
    expect(await main(["train", ...TINY, "--epochs", "3", "--quiet", "--resume", "--out", b])).toBe(0);
    expect(readFileSync(join(b, "model.safetensors")).equals(readFileSync(join(a, "model.safetensors")))).toBe(true);
    const ma = JSON.parse(readFileSync(join(a, "metrics.json"), "utf8"));
    const mb = JSON.parse(readFileSync(join(b, "metrics.json"), "utf8"));
    expect(mb.epochs.map((e: { trainLoss: number }) => e.trainLoss)).toEqual(ma.epochs.map((e: { trainLoss: number }) => e.trainLoss));
  });

  it("killed with SIGKILL mid-run and resumed, it ends with the weights of an uninterrupted run", async () => {
    const reference = tmp();
    expect(await main(["train", ...TINY, "--epochs", "4", "--quiet", "--out", reference])).toBe(0);
    const dir = tmp();
    const bin = fileURLToPath(new URL("../bin/unetkit.mjs", import.meta.url));
    const child = spawn(process.execPath, [bin, "train", ...TINY, "--epochs", "4", "--quiet", "--out", dir], { stdio: "ignore" });
    const ckpt = join(dir, "checkpoint.safetensors");
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (existsSync(ckpt)) {
          clearInterval(timer);
          child.kill("SIGKILL");
          resolve();
        }
      }, 5);
      child.on("exit", (code) => {
        clearInterval(timer);
        if (!existsSync(ckpt)) reject(new Error(`the run ended (code ${code}) before writing a checkpoint`));
        else resolve();
      });
    });
    await new Promise((r) => child.once("exit", r).emit === undefined || setTimeout(r, 200));
    expect(existsSync(join(dir, "model.safetensors"))).toBe(false); // it really was interrupted
    expect(await main(["train", ...TINY, "--epochs", "4", "--quiet", "--resume", "--out", dir])).toBe(0);
    expect(readFileSync(join(dir, "model.safetensors")).equals(readFileSync(join(reference, "model.safetensors")))).toBe(true);
  });

  it("the heap stays flat from epoch to epoch", async () => {
    const dir = tmp();
    expect(await main(["train", ...TINY, "--epochs", "6", "--json", "--out", dir])).toBe(0);
    const heaps = out.trim().split("\n").map((l) => JSON.parse(l)).filter((l) => l.event === "epoch").map((l) => l.heapUsedMiB as number);
    expect(heaps).toHaveLength(6);
    expect(heaps[5] - heaps[1]).toBeLessThan(2);
  });
});
