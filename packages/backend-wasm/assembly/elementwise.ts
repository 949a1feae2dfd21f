// Elementwise and per-channel kernels of a training step (ReLU, BatchNorm2D) on f32 data at byte
// addresses, with the same arithmetic as the TypeScript reference loops of @unetkit/layers:
// - ReLU is a compare-and-mask (bit-identical: NaN and -0 give +0).
// - BatchNorm computes in f64 exactly as the TypeScript code does (JavaScript numbers are f64):
//   every f32 element is widened to f64, the same f64 operations run in the same order, and the
//   result is rounded to f32 once. The channel sums use two f64 lanes that are the TypeScript loop's
//   two interleaved accumulators (even and odd positions of each plane; an odd plane's last element
//   goes to the even one), folded even + odd at the end: the sums are bit-identical too.
// Per-channel parameters and results are f64 arrays at byte addresses, written and read by the
// JavaScript side.
//
// The BatchNorm kernels work on a chunk of an NCHW tensor (`n x c x L` elements, element e in
// channel (e / L) % c) that the JavaScript side copies in piece by piece so that it stays in cache:
// the chunk holds elements [e0, e0 + len) at byte address x, and the per-channel accumulators live
// in memory between calls. A chunk boundary inside a plane must be at an even offset in that plane
// (the accumulator lanes are the even and odd positions of each plane).

// @ts-ignore: decorator
@inline function lo64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

// @ts-ignore: decorator
@inline function hi64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<i64>(v, v, 1, 0));
}

/** The f32x4 of two f64x2 (lanes lo0, lo1, hi0, hi1), each rounded to nearest. */
// @ts-ignore: decorator
@inline function narrow(lo: v128, hi: v128): v128 {
  return v128.shuffle<i64>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2);
}

/** Adds `d` to lane 0 (the even accumulator) of `v`. */
// @ts-ignore: decorator
@inline function addLane0(v: v128, d: f64): v128 {
  return f64x2.replace_lane(v, 0, f64x2.extract_lane(v, 0) + d);
}

/** out[i] = a[i] + b[i] for n floats (f32 adds, as JavaScript's rounding of the exact sum). out may equal a or b. */
export function addArrays(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const a0 = v128.load(a, 0), a1 = v128.load(a, 16), a2 = v128.load(a, 32), a3 = v128.load(a, 48);
    const b0 = v128.load(b, 0), b1 = v128.load(b, 16), b2 = v128.load(b, 32), b3 = v128.load(b, 48);
    v128.store(out, f32x4.add(a0, b0), 0);
    v128.store(out, f32x4.add(a1, b1), 16);
    v128.store(out, f32x4.add(a2, b2), 32);
    v128.store(out, f32x4.add(a3, b3), 48);
    a += 64;
    b += 64;
    out += 64;
  }
  for (; i < n; i++) {
    store<f32>(out, load<f32>(a) + load<f32>(b));
    a += 4;
    b += 4;
    out += 4;
  }
}

/** y[i] = x[i] > 0 ? x[i] : 0 for n floats (NaN, -0 and +0 give +0). y may equal x. */
export function reluForward(x: usize, y: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const a = v128.load(x, 0);
    const b = v128.load(x, 16);
    const c = v128.load(x, 32);
    const d = v128.load(x, 48);
    v128.store(y, v128.and(a, f32x4.gt(a, z)), 0);
    v128.store(y, v128.and(b, f32x4.gt(b, z)), 16);
    v128.store(y, v128.and(c, f32x4.gt(c, z)), 32);
    v128.store(y, v128.and(d, f32x4.gt(d, z)), 48);
    x += 64;
    y += 64;
  }
  for (; i + 4 <= n; i += 4) {
    const a = v128.load(x);
    v128.store(y, v128.and(a, f32x4.gt(a, z)));
    x += 16;
    y += 16;
  }
  for (; i < n; i++) {
    const v = load<f32>(x);
    store<i32>(y, v > 0 ? reinterpret<i32>(v) : 0);
    x += 4;
    y += 4;
  }
}

