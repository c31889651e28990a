/**
 * The small scalar kernels at the two ends of the network, and the zeroing of a tensor's time
 * padding. They run once per person (or once) and cost nothing next to the convolutions, so they
 * are plain loops with every size a parameter.
 */
import type { Kernel } from './isa.ts';

/**
 * `f32_input_scale_shift`: person m of the [C][T][V][M] network input, de-interleaved into C rows
 * of T·V values (oRow bytes apart), each value scaled and shifted per (m, v, c): the folded data batch-norm.
 */
export const INPUT_KERNEL: Kernel = {
  name: 'f32_input_scale_shift',
  source: `
function f32_input_scale_shift(input: usize, m: usize, C: usize, T: usize, V: usize, M: usize, o: usize, oRow: usize, scale: usize, shift: usize): void {
  for (let c: usize = 0; c < C; c++) {
    const dst: usize = o + c * oRow;
    for (let t: usize = 0; t < T; t++) {
      for (let v: usize = 0; v < V; v++) {
        const ch: usize = (m * V + v) * C + c;
        const x = load<f32>(input + ((((c * T + t) * V + v) * M + m) << 2));
        store<f32>(dst + ((t * V + v) << 2), x * load<f32>(scale + (ch << 2)) + load<f32>(shift + (ch << 2)));
      }
    }
  }
}`,
};

/** `f32_mean_rows`: out[c] = scale · Σ of the n values of row c (rows xRow bytes apart). */
export const MEAN_KERNEL: Kernel = {
  name: 'f32_mean_rows',
  source: `
function f32_mean_rows(x: usize, xRow: usize, n: usize, scale: f32, C: usize, out: usize): void {
  for (let c: usize = 0; c < C; c++) {
    const s: usize = x + c * xRow;
    let acc: f32 = 0;
    for (let i: usize = 0; i < n; i++) acc += load<f32>(s + (i << 2));
    store<f32>(out + (c << 2), acc * scale);
  }
}`,
};

/** `f32_linear`: out[k] = b[k] + Σ_c w[k][c] · x[c], K outputs of C inputs. */
export const LINEAR_KERNEL: Kernel = {
  name: 'f32_linear',
  source: `
function f32_linear(x: usize, w: usize, b: usize, out: usize, K: usize, C: usize): void {
  for (let k: usize = 0; k < K; k++) {
    let acc = load<f32>(b + (k << 2));
    const wk: usize = w + k * C * 4;
    for (let c: usize = 0; c < C; c++) acc += load<f32>(wk + (c << 2)) * load<f32>(x + (c << 2));
    store<f32>(out + (k << 2), acc);
  }
}`,
};

/**
 * `zero_time_pads`: zeroes the pad bytes before and after the data bytes of n rows (rowBytes apart)
 * from row 0 at x: the zero frames a temporal conv reads past either end of time.
 */
export const ZERO_PADS_KERNEL: Kernel = {
  name: 'zero_time_pads',
  source: `
function zero_time_pads(x: usize, n: usize, rowBytes: usize, padBytes: usize, dataBytes: usize): void {
  for (let c: usize = 0; c < n; c++) {
    memory.fill(x + c * rowBytes, 0, padBytes);
    memory.fill(x + c * rowBytes + padBytes + dataBytes, 0, padBytes);
  }
}`,
};

/**
 * The person loop's helpers. `person_is_empty`: whether person slot m of the [n][M] input is all
 * zeros. `add_contribution`: adds one person's share of the pooled feature (CONTRIB) into it.
 */
export const PERSON_KERNELS: Kernel = {
  name: 'person_is_empty',
  source: `
function person_is_empty(input: usize, m: usize, n: usize, M: usize): bool {
  for (let i: usize = 0; i < n; i++) if (load<f32>(input + ((i * M + m) << 2)) != 0) return false;
  return true;
}
function add_contribution(feature: usize, C: usize): void {
  for (let c: usize = 0; c < C; c++) {
    const f: usize = feature + (c << 2);
    store<f32>(f, load<f32>(f) + load<f32>(CONTRIB + (c << 2)));
  }
}`,
};
