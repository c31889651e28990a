/**
 * Training augmentation checked by the distributions it must produce (CTR-GCN's feeder): the kept
 * fraction of the valid frames uniform over [0.5, 1], the crop's start uniform over the places it
 * fits, each rotation angle uniform within ±0.3 rad; and the resize checked against linear
 * functions, which linear interpolation must reproduce exactly at every output frame.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../common/rng.ts';
import { resize, rotate, trainCrop, type Clip } from '../../trainer/data/preprocess.ts';

/** Kolmogorov–Smirnov distance between a sample and the uniform distribution on [lo, hi]. */
function ksUniform(sample: number[], lo: number, hi: number): number {
  const s = [...sample].sort((a, b) => a - b);
  let d = 0;
  s.forEach((x, i) => {
    const cdf = (x - lo) / (hi - lo);
    d = Math.max(d, Math.abs(cdf - i / s.length), Math.abs(cdf - (i + 1) / s.length));
  });
  return d;
}

const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;

describe('training crop', () => {
  it('keeps a fraction of the valid frames uniform over [0.5, 1]', () => {
    const rng = new Rng(101);
    const n = 100_000; // so that flooring to whole frames does not matter
    const fractions = Array.from({ length: 4000 }, () => trainCrop(n, 1, rng).length / n);
    expect(Math.min(...fractions)).toBeGreaterThanOrEqual(0.5);
    expect(Math.max(...fractions)).toBeLessThanOrEqual(1);
    expect(Math.min(...fractions)).toBeLessThan(0.505);
    expect(Math.max(...fractions)).toBeGreaterThan(0.995);
    // 4000 draws: the 1 % critical KS distance is 1.63/√4000 = 0.026.
    expect(ksUniform(fractions, 0.5, 1)).toBeLessThan(0.026);
  });

  it('places the crop uniformly over every start where it fits, and never outside the clip', () => {
    const rng = new Rng(102);
    const n = 10;
    const seen = new Map<string, number>();
    let outside = 0;
    for (let i = 0; i < 6000; i++) {
      const { start, length } = trainCrop(n, 1, rng);
      if (start < 0 || start + length > n) outside++;
      seen.set(`${length}@${start}`, (seen.get(`${length}@${start}`) ?? 0) + 1);
    }
    // floor(10·p) for p uniform in [0.5, 1): lengths 5…9, each 1/5; then each start 0…10−length alike.
    for (let length = 5; length <= 9; length++) {
      for (let start = 0; start <= n - length; start++) {
        const expected = 6000 / 5 / (n - length + 1);
        const got = seen.get(`${length}@${start}`) ?? 0;
        expect(Math.abs(got - expected), `length ${length} at ${start}: ${got} of ~${expected.toFixed(0)}`).toBeLessThan(5 * Math.sqrt(expected));
      }
    }
    expect(outside).toBe(0);
    expect([...seen.keys()].every((k) => Number(k.split('@')[0]) >= 5 && Number(k.split('@')[0]) <= 9)).toBe(true);
  });

  it('keeps at least T frames when the clip has them, and all of a shorter clip', () => {
    const rng = new Rng(103);
    const lengths = Array.from({ length: 3000 }, () => trainCrop(100, 64, rng).length);
    expect(Math.min(...lengths)).toBe(64);
    expect(Math.max(...lengths)).toBe(99);
    // P(floor(100·p) ≤ 64) = P(p < 0.65) = 0.3 of the draws are lifted to exactly T.
    expect(Math.abs(lengths.filter((l) => l === 64).length / 3000 - 0.3)).toBeLessThan(0.03);
    for (let i = 0; i < 50; i++) expect(trainCrop(40, 64, rng)).toEqual({ start: 0, length: 40 });
  });

  it('honours another range', () => {
    const rng = new Rng(104);
    const fractions = Array.from({ length: 2000 }, () => trainCrop(100_000, 1, rng, [0.2, 0.4]).length / 100_000);
    expect(ksUniform(fractions, 0.2, 0.4)).toBeLessThan(0.04);
  });
});