/** dx[i] = y[i] > 0 ? dy[i] : 0 for n floats (bit patterns of dy kept, +0 elsewhere). dx may equal dy or y. */
export function reluBackward(dy: usize, y: usize, dx: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const m0 = f32x4.gt(v128.load(y, 0), z);
    const m1 = f32x4.gt(v128.load(y, 16), z);
    const m2 = f32x4.gt(v128.load(y, 32), z);
    const m3 = f32x4.gt(v128.load(y, 48), z);
    v128.store(dx, v128.and(v128.load(dy, 0), m0), 0);
    v128.store(dx, v128.and(v128.load(dy, 16), m1), 16);
    v128.store(dx, v128.and(v128.load(dy, 32), m2), 32);
    v128.store(dx, v128.and(v128.load(dy, 48), m3), 48);
    dy += 64;
    y += 64;
    dx += 64;
  }
  for (; i + 4 <= n; i += 4) {
    v128.store(dx, v128.and(v128.load(dy), f32x4.gt(v128.load(y), z)));
    dy += 16;
    y += 16;
    dx += 16;
  }
  for (; i < n; i++) {
    store<i32>(dx, load<f32>(y) > 0 ? load<i32>(dy) : 0);
    dy += 4;
    y += 4;
    dx += 4;
  }
}

/**
 * Adds a chunk to the per-channel sums of `d = x - shift[ch]` (in f64): `acc + 32*ch` holds two f64x2,
 * the sums of d and of d*d, lane 0 over the even positions of each plane and lane 1 over the odd ones
 * (an odd plane's last element goes to lane 0). `shift` is an f64 per channel.
 */
export function batchNormSums(x: usize, e0: i32, len: i32, c: i32, L: i32, shift: usize, acc: usize): void {
  let seg = e0 / L;
  let ch = seg % c;
  let e = e0;
  const end = e0 + len;
  let p = x;
  while (e < end) {
    const stop = min(end, (seg + 1) * L);
    const cnt = stop - e;
    const a = acc + (<usize>ch << 5);
    const sf = load<f64>(shift + (<usize>ch << 3));
    const sh = f64x2.splat(sf);
    let s = v128.load(a);
    let s2 = v128.load(a, 16);
    let j = 0;
    for (; j + 4 <= cnt; j += 4) {
      const v = v128.load(p);
      const d0 = f64x2.sub(lo64(v), sh);
      const d1 = f64x2.sub(hi64(v), sh);
      s = f64x2.add(s, d0);
      s2 = f64x2.add(s2, f64x2.mul(d0, d0));
      s = f64x2.add(s, d1);
      s2 = f64x2.add(s2, f64x2.mul(d1, d1));
      p += 16;
    }
    if (j + 2 <= cnt) {
      const d0 = f64x2.sub(lo64(v128.load64_zero(p)), sh);
      s = f64x2.add(s, d0);
      s2 = f64x2.add(s2, f64x2.mul(d0, d0));
      p += 8;
      j += 2;
    }
    if (j < cnt) {
      const d = <f64>load<f32>(p) - sf;
      s = addLane0(s, d);
      s2 = addLane0(s2, d * d);
      p += 4;
    }
    v128.store(a, s);
    v128.store(a, s2, 16);
    e = stop;
    seg++;
    if (++ch == c) ch = 0;
  }
}

/**
 * y = (x - mean) * scale + shift per channel on a chunk, in f64 and rounded once to f32 (y may equal
 * x); `params + 24*ch` holds the f64 triple mean, scale, shift of channel ch. With `relu`, then
 * y = y > 0 ? y : +0, as {@link reluForward} on the rounded values.
 */
export function batchNormNormalize(x: usize, y: usize, e0: i32, len: i32, c: i32, L: i32, params: usize, relu: i32): void {
  const z = f32x4.splat(0);
  let seg = e0 / L;
  let ch = seg % c;
  let e = e0;
  const end = e0 + len;
  while (e < end) {
    const stop = min(end, (seg + 1) * L);
    const cnt = stop - e;
    const at = params + <usize>ch * 24;
    const m = load<f64>(at);
    const k = load<f64>(at, 8);
    const t = load<f64>(at, 16);
    const mv = f64x2.splat(m);
    const kv = f64x2.splat(k);
    const tv = f64x2.splat(t);
    let i = 0;
    for (; i + 4 <= cnt; i += 4) {
      const v = v128.load(x);
      const a = f64x2.add(f64x2.mul(f64x2.sub(lo64(v), mv), kv), tv);
      const d = f64x2.add(f64x2.mul(f64x2.sub(hi64(v), mv), kv), tv);
      const r = narrow(a, d);
      v128.store(y, relu ? v128.and(r, f32x4.gt(r, z)) : r);
      x += 16;
      y += 16;
    }
    for (; i < cnt; i++) {
      const r = <f32>((<f64>load<f32>(x) - m) * k + t);
      store<i32>(y, relu == 0 || r > 0 ? reinterpret<i32>(r) : 0);
      x += 4;
      y += 4;
    }
    e = stop;
    seg++;
    if (++ch == c) ch = 0;
  }
}

