import { mkdirSync, readFileSync, existsSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { colorizeMask, imageToPngData, type PngData } from "@unetkit/data";
import { decodePng, savePng } from "@unetkit/data/node";
import { Tensor } from "@unetkit/tensor";
import { decodeUNetWeights, predictTiled } from "@unetkit/unet";
import { parseFlags } from "./cli.js";
import { BACKEND_FLAGS } from "./backend.js";
import { normalizeInPlace } from "./trainer.js";
import { UsageError } from "./usage-error.js";

const OPTIONS = {
  weights: { type: "string" },
  out: { type: "string" },
  tile: { type: "string" },
  quiet: { type: "boolean" },
  debug: { type: "boolean" },
  ...BACKEND_FLAGS,
} as const;

/** A decoded PNG as a `[1, C, H, W]` float tensor in [0, 1] with the model's channel count. */
function toInput(path: string, channels: number): Tensor {
  const png = decodePng(readFileSync(path), path);
  const { width: w, height: h } = png;
  const x = new Tensor("float32", [1, channels, h, w]);
  const scale = 1 / png.maxValue;
  for (let p = 0; p < w * h; p++) {
    const [r, g, b] = [png.rgba[p * 4], png.rgba[p * 4 + 1], png.rgba[p * 4 + 2]];
    if (channels === 1) x.data[p] = (0.299 * r + 0.587 * g + 0.114 * b) * scale;
    else for (let c = 0; c < channels; c++) x.data[c * w * h + p] = [r, g, b][c % 3] * scale;
  }
  return x;
}

/** Blends a colour mask (RGB) over an image (grey or RGB): 55% image, 45% class colour; background stays the image. */
export function overlayMask(image: PngData, mask: PngData): PngData {
  const n = image.width * image.height;
  const data = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const bg = mask.data[p * 3] === 0 && mask.data[p * 3 + 1] === 0 && mask.data[p * 3 + 2] === 0;
    for (let c = 0; c < 3; c++) {
      const v = image.data[p * image.channels + (image.channels === 1 ? 0 : c)];
      data[p * 3 + c] = bg ? v : Math.round(0.55 * v + 0.45 * mask.data[p * 3 + c]);
    }
  }
  return { width: image.width, height: image.height, channels: 3, data };
}

/** `unetkit predict --weights FILE [--out DIR] [--tile N] IMAGE...`: masks and overlays for PNGs of any size. */
export async function runPredict(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags(args, OPTIONS);
  if (typeof values.weights !== "string") throw new UsageError("predict needs --weights FILE (a model.safetensors from train)");
  if (positionals.length === 0) throw new UsageError("predict needs at least one PNG image");
  if (!existsSync(values.weights)) throw new UsageError(`no weights file at ${values.weights}`);
  const model = decodeUNetWeights(readFileSync(values.weights));
  const metricsPath = join(dirname(values.weights), "metrics.json");
  const normalize = existsSync(metricsPath) ? (JSON.parse(readFileSync(metricsPath, "utf8")).normalize ?? undefined) : undefined;
  const out = typeof values.out === "string" ? values.out : "predictions";
  mkdirSync(out, { recursive: true });
  const tile = values.tile === undefined ? undefined : Number(values.tile);
  for (const path of positionals) {
    if (!existsSync(path)) throw new UsageError(`no image at ${path}`);
    const x = toInput(path, model.config.inChannels);
    const raw = x.clone();
    if (normalize) normalizeInPlace(x, normalize);
    const { mask, maskShape } = predictTiled(model, x, { tile });
    const [, h, w] = maskShape;
    const name = basename(path, extname(path));
    const colored = colorizeMask({ shape: [h, w], data: mask });
    savePng(join(out, `${name}-mask.png`), colored);
    savePng(join(out, `${name}-overlay.png`), overlayMask(imageToPngData(raw.reshape([model.config.inChannels, h, w])), colored));
    if (!values.quiet) process.stdout.write(`${path}: ${w}x${h} -> ${join(out, `${name}-mask.png`)}, ${join(out, `${name}-overlay.png`)}\n`);
  }
}
