import { SGD, crossEntropyLoss, labels as makeLabels } from "@unetkit/layers";
import { Tensor, setBackend, type KernelBackend } from "@unetkit/tensor";
import { SimpleUNet } from "@unetkit/unet";
import type { Task, Workload } from "./measure.js";
import { PROBLEM, type BenchData } from "./workload-data.js";

/** A unetkit kernel backend under test, with the label printed in the table. */
export interface UnetkitBackendCase {
  /** Short id used in workload ids, e.g. `wasm-2t`. */
  key: string;
  /** Printed label, e.g. `wasm 2 threads`. */
  label: string;
  threads: number;
  backend: KernelBackend;
}

/** Run counts per task. */
export interface RunCounts {
  warmup: number;
  runs: number;
}

/**
 * The three unetkit workloads (training step batch 8, inference batch 1 and 8) on one backend.
 * Each task owns its own `SimpleUNet({ baseChannels: 16, seed: 0 })`, so the models of different
 * backends never share state; `activate` makes the backend the active one with `setBackend`.
 */
export function unetkitWorkloads(backendCase: UnetkitBackendCase, data: BenchData, counts: Record<Task, RunCounts>): Workload[] {
  const { batch, size, inChannels, numClasses, baseChannels, lr, momentum } = PROBLEM;
  const activate = async (): Promise<void> => {
    setBackend(backendCase.backend);
  };
  const makeModel = () => new SimpleUNet({ inChannels, numClasses, baseChannels, depth: PROBLEM.depth, seed: 0 });
  const x8 = new Tensor("float32", [batch, inChannels, size, size], data.images.slice());
  const x1 = new Tensor("float32", [1, inChannels, size, size], data.images.slice(0, inChannels * size * size));
  const y8 = makeLabels(data.labels, [batch, size, size]);

  const train = makeModel().train();
  const opt = new SGD(train.parameters(), { lr, momentum });
  const inferModel = makeModel().eval();

  const base = (task: Task) => ({
    id: `unetkit/${backendCase.key}/${task}`,
    framework: "unetkit" as const,
    backend: backendCase.label,
    threads: backendCase.threads,
    task,
    warmup: counts[task].warmup,
    runs: counts[task].runs,
    activate,
  });
  return [
    {
      ...base("train-b8"),
      step: () => {
        opt.zeroGrad();
        const logits = train.forward(x8);
        const { loss, grad } = crossEntropyLoss(logits, y8);
        train.backward(grad, { inputGrad: false }); // as tfjs and PyTorch: no gradient for the images
        opt.step();
        return loss;
      },
      notes: () => ({ parameters: train.parameterCount() }),
    },
    {
      ...base("infer-b1"),
      step: () => {
        inferModel.forward(x1);
      },
    },
    {
      ...base("infer-b8"),
      step: () => {
        inferModel.forward(x8);
      },
    },
  ];
}