/**
 * BatchNorm's whole training forward for channels [c0, c1) of an NCHW batch (`n` images of `c`
 * channels of `L` elements at x and y): the shifted sums over every image as {@link batchNormSums}
 * adds them image after image (the shift of channel ch is its first element, x[0, ch, 0], stored at
 * `shift + 8*ch`; `acc + 32*ch` is zeroed first), then each channel's statistics with the formulas of
 * the JavaScript side (`count` = n*L; from `wbe + 24*ch`, the f64s weight, bias and eps):
 * mean = shift + s/count, variance = max(0, s2/count - (s/count)^2), invstd = 1/sqrt(variance + eps),
 * written as f64s at `out + 24*ch`; then y as {@link batchNormNormalize} with the triple
 * (mean, weight*invstd, bias) at `params + 24*ch`. The channels' data is read twice while it is still
 * in cache; the bits are those of the separate kernels.
 */
export function batchNormForwardChannels(x: usize, y: usize, n: i32, c: i32, L: i32, c0: i32, c1: i32, shift: usize, acc: usize,
  wbe: usize, params: usize, out: usize, relu: i32): void {
  const len = (c1 - c0) * L;
  for (let ch = c0; ch < c1; ch++) {
    store<f64>(shift + (<usize>ch << 3), <f64>load<f32>(x + ((<usize>ch * <usize>L) << 2)));
    const a = acc + (<usize>ch << 5);
    v128.store(a, f64x2.splat(0));
    v128.store(a, f64x2.splat(0), 16);
  }
  for (let b = 0; b < n; b++) {
    const e0 = (b * c + c0) * L;
    batchNormSums(x + (<usize>e0 << 2), e0, len, c, L, shift, acc);
  }
  const count = <f64>n * <f64>L;
  for (let ch = c0; ch < c1; ch++) {
    const a = acc + (<usize>ch << 5);
    const s = load<f64>(a) + load<f64>(a, 8);
    const s2 = load<f64>(a, 16) + load<f64>(a, 24);
    const m = s / count;
    const mean = load<f64>(shift + (<usize>ch << 3)) + m;
    const variance = max<f64>(0, s2 / count - m * m);
    const p = wbe + <usize>ch * 24;
    const invstd = 1 / sqrt<f64>(variance + load<f64>(p, 16));
    const o = out + <usize>ch * 24;
    store<f64>(o, mean);
    store<f64>(o, variance, 8);
    store<f64>(o, invstd, 16);
    const q = params + <usize>ch * 24;
    store<f64>(q, mean);
    store<f64>(q, load<f64>(p) * invstd, 8);
    store<f64>(q, load<f64>(p, 8), 16);
  }
  for (let b = 0; b < n; b++) {
    const e0 = (b * c + c0) * L;
    const o = <usize>e0 << 2;
    batchNormNormalize(x + o, y + o, e0, len, c, L, params, relu);
  }
}

/**
 * Adds a chunk to the per-channel sums of BatchNorm's backward: `acc + 32*ch` holds two f64x2, the
 * sums of dy and of dy * (x - mean[ch]) (in f64; lanes as in {@link batchNormSums}); `mean` is an
 * f64 per channel; dy and x are the chunk's two operands. With `gate` (not 0: a ReLU's output on the
 * chunk, after this BatchNorm), dy counts only where gate > 0, as {@link reluBackward} would leave it.
 */
export function batchNormBackwardSums(dy: usize, x: usize, e0: i32, len: i32, c: i32, L: i32, mean: usize, acc: usize, gate: usize): void {
  const gated = gate != 0;
  const z = f32x4.splat(0);
  let seg = e0 / L;
  let ch = seg % c;
  let e = e0;
  const end = e0 + len;
  while (e < end) {
    const stop = min(end, (seg + 1) * L);
    const cnt = stop - e;
    const a = acc + (<usize>ch << 5);
    const m = load<f64>(mean + (<usize>ch << 3));
    const mv = f64x2.splat(m);
    let sd = v128.load(a);
    let sdx = v128.load(a, 16);
    let j = 0;
    for (; j + 4 <= cnt; j += 4) {
      let g = v128.load(dy);
      if (gated) g = v128.and(g, f32x4.gt(v128.load(gate), z));
      const v = v128.load(x);
      const g0 = lo64(g);
      const g1 = hi64(g);
      sd = f64x2.add(sd, g0);
      sdx = f64x2.add(sdx, f64x2.mul(g0, f64x2.sub(lo64(v), mv)));
      sd = f64x2.add(sd, g1);
      sdx = f64x2.add(sdx, f64x2.mul(g1, f64x2.sub(hi64(v), mv)));
      dy += 16;
      x += 16;
      gate += 16;
    }
    if (j + 2 <= cnt) {
      let h = v128.load64_zero(dy);
      if (gated) h = v128.and(h, f32x4.gt(v128.load64_zero(gate), z));
      const g0 = lo64(h);
      sd = f64x2.add(sd, g0);
      sdx = f64x2.add(sdx, f64x2.mul(g0, f64x2.sub(lo64(v128.load64_zero(x)), mv)));
      dy += 8;
      x += 8;
      gate += 8;
      j += 2;
    }
    if (j < cnt) {
      const g = gated && !(load<f32>(gate) > 0) ? 0 : <f64>load<f32>(dy);
      sd = addLane0(sd, g);
      sdx = addLane0(sdx, g * (<f64>load<f32>(x) - m));
      dy += 4;
      x += 4;
      gate += 4;
    }
    v128.store(a, sd);
    v128.store(a, sdx, 16);
    e = stop;
    seg++;
    if (++ch == c) ch = 0;
  }
}

