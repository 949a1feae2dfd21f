import { ArgumentError, Tensor } from "@unetkit/tensor";
import { Layer } from "./module.js";

/**
 * `torch.nn.Sequential(*layers)`: applies the layers in order; backward runs them in reverse.
 * Children are registered under `"0"`, `"1"`, ... so state-dict keys match PyTorch's
 * (`0.weight`, `1.running_mean`, ...).
 *
 * @example
 * ```ts
 * const block = new Sequential(new Conv2D(3, 16, 3, { padding: 1 }), new BatchNorm2D(16), new ReLU());
 * const y = block.forward(x);
 * const dx = block.backward(dy);
 * Object.keys(block.stateDict()); // ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", ...]
 * ```
 */
export class Sequential extends Layer {
  private readonly layers: Layer[];

  constructor(...layers: Layer[]) {
    super();
    layers.forEach((layer, i) => {
      if (!(layer instanceof Layer)) {
        throw new ArgumentError("Sequential", `argument ${i} is not a Layer`);
      }
    });
    this.layers = [];
    for (const layer of layers) this.append(layer);
  }

  /** Adds a layer at the end (registered as the next index); returns this. */
  append(layer: Layer): this {
    if (!(layer instanceof Layer)) throw new ArgumentError("Sequential.append", "argument is not a Layer");
    this.registerModule(String(this.layers.length), layer);
    this.layers.push(layer);
    return this;
  }

  /** The number of layers. */
  get length(): number {
    return this.layers.length;
  }

  /** The layer at an index (negative counts from the end, as PyTorch's indexing). */
  at(index: number): Layer {
    const i = index < 0 ? index + this.layers.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.layers.length) {
      throw new ArgumentError("Sequential.at", `index ${index} is out of range for ${this.layers.length} layers`);
    }
    return this.layers[i];
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.forward(y);
    this.saveForBackward(true);
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.takeSaved<boolean>();
    let g = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) g = this.layers[i].backward(g);
    return g;
  }
}
