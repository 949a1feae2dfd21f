import { Tensor } from "@unetkit/tensor";
import { loadFixture as load, type Fixture } from "../../testing/src/load-fixture.js";
import type { Labels } from "../src/labels.js";

/** Reads packages/layers/test/fixtures/<name>.json. */
export function fixture(name: string): Fixture {
  return load(new URL(`./fixtures/${name}.json`, import.meta.url));
}

/** Integer labels of a fixture as Labels. */
export function fixtureLabels(fx: Fixture, name: string): Labels {
  const e = fx.ints[name];
  if (!e) throw new Error(`fixture has no int entry ${name}`);
  return { shape: e.shape, data: Int32Array.from(e.data) };
}

/** max |a - b| / max(max |b|, floor): the worst relative error of a against reference b. */
export function maxRelError(a: Tensor | number, b: Tensor | number, floor = 1e-12): number {
  const ad = typeof a === "number" ? [a] : Array.from(a.data);
  const bd = typeof b === "number" ? [b] : Array.from(b.data);
  if (ad.length !== bd.length) throw new Error(`length mismatch ${ad.length} vs ${bd.length}`);
  let scale = floor;
  for (const v of bd) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < ad.length; i++) {
    const e = Math.abs(ad[i] - bd[i]) / scale;
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}

/**
 * Checks dloss/dx of a scalar function of a float64 tensor against central differences; returns
 * the worst error relative to the largest gradient entry.
 */
export function lossGradError(f: (x: Tensor) => number, grad: Tensor, x: Tensor, h = 1e-6): number {
  if (x.dtype !== "float64") throw new Error("lossGradError needs float64 inputs");
  const num = new Tensor("float64", x.shape);
  for (let i = 0; i < x.size; i++) {
    const v = x.data[i];
    x.data[i] = v + h;
    const fp = f(x);
    x.data[i] = v - h;
    const fm = f(x);
    x.data[i] = v;
    num.data[i] = (fp - fm) / (2 * h);
  }
  return maxRelError(grad, num, 1e-6);
}