describe('training rotation', () => {
  /** The rotation `rotate` applied: its columns are the images of the unit vectors (3 joints, T = M = 1). */
  function drawRotation(rng: Rng): number[][] {
    const x = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]); // [C=3][T=1][V=3][M=1]: joint v = e_v
    rotate(x, 1, 3, 1, rng);
    return [0, 1, 2].map((row) => [0, 1, 2].map((col) => x[row * 3 + col]));
  }

  it('is a proper rotation whose three angles (R = Rz·Ry·Rx) are each uniform within ±0.3 rad and independent', () => {
    const rng = new Rng(105);
    const angles: number[][] = [[], [], []];
    let notRotation = 0;
    for (let i = 0; i < 3000; i++) {
      const r = drawRotation(rng);
      // Orthonormal with determinant +1: lengths and angles kept, no reflection.
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) {
          const dot = r[0][a] * r[0][b] + r[1][a] * r[1][b] + r[2][a] * r[2][b];
          if (Math.abs(dot - (a === b ? 1 : 0)) > 1e-6) notRotation++;
        }
      }
      const det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
      if (Math.abs(det - 1) > 1e-5) notRotation++;
      // With Rx = [1 0 0; 0 c s; 0 −s c], Ry = [c 0 −s; 0 1 0; s 0 c], Rz = [c s 0; −s c 0; 0 0 1]:
      // the first column of Rz·Ry·Rx is (cz·cy, −sz·cy, sy) and its last row (sy, −cy·sx, cy·cx).
      angles[0].push(Math.atan2(-r[2][1], r[2][2]));
      angles[1].push(Math.asin(r[2][0]));
      angles[2].push(Math.atan2(-r[1][0], r[0][0]));
    }
    expect(notRotation).toBe(0);
    for (const [axis, a] of angles.entries()) {
      expect(Math.max(...a.map(Math.abs)), `axis ${axis}`).toBeLessThanOrEqual(0.3 + 1e-6);
      expect(Math.max(...a), `axis ${axis}`).toBeGreaterThan(0.29);
      expect(Math.min(...a), `axis ${axis}`).toBeLessThan(-0.29);
      expect(ksUniform(a, -0.3, 0.3), `axis ${axis}`).toBeLessThan(0.03);
    }
    const corr = (a: number[], b: number[]) => {
      const [ma, mb] = [mean(a), mean(b)];
      const cov = mean(a.map((x, i) => (x - ma) * (b[i] - mb)));
      return cov / Math.sqrt(mean(a.map((x) => (x - ma) ** 2)) * mean(b.map((x) => (x - mb) ** 2)));
    };
    expect(Math.abs(corr(angles[0], angles[1]))).toBeLessThan(0.06);
    expect(Math.abs(corr(angles[1], angles[2]))).toBeLessThan(0.06);
    expect(Math.abs(corr(angles[0], angles[2]))).toBeLessThan(0.06);
  });

  it('rotates every joint, frame and person of a clip by the same matrix', () => {
    const T = 4, V = 5, M = 2;
    const plane = T * V * M;
    const rng = new Rng(106);
    const x = Float32Array.from({ length: 3 * plane }, () => rng.normal());
    const before = x.slice();
    const r = drawRotation(new Rng(107));
    rotate(x, T, V, M, new Rng(107));
    for (let i = 0; i < plane; i++) {
      for (let row = 0; row < 3; row++) {
        const want = r[row][0] * before[i] + r[row][1] * before[plane + i] + r[row][2] * before[2 * plane + i];
        expect(Math.abs(x[row * plane + i] - want)).toBeLessThan(1e-5);
      }
    }
  });
});

describe('resize against linear functions', () => {
  it('reproduces a linear ramp exactly at every output frame, for every crop and output length up to 24', () => {
    for (let L = 1; L <= 24; L++) {
      for (let T = 1; T <= 24; T++) {
        for (const start of [0, 3]) {
          // Frames before the crop hold junk that must never be read; inside it value(t) = 2t − 5.
          const values = Array.from({ length: start + L + 2 }, (_, f) => (f < start || f >= start + L ? 1e6 : 2 * (f - start) - 5));
          const clip: Clip = { frames: values.length, persons: 1, joints: 1, coords: 1, data: Float32Array.from(values), present: new Uint8Array(values.length).fill(1) };
          const out = resize(clip, { start, length: L }, T);
          for (let t = 0; t < T; t++) {
            const src = Math.min(Math.max(((t + 0.5) * L) / T - 0.5, 0), L - 1);
            expect(Math.abs(out[t] - (2 * src - 5)), `L ${L} → T ${T}, start ${start}, frame ${t}`).toBeLessThan(1e-4);
          }
        }
      }
    }
  });

  it('interpolates every person, joint and coordinate alike and writes [C][T][V][M]', () => {
    const [F, M, V, C, T] = [5, 2, 3, 2, 7];
    const value = (f: number, m: number, v: number, c: number) => (1 + m + 10 * v + 100 * c) * (f + 1);
    const data = new Float32Array(F * M * V * C);
    for (let f = 0; f < F; f++) for (let m = 0; m < M; m++) for (let v = 0; v < V; v++) for (let c = 0; c < C; c++) data[((f * M + m) * V + v) * C + c] = value(f, m, v, c);
    const out = resize({ frames: F, persons: M, joints: V, coords: C, data, present: new Uint8Array(F * M).fill(1) }, { start: 0, length: F }, T);
    for (let c = 0; c < C; c++) {
      for (let t = 0; t < T; t++) {
        const src = Math.min(Math.max(((t + 0.5) * F) / T - 0.5, 0), F - 1);
        for (let v = 0; v < V; v++) for (let m = 0; m < M; m++) expect(out[((c * T + t) * V + v) * M + m]).toBeCloseTo(value(src, m, v, c), 3);
      }
    }
  });
});
