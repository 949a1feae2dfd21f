import { FormatError } from "@unetkit/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CIFAR10_RECORD_BYTES, readCifar10Batch } from "./cifar10.js";

/** Writes records in CIFAR-10's binary layout: label byte then R, G, B planes. */
function cifarBytes(records: { label: number; pixels: Uint8Array }[]): Uint8Array {
  const out = new Uint8Array(records.length * CIFAR10_RECORD_BYTES);
  records.forEach((r, i) => {
    out[i * CIFAR10_RECORD_BYTES] = r.label;
    out.set(r.pixels, i * CIFAR10_RECORD_BYTES + 1);
  });
  return out;
}

describe("readCifar10Batch", () => {
  it("decodes labels and planes into [n,3,32,32] / 255", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ label: fc.integer({ min: 0, max: 9 }), pixels: fc.uint8Array({ minLength: 3072, maxLength: 3072 }) }),
          { minLength: 1, maxLength: 4 },
        ),
        (records) => {
          const { images, labels, numClasses, classNames } = readCifar10Batch(cifarBytes(records));
          expect(images.shape).toEqual([records.length, 3, 32, 32]);
          expect(labels.shape).toEqual([records.length]);
          expect(numClasses).toBe(10);
          expect(classNames[0]).toBe("airplane");
          records.forEach((r, i) => {
            expect(labels.data[i]).toBe(r.label);
            // Green plane, row 5, column 7 is byte 1 + 1024 + 5*32 + 7 of the record.
            expect(images.get(i, 1, 5, 7)).toBeCloseTo(r.pixels[1024 + 5 * 32 + 7] / 255, 7);
            for (let p = 0; p < 3072; p += 97) expect(images.data[i * 3072 + p]).toBe(Math.fround(r.pixels[p] / 255));
          });
        },
      ),
      { numRuns: 20 },
    );
  });

  it("refuses bad lengths and labels with FormatError", () => {
    expect(() => readCifar10Batch(new Uint8Array(0))).toThrow(FormatError);
    expect(() => readCifar10Batch(new Uint8Array(3072))).toThrow(/multiple of the 3073-byte record/);
    expect(() => readCifar10Batch(new Uint8Array(3074))).toThrow(/length 3074/);
    const bytes = cifarBytes([{ label: 3, pixels: new Uint8Array(3072) }, { label: 10, pixels: new Uint8Array(3072) }]);
    expect(() => readCifar10Batch(bytes)).toThrow(/record 1 .* label 10/);
  });
});
