/**
 * The forward (noising) process q(x_t | x0) = N(√ᾱ_t · x0, (1 − ᾱ_t) I), t = 0 … steps−1.
 * Linear: β from 1e-4 to 0.02 (DDPM). Cosine: ᾱ(t) = f(t)/f(0), f(t) = cos²(((t/T + s)/(1 + s))·π/2),
 * s = 0.008, each β capped at 0.999 (Nichol & Dhariwal), which keeps the last steps from being pure
 * noise with a zero signal that no network can invert.
 */
export type ScheduleName = 'linear' | 'cosine';

export interface NoiseSchedule {
  steps: number;
  betas: Float64Array;
  /** ᾱ_t = Π_{i ≤ t} (1 − β_i), strictly decreasing. */
  alphaBar: Float64Array;
}

export function noiseSchedule(name: ScheduleName, steps: number): NoiseSchedule {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`diffusion steps must be a positive integer, got ${steps}`);
  const betas = new Float64Array(steps);
  if (name === 'linear') {
    const lo = 1e-4;
    const hi = 0.02;
    for (let t = 0; t < steps; t++) betas[t] = steps === 1 ? lo : lo + ((hi - lo) * t) / (steps - 1);
  } else {
    const s = 0.008;
    const f = (t: number) => Math.cos((((t / steps) + s) / (1 + s)) * (Math.PI / 2)) ** 2;
    for (let t = 0; t < steps; t++) betas[t] = Math.min(1 - f(t + 1) / f(t), 0.999);
  }
  const alphaBar = new Float64Array(steps);
  let prod = 1;
  for (let t = 0; t < steps; t++) alphaBar[t] = prod *= 1 - betas[t];
  return { steps, betas, alphaBar };
}

/**
 * The timesteps a k-step DDIM reverse pass visits, starting at t: round(t·i/k) for i = k … 1, evenly
 * spaced and non-increasing. Always k entries, so a batch whose rows start at different t runs the same
 * number of denoiser calls (a small t may repeat a timestep, which only re-predicts x̂0). k = 1 gives [t]:
 * one-step x0 prediction.
 */
export function ddimTimesteps(t: number, k: number): number[] {
  return Array.from({ length: k }, (_, j) => Math.round((t * (k - j)) / k));
}