/**
 * BatchNorm's input gradient on a chunk, in f64 and rounded once to f32, from `params + 32*ch` = the
 * f64s k, cx, mean, c0 of channel ch: `dx = k*dy + cx*(x - mean) + c0` when `batchStats`, else
 * `dx = k*dy` (x unread), with dy gated as in {@link batchNormBackwardSums}. dx may equal dy or x.
 */
export function batchNormBackwardApply(dy: usize, x: usize, dx: usize, e0: i32, len: i32, c: i32, L: i32, params: usize, batchStats: i32, gate: usize): void {
  const gated = gate != 0;
  const z = f32x4.splat(0);
  let seg = e0 / L;
  let ch = seg % c;
  let e = e0;
  const end = e0 + len;
  while (e < end) {
    const stop = min(end, (seg + 1) * L);
    const cnt = stop - e;
    const at = params + (<usize>ch << 5);
    const k = load<f64>(at);
    const kv = f64x2.splat(k);
    let i = 0;
    if (batchStats) {
      const cx = load<f64>(at, 8);
      const m = load<f64>(at, 16);
      const c0 = load<f64>(at, 24);
      const cxv = f64x2.splat(cx);
      const mv = f64x2.splat(m);
      const c0v = f64x2.splat(c0);
      for (; i + 4 <= cnt; i += 4) {
        let g = v128.load(dy);
        if (gated) g = v128.and(g, f32x4.gt(v128.load(gate), z));
        const v = v128.load(x);
        const a = f64x2.add(f64x2.add(f64x2.mul(kv, lo64(g)), f64x2.mul(cxv, f64x2.sub(lo64(v), mv))), c0v);
        const d = f64x2.add(f64x2.add(f64x2.mul(kv, hi64(g)), f64x2.mul(cxv, f64x2.sub(hi64(v), mv))), c0v);
        v128.store(dx, narrow(a, d));
        dy += 16;
        x += 16;
        dx += 16;
        gate += 16;
      }
      for (; i < cnt; i++) {
        const g = gated && !(load<f32>(gate) > 0) ? 0 : <f64>load<f32>(dy);
        store<f32>(dx, <f32>(k * g + cx * (<f64>load<f32>(x) - m) + c0));
        dy += 4;
        x += 4;
        dx += 4;
        gate += 4;
      }
    } else {
      for (; i + 4 <= cnt; i += 4) {
        let g = v128.load(dy);
        if (gated) g = v128.and(g, f32x4.gt(v128.load(gate), z));
        v128.store(dx, narrow(f64x2.mul(kv, lo64(g)), f64x2.mul(kv, hi64(g))));
        dy += 16;
        dx += 16;
        gate += 16;
      }
      for (; i < cnt; i++) {
        const g = gated && !(load<f32>(gate) > 0) ? 0 : <f64>load<f32>(dy);
        store<f32>(dx, <f32>(k * g));
        dy += 4;
        dx += 4;
        gate += 4;
      }
      x += <usize>cnt << 2;
    }
    e = stop;
    seg++;
    if (++ch == c) ch = 0;
  }
}

/**
 * BatchNorm's whole backward for channels [c0, c1) of an NCHW batch (`n` images of `c` channels of
 * `L` elements at dy, x, dx, gate): the sums over every image as {@link batchNormBackwardSums} adds
 * them image after image, then each channel's coefficients with the formulas of the JavaScript side
 * (from `coef + 16*ch`: the f64s invstd and weight; `count` = n*L), then dx as
 * {@link batchNormBackwardApply}. The channels' data is read twice while it is still in cache.
 * Writes the f64s sumDy and sumDyXhat at `sums + 16*ch` (and uses `acc + 32*ch`, zeroed first, and
 * `params + 32*ch`). Bit-identical to the two-pass kernels.
 */
