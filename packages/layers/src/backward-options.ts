import { ArgumentError } from "@unetkit/tensor";

/**
 * Options of a backward pass that can leave out the input gradient: {@link Conv2D.backward}, and in
 * `@unetkit/unet` the blocks and `UNet.backward`.
 *
 * With `inputGrad: false` the parameters' gradients are accumulated exactly as with the default,
 * bit for bit, and backward returns `null` instead of dL/dx: the input gradient is not computed.
 * That is what a network's first layer wants, whose input (the images) needs no gradient; PyTorch
 * skips it the same way for an input without `requires_grad`.
 *
 * @example
 * ```ts
 * const conv = new Conv2D(1, 16, 3, { padding: 1 });
 * conv.forward(images);                        // [N, 16, H, W]
 * conv.backward(dy, { inputGrad: false });     // null; conv.weight.grad holds dL/dW
 * ```
 */
export interface BackwardOptions {
  /** Compute and return the input gradient (default true); `false` returns null instead. */
  inputGrad?: boolean;
}

/**
 * Reads {@link BackwardOptions.inputGrad} for `op`: true unless it is `false`. A value that is
 * neither a boolean nor undefined is refused with an ArgumentError naming the op.
 *
 * @example
 * ```ts
 * if (wantsInputGrad("Conv2D", options)) return dx;
 * ```
 */
export function wantsInputGrad(op: string, options: BackwardOptions | undefined): boolean {
  const v: unknown = options?.inputGrad;
  if (v !== undefined && typeof v !== "boolean") throw new ArgumentError(op, `inputGrad must be a boolean (got ${String(v)})`);
  return v !== false;
}
