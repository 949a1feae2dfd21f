/**
 * Node-only helpers of `@unetkit/tensor` (import from `@unetkit/tensor/node`): atomic file writes
 * and safetensors files on disk. The main entry stays free of `node:` imports so it runs in a
 * browser.
 *
 * @packageDocumentation
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ArgumentError } from "./errors.js";
import {
  decodeSafetensors,
  encodeSafetensors,
  type DecodeSafetensorsOptions,
  type DecodedSafetensors,
  type EncodeSafetensorsOptions,
} from "./safetensors.js";
import type { Tensor } from "./tensor.js";

/**
 * Writes bytes to `path` atomically: into a temporary file in the same directory, flushed to disk
 * (`fsync`), then renamed over `path`, so a reader (or a crash) sees either the old file or the
 * whole new one, never a partial write. The temporary file is removed if anything fails.
 *
 * @example
 * ```ts
 * await writeFileAtomic("runs/last.safetensors", bytes);
 * ```
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const { dir, tmp } = atomicTarget("writeFileAtomic", path, bytes);
  let renamed = false;
  try {
    const handle = await open(tmp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    renamed = true;
    // make the rename itself durable where the platform allows syncing a directory
    try {
      const d = await open(dir, "r");
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    } catch {
      // not supported (e.g. Windows): the file itself is already flushed
    }
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
}

/**
 * The synchronous twin of {@link writeFileAtomic}, with the same guarantees (temporary file in the
 * same directory, `fsync`, rename, directory `fsync` where supported; the temporary file removed on
 * failure), for callers that cannot await.
 *
 * @example
 * ```ts
 * writeFileAtomicSync("out/mask.png", pngBytes);
 * ```
 */
export function writeFileAtomicSync(path: string, bytes: Uint8Array): void {
  const { dir, tmp } = atomicTarget("writeFileAtomicSync", path, bytes);
  let renamed = false;
  try {
    const fd = openSync(tmp, "wx");
    try {
      writeFileSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    renamed = true;
    try {
      const d = openSync(dir, "r");
      try {
        fsyncSync(d);
      } finally {
        closeSync(d);
      }
    } catch {
      // not supported (e.g. Windows): the file itself is already flushed
    }
  } finally {
    if (!renamed) rmSync(tmp, { force: true });
  }
}

/** Checks the arguments of an atomic write and names its temporary file (hidden, beside `path`). */
function atomicTarget(op: string, path: string, bytes: Uint8Array): { dir: string; tmp: string } {
  if (typeof path !== "string" || path.length === 0) throw new ArgumentError(op, "path must be a non-empty string");
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(op, "bytes must be a Uint8Array");
  const dir = dirname(path);
  return { dir, tmp: join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`) };
}

/**
 * Writes named tensors to a safetensors file atomically (see {@link encodeSafetensors} and
 * {@link writeFileAtomic}).
 *
 * @example
 * ```ts
 * await saveSafetensors("model.safetensors", model.stateDict(), { metadata: { epoch: "3" } });
 * ```
 */
export async function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  options: EncodeSafetensorsOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, options));
}

/**
 * Reads and validates a safetensors file (see {@link decodeSafetensors}); a corrupt or truncated
 * file is refused with a `FormatError` whose message also names the path.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = await loadSafetensors("model.safetensors");
 * ```
 */
export async function loadSafetensors(path: string, options: DecodeSafetensorsOptions = {}): Promise<DecodedSafetensors> {
  const bytes = await readFile(path);
  try {
    return decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
  } catch (e) {
    if (e instanceof Error && e.name === "FormatError") e.message = `${e.message} (file ${path})`;
    throw e;
  }
}