export function batchNormBackwardChannels(dy: usize, x: usize, dx: usize, n: i32, c: i32, L: i32, c0: i32, c1: i32, mean: usize, acc: usize,
  coef: usize, params: usize, sums: usize, batchStats: i32, gate: usize): void {
  const len = (c1 - c0) * L;
  for (let ch = c0; ch < c1; ch++) {
    const a = acc + (<usize>ch << 5);
    v128.store(a, f64x2.splat(0));
    v128.store(a, f64x2.splat(0), 16);
  }
  for (let b = 0; b < n; b++) {
    const e0 = (b * c + c0) * L;
    const o = <usize>e0 << 2;
    batchNormBackwardSums(dy + o, x + o, e0, len, c, L, mean, acc, gate != 0 ? gate + o : 0);
  }
  const count = <f64>n * <f64>L;
  for (let ch = c0; ch < c1; ch++) {
    const a = acc + (<usize>ch << 5);
    const s = load<f64>(coef + (<usize>ch << 4));
    const sDy = load<f64>(a) + load<f64>(a, 8);
    const sDyXhat = (load<f64>(a, 16) + load<f64>(a, 24)) * s;
    store<f64>(sums + (<usize>ch << 4), sDy);
    store<f64>(sums + (<usize>ch << 4), sDyXhat, 8);
    const kc = load<f64>(coef + (<usize>ch << 4), 8) * s;
    const at = params + (<usize>ch << 5);
    store<f64>(at, kc);
    store<f64>(at, -kc * s * (sDyXhat / count), 8);
    store<f64>(at, load<f64>(mean + (<usize>ch << 3)), 16);
    store<f64>(at, -kc * (sDy / count), 24);
  }
  for (let b = 0; b < n; b++) {
    const e0 = (b * c + c0) * L;
    const o = <usize>e0 << 2;
    batchNormBackwardApply(dy + o, x + o, dx + o, e0, len, c, L, params, batchStats, gate != 0 ? gate + o : 0);
  }
}

/**
 * 2x2 stride-2 max pooling of `planes` planes of `H x W` floats at x into `outH x outW` planes at y
 * (2*outH <= H, 2*outW <= W), with the arg-max's index `iy*W + ix` in its plane as i32 at idx. The
 * TypeScript loop's rule: scan order top-left, top-right, bottom-left, bottom-right; a strictly
 * greater value or a NaN replaces the best (the first maximum wins ties, the last NaN wins).
 */
export function maxPool2x2(x: usize, y: usize, idx: usize, planes: i32, H: i32, W: i32, outH: i32, outW: i32): void {
  const step = i32x4(0, 2, 4, 6);
  const one = i32x4.splat(1);
  for (let p = 0; p < planes; p++) {
    const plane = x + (<usize>(p * H * W) << 2);
    for (let oy = 0; oy < outH; oy++) {
      const r0 = 2 * oy * W;
      const row0 = plane + (<usize>r0 << 2);
      const row1 = row0 + (<usize>W << 2);
      const o = (<usize>((p * outH + oy) * outW)) << 2;
      let ox = 0;
      for (; ox + 4 <= outW; ox += 4) {
        const a0 = v128.load(row0 + (<usize>ox << 3));
        const a1 = v128.load(row0 + (<usize>ox << 3), 16);
        const b0 = v128.load(row1 + (<usize>ox << 3));
        const b1 = v128.load(row1 + (<usize>ox << 3), 16);
        const tl = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6);
        const tr = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
        const bl = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6);
        const br = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
        const k0 = i32x4.add(i32x4.splat(r0 + 2 * ox), step);
        const k2 = i32x4.add(k0, i32x4.splat(W));
        let best = tl;
        let bi = k0;
        let m = v128.or(f32x4.gt(tr, best), f32x4.ne(tr, tr));
        best = v128.bitselect(tr, best, m);
        bi = v128.bitselect(i32x4.add(k0, one), bi, m);
        m = v128.or(f32x4.gt(bl, best), f32x4.ne(bl, bl));
        best = v128.bitselect(bl, best, m);
        bi = v128.bitselect(k2, bi, m);
        m = v128.or(f32x4.gt(br, best), f32x4.ne(br, br));
        best = v128.bitselect(br, best, m);
        bi = v128.bitselect(i32x4.add(k2, one), bi, m);
        v128.store(y + o + (<usize>ox << 2), best);
        v128.store(idx + o + (<usize>ox << 2), bi);
      }
      for (; ox < outW; ox++) {
        const k0 = r0 + 2 * ox;
        const k2 = k0 + W;
        let best = load<f32>(plane + (<usize>k0 << 2));
        let bi = k0;
        const v1 = load<f32>(plane + (<usize>k0 << 2), 4);
        if (v1 > best || v1 != v1) {
          best = v1;
          bi = k0 + 1;
        }
        const v2 = load<f32>(plane + (<usize>k2 << 2));
        if (v2 > best || v2 != v2) {
          best = v2;
          bi = k2;
        }
        const v3 = load<f32>(plane + (<usize>k2 << 2), 4);
        if (v3 > best || v3 != v3) {
          best = v3;
          bi = k2 + 1;
        }
        store<f32>(y + o + (<usize>ox << 2), best);
        store<i32>(idx + o + (<usize>ox << 2), bi);
      }
    }
  }
}

