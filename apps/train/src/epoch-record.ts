/** One epoch's figures, as metrics.json and the JSON-lines output report them. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  trainMeanIoU: number;
  testAccuracy: number;
  testMeanIoU: number;
  /** Per-class IoU on the test set (null for a class absent from truth and prediction). */
  testIoU: (number | null)[];
  lr: number;
  seconds: number;
  /** V8 heap in use after the epoch, MiB (after a GC when node runs with --expose-gc). */
  heapUsedMiB: number;
}
