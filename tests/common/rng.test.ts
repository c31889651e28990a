import { describe, expect, it } from 'vitest';
import { Rng } from '../../common/rng.ts';

describe('Rng', () => {
  it('is deterministic under a seed and differs between seeds', () => {
    const a = new Rng(7), b = new Rng(7), c = new Rng(8);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('resumes from a saved state exactly where it stopped', () => {
    const a = new Rng(3);
    for (let i = 0; i < 10; i++) a.next();
    const resumed = new Rng(a.state());
    expect(Array.from({ length: 8 }, () => resumed.nextU32())).toEqual(Array.from({ length: 8 }, () => a.nextU32()));
  });

  it('draws uniform values in [0, 1) with the right mean, and normals with unit variance', () => {
    const r = new Rng(11);
    const n = 20000;
    let sum = 0, sq = 0, lo = 1, hi = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      sum += u; lo = Math.min(lo, u); hi = Math.max(hi, u);
      const z = r.normal();
      sq += z * z;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 1);
    expect(sq / n).toBeGreaterThan(0.95);
    expect(sq / n).toBeLessThan(1.05);
  });

  it('shuffles into a permutation', () => {
    const a = new Rng(1).shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