/**
 * Max pooling's gradient: zeroes the `planes x inPlane` floats at dx, then for every output element
 * i of plane p with `0 <= idx[i] < inPlane` adds dy[i] (f32) to dx at `p*inPlane + idx[i]`, in
 * ascending i (other indices are skipped: -1 marks a window without input).
 */
export function maxPoolBackward(dy: usize, idx: usize, dx: usize, planes: i32, inPlane: i32, outPlane: i32): void {
  memory.fill(dx, 0, <usize>(planes * inPlane) << 2);
  for (let p = 0; p < planes; p++) {
    const d = dx + (<usize>(p * inPlane) << 2);
    for (let i = 0; i < outPlane; i++) {
      const k = load<i32>(idx);
      if (<u32>k < <u32>inPlane) {
        const at = d + (<usize>k << 2);
        store<f32>(at, load<f32>(at) + load<f32>(dy));
      }
      idx += 4;
      dy += 4;
    }
  }
}

/** Nearest x2 upsampling: each of the `planes x H x W` floats at x becomes a 2x2 block of y (`2H x 2W` planes). */
export function upsampleNearest2x(x: usize, y: usize, planes: i32, H: i32, W: i32): void {
  const rows = planes * H;
  const outRow = <usize>W << 3;
  for (let r = 0; r < rows; r++) {
    const top = y;
    const bottom = y + outRow;
    let i = 0;
    for (; i + 4 <= W; i += 4) {
      const v = v128.load(x);
      const lo = v128.shuffle<f32>(v, v, 0, 0, 1, 1);
      const hi = v128.shuffle<f32>(v, v, 2, 2, 3, 3);
      v128.store(top + (<usize>i << 3), lo);
      v128.store(top + (<usize>i << 3), hi, 16);
      v128.store(bottom + (<usize>i << 3), lo);
      v128.store(bottom + (<usize>i << 3), hi, 16);
      x += 16;
    }
    for (; i < W; i++) {
      const v = load<f32>(x);
      store<f32>(top + (<usize>i << 3), v);
      store<f32>(top + (<usize>i << 3), v, 4);
      store<f32>(bottom + (<usize>i << 3), v);
      store<f32>(bottom + (<usize>i << 3), v, 4);
      x += 4;
    }
    y += outRow << 1;
  }
}

/**
 * Nearest x2 upsampling's gradient: each of the `planes x H x W` floats of dx is the f32 sum of its
 * 2x2 block of dy (`2H x 2W` planes) in the order +0, top-left, top-right, bottom-left, bottom-right
 * (the TypeScript loop's order and roundings).
 */
export function upsampleNearest2xBackward(dy: usize, dx: usize, planes: i32, H: i32, W: i32): void {
  const rows = planes * H;
  const outRow = <usize>W << 3;
  const z = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const top = dy;
    const bottom = dy + outRow;
    let i = 0;
    for (; i + 4 <= W; i += 4) {
      const t0 = v128.load(top + (<usize>i << 3));
      const t1 = v128.load(top + (<usize>i << 3), 16);
      const b0 = v128.load(bottom + (<usize>i << 3));
      const b1 = v128.load(bottom + (<usize>i << 3), 16);
      let s = f32x4.add(z, v128.shuffle<f32>(t0, t1, 0, 2, 4, 6));
      s = f32x4.add(s, v128.shuffle<f32>(t0, t1, 1, 3, 5, 7));
      s = f32x4.add(s, v128.shuffle<f32>(b0, b1, 0, 2, 4, 6));
      s = f32x4.add(s, v128.shuffle<f32>(b0, b1, 1, 3, 5, 7));
      v128.store(dx, s);
      dx += 16;
    }
    for (; i < W; i++) {
      let s: f32 = <f32>0 + load<f32>(top + (<usize>i << 3));
      s += load<f32>(top + (<usize>i << 3), 4);
      s += load<f32>(bottom + (<usize>i << 3));
      s += load<f32>(bottom + (<usize>i << 3), 4);
      store<f32>(dx, s);
      dx += 4;
    }
    dy += outRow << 1;
  }
}

