import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ArgumentError, FormatError } from "@unetkit/tensor";
import { afterAll, describe, expect, it } from "vitest";
import { writeIdx } from "./__fixtures__/formats.js";
import { loadCifar10, loadFashionMnist, readIdxFile } from "./node-datasets.js";

const root = mkdtempSync(join(tmpdir(), "unetkit-idx-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("IDX files on disk", () => {
  it("reads plain and gzip'd IDX files alike; refuses a broken gzip", () => {
    const bytes = writeIdx("uint8", [2, 2], [1, 2, 3, 4]);
    writeFileSync(join(root, "plain"), bytes);
    writeFileSync(join(root, "z.gz"), gzipSync(bytes));
    expect(Array.from(readIdxFile(join(root, "plain")).data)).toEqual([1, 2, 3, 4]);
    expect(readIdxFile(join(root, "z.gz")).shape).toEqual([2, 2]);
    const broken = gzipSync(bytes).subarray(0, 12);
    writeFileSync(join(root, "broken.gz"), broken);
    expect(() => readIdxFile(join(root, "broken.gz"))).toThrow(/broken.gz starts like gzip but does not decompress/);
    writeFileSync(join(root, "short"), bytes.subarray(0, 10));
    expect(() => readIdxFile(join(root, "short"))).toThrow(FormatError);
    expect(() => readIdxFile(join(root, "short"))).toThrow(/short: readIdx:/);
  });

  it("loadFashionMnist reads the four-file layout (gz or not) from a directory", () => {
    const dir = mkdtempSync(join(root, "fm-"));
    writeFileSync(join(dir, "train-images-idx3-ubyte.gz"), gzipSync(writeIdx("uint8", [3, 2, 2], [0, 255, 0, 255, 1, 2, 3, 4, 5, 6, 7, 8])));
    writeFileSync(join(dir, "train-labels-idx1-ubyte"), writeIdx("uint8", [3], [9, 0, 4]));
    const train = loadFashionMnist({ dir });
    expect(train.images.shape).toEqual([3, 1, 2, 2]);
    expect(train.images.data[1]).toBe(1);
    expect(Array.from(train.labels.data)).toEqual([9, 0, 4]);
    expect(train.classNames[9]).toBe("Ankle boot");
    expect(() => loadFashionMnist({ dir, split: "test" })).toThrow(ArgumentError);
    expect(() => loadFashionMnist({ dir, split: "test" })).toThrow(/has no t10k-images-idx3-ubyte\[.gz\]. Install Debian's package \(apt-get install dataset-fashion-mnist/);
    writeFileSync(join(dir, "t10k-images-idx3-ubyte"), writeIdx("uint8", [2, 2, 2], [0, 0, 0, 0, 0, 0, 0, 0]));
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), writeIdx("uint8", [3], [0, 0, 0]));
    expect(() => loadFashionMnist({ dir, split: "test" })).toThrow(/2 images \[2,2,2\] but 3 labels/);
  });

  it("loadCifar10 concatenates training batches and validates files", () => {
    const dir = mkdtempSync(join(root, "cifar-"));
    const record = (label: number, value: number) => {
      const r = new Uint8Array(3073).fill(value);
      r[0] = label;
      return r;
    };
    writeFileSync(join(dir, "data_batch_1.bin"), Buffer.concat([record(1, 255), record(2, 0)]));
    writeFileSync(join(dir, "data_batch_2.bin"), record(7, 51));
    const set = loadCifar10({ dir, batches: [1, 2] });
    expect(set.images.shape).toEqual([3, 3, 32, 32]);
    expect(Array.from(set.labels.data)).toEqual([1, 2, 7]);
    expect(set.images.get(2, 1, 4, 4)).toBeCloseTo(0.2, 6);
    expect(() => loadCifar10({ dir })).toThrow(/data_batch_3.bin not found/);
    writeFileSync(join(dir, "test_batch.bin"), new Uint8Array(100));
    expect(() => loadCifar10({ dir, split: "test" })).toThrow(/test_batch.bin: readCifar10Batch: length 100/);
  });
});