/**
 * Bilinear resizing of `planes` f32 planes of `inH x inW` at x into `outH x outW` planes at y, by
 * the tables of @unetkit/upsampling's bilinear plan: rows (output row o blends input rows r0[o] and
 * r1[o] with weights rw0[o], rw1[o]) and columns (c0, c1, cw0, cw1); indices i32, weights f64. In
 * the TypeScript loop's f64 arithmetic and order, so y is the same bits: per plane, each input row's
 * horizontal pass into the f64 scratch `tmp` (inH x outW), `cw0*x[c0] + cw1*x[c1]`, then each
 * output row `f32(rw0*tmp[r0] + rw1*tmp[r1])`.
 */
export function bilinearForward(x: usize, y: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  r0: usize, r1: usize, rw0: usize, rw1: usize, c0: usize, c1: usize, cw0: usize, cw1: usize, tmp: usize): void {
  const inRow = <usize>inW << 2;
  const tRow = <usize>outW << 3;
  for (let p = 0; p < planes; p++) {
    let row = x;
    let t = tmp;
    for (let iy = 0; iy < inH; iy++) {
      for (let ox = 0; ox < outW; ox++) {
        const o = <usize>ox;
        const a = load<f64>(cw0 + (o << 3)) * <f64>load<f32>(row + (<usize>load<i32>(c0 + (o << 2)) << 2));
        const b = load<f64>(cw1 + (o << 3)) * <f64>load<f32>(row + (<usize>load<i32>(c1 + (o << 2)) << 2));
        store<f64>(t + (o << 3), a + b);
      }
      row += inRow;
      t += tRow;
    }
    for (let oy = 0; oy < outH; oy++) {
      const top = tmp + <usize>load<i32>(r0 + (<usize>oy << 2)) * tRow;
      const bottom = tmp + <usize>load<i32>(r1 + (<usize>oy << 2)) * tRow;
      const wt = load<f64>(rw0 + (<usize>oy << 3));
      const wb = load<f64>(rw1 + (<usize>oy << 3));
      // two columns at a time in f64x2 (each lane the scalar's operations, so the same bits)
      const wt2 = f64x2.splat(wt);
      const wb2 = f64x2.splat(wb);
      let ox = 0;
      for (; ox + 2 <= outW; ox += 2) {
        const o = <usize>ox << 3;
        const v = f64x2.add(f64x2.mul(wt2, v128.load(top + o)), f64x2.mul(wb2, v128.load(bottom + o)));
        v128.store64_lane(y, f32x4.demote_f64x2_zero(v), 0);
        y += 8;
      }
      for (; ox < outW; ox++) {
        const o = <usize>ox << 3;
        store<f32>(y, <f32>(wt * load<f64>(top + o) + wb * load<f64>(bottom + o)));
        y += 4;
      }
    }
    x += inRow * <usize>inH;
  }
}

/**
 * The gradient of {@link bilinearForward}: dx (`planes x inH x inW` f32, overwritten) from dy
 * (`planes x outH x outW` f32), in the TypeScript loop's order and roundings: per plane, each output
 * row's gradient scattered onto its two rows of the f64 scratch `tmp` (zeroed first), then each
 * scratch row onto its input row through the column table, every `dx +=` rounded to f32.
 */
export function bilinearBackward(dy: usize, dx: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  r0: usize, r1: usize, rw0: usize, rw1: usize, c0: usize, c1: usize, cw0: usize, cw1: usize, tmp: usize): void {
  const inRow = <usize>inW << 2;
  const tRow = <usize>outW << 3;
  const tBytes = tRow * <usize>inH;
  for (let p = 0; p < planes; p++) {
    memory.fill(tmp, 0, tBytes);
    memory.fill(dx, 0, inRow * <usize>inH);
    for (let oy = 0; oy < outH; oy++) {
      const top = tmp + <usize>load<i32>(r0 + (<usize>oy << 2)) * tRow;
      const bottom = tmp + <usize>load<i32>(r1 + (<usize>oy << 2)) * tRow;
      const wt = load<f64>(rw0 + (<usize>oy << 3));
      const wb = load<f64>(rw1 + (<usize>oy << 3));
      // two columns at a time in f64x2; the top row's adds before the bottom row's, as in the
      // scalar loop (they are the same row at a border)
      const wt2 = f64x2.splat(wt);
      const wb2 = f64x2.splat(wb);
      let ox = 0;
      for (; ox + 2 <= outW; ox += 2) {
        const o = <usize>ox << 3;
        const v = f64x2.promote_low_f32x4(v128.load64_zero(dy));
        dy += 8;
        v128.store(top + o, f64x2.add(v128.load(top + o), f64x2.mul(wt2, v)));
        v128.store(bottom + o, f64x2.add(v128.load(bottom + o), f64x2.mul(wb2, v)));
      }
      for (; ox < outW; ox++) {
        const o = <usize>ox << 3;
        const v = <f64>load<f32>(dy);
        dy += 4;
        store<f64>(top + o, load<f64>(top + o) + wt * v);
        store<f64>(bottom + o, load<f64>(bottom + o) + wb * v);
      }
    }
    let row = dx;
    let t = tmp;
    for (let iy = 0; iy < inH; iy++) {
      for (let ox = 0; ox < outW; ox++) {
        const o = <usize>ox;
        const v = load<f64>(t + (o << 3));
        const d0 = row + (<usize>load<i32>(c0 + (o << 2)) << 2);
        store<f32>(d0, <f32>(<f64>load<f32>(d0) + load<f64>(cw0 + (o << 3)) * v));
        const d1 = row + (<usize>load<i32>(c1 + (o << 2)) << 2);
        store<f32>(d1, <f32>(<f64>load<f32>(d1) + load<f64>(cw1 + (o << 3)) * v));
      }
      row += inRow;
      t += tRow;
    }
    dx += inRow * <usize>inH;
  }
}

/**
 * Softmax cross-entropy with class-index labels, positions [p0, p1) of one image of `c` classes x
 * `s` positions at x (f32, class k at position p: element k*s + p), labels i32 (s of them), in f64
 * as @unetkit/layers' crossEntropyCore (reductions "mean"/"sum"). For each non-ignored position p
 * it writes the loss `(1-eps)*w[y]*(lse - x_y) + (eps/c)*sum_k w[k]*(lse - x_k)` to losses[p] (f64)
 * and the gradient `scale * ((1-eps)*w[y]*(p_k - [k == y]) + (eps/c)*(wTotal*p_k - w[k]))` to grad
 * (f32, x's layout); an ignored position gets loss 0 and gradient 0. The caller adds the losses of
 * the non-ignored positions in order, so the total does not depend on how positions are shared out.
 * `w` is 0 (no weights) or c f64s; `params` holds the f64s wTotal, eps and scale; `e` is room for c
 * f64s (one per thread). Labels must be in [0, c) or equal ignoreIndex. exp and log are
 * AssemblyScript's (musl's) f64 functions, not the JavaScript engine's: results can differ from
 * the TypeScript loop's in the last bit.
 */
export function softmaxCrossEntropyPositions(x: usize, labels: usize, grad: usize, c: i32, s: i32, p0: i32, p1: i32, w: usize,
  params: usize, ignoreIndex: i32, e: usize, losses: usize): void {
  const wTotal = load<f64>(params);
  const eps = load<f64>(params, 8);
  const scale = load<f64>(params, 16);
  const smooth = eps / <f64>c;
  const plane = <usize>s << 2;
  for (let p = p0; p < p1; p++) {
    const label = load<i32>(labels + (<usize>p << 2));
    const o = x + (<usize>p << 2);
    const go = grad + (<usize>p << 2);
    if (label == ignoreIndex) {
      for (let k = 0; k < c; k++) store<f32>(go + <usize>k * plane, 0);
      store<f64>(losses + (<usize>p << 3), 0);
      continue;
    }
    let m = -Infinity;
    for (let k = 0; k < c; k++) {
      const v = <f64>load<f32>(o + <usize>k * plane);
      if (v > m) m = v;
    }
    let se = 0.0;
    for (let k = 0; k < c; k++) {
      const ev = Math.exp(<f64>load<f32>(o + <usize>k * plane) - m);
      store<f64>(e + (<usize>k << 3), ev);
      se += ev;
    }
    const lse = m + Math.log(se);
    const wy = w ? load<f64>(w + (<usize>label << 3)) : 1.0;
    let loss = (1 - eps) * wy * (lse - <f64>load<f32>(o + <usize>label * plane));
    if (eps > 0) {
      let sm = 0.0;
      for (let k = 0; k < c; k++) sm += (w ? load<f64>(w + (<usize>k << 3)) : 1.0) * (lse - <f64>load<f32>(o + <usize>k * plane));
      loss += smooth * sm;
    }
    store<f64>(losses + (<usize>p << 3), loss);
    const inv = 1 / se;
    const a = (1 - eps) * wy;
    for (let k = 0; k < c; k++) {
      const sk = load<f64>(e + (<usize>k << 3)) * inv;
      let g = a * sk;
      if (eps > 0) g += smooth * (wTotal * sk - (w ? load<f64>(w + (<usize>k << 3)) : 1.0));
      if (k == label) g -= a;
      store<f32>(go + <usize>k * plane, <f32>(scale * g));
    }
  }
}
