import { describe, expect, it } from 'vitest';
import { ddimTimesteps, noiseSchedule } from '../../trainer/cocodiff/schedule.ts';

describe('noise schedule', () => {
  for (const name of ['linear', 'cosine'] as const) {
    it(`${name}: ᾱ starts near 1, decreases strictly and ends near 0`, () => {
      const { alphaBar, betas } = noiseSchedule(name, 1000);
      expect(alphaBar.length).toBe(1000);
      expect(alphaBar[0]).toBeGreaterThan(0.999);
      expect(alphaBar[0]).toBeLessThan(1);
      for (let t = 1; t < 1000; t++) expect(alphaBar[t]).toBeLessThan(alphaBar[t - 1]);
      expect(alphaBar[999]).toBeLessThan(1e-3);
      expect(alphaBar[999]).toBeGreaterThanOrEqual(0);
      for (const b of betas) expect(b > 0 && b <= 0.999).toBe(true);
    });
  }

  it('linear: β runs from 1e-4 to 0.02 and ᾱ_0 = 1 − 1e-4', () => {
    const { alphaBar, betas } = noiseSchedule('linear', 1000);
    expect(betas[0]).toBeCloseTo(1e-4, 12);
    expect(betas[999]).toBeCloseTo(0.02, 12);
    expect(betas[500] - betas[499]).toBeCloseTo((0.02 - 1e-4) / 999, 12);
    expect(alphaBar[0]).toBeCloseTo(1 - 1e-4, 12);
    expect(alphaBar[1]).toBeCloseTo((1 - 1e-4) * (1 - betas[1]), 12);
  });

  it('cosine: ᾱ follows cos² of the normalised time', () => {
    const { alphaBar } = noiseSchedule('cosine', 1000);
    const f = (t: number) => Math.cos(((t / 1000 + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    expect(alphaBar[499]).toBeCloseTo(f(500) / f(0), 6);
  });

  it('honours the number of steps', () => {
    expect(noiseSchedule('linear', 50).alphaBar.length).toBe(50);
    const one = noiseSchedule('linear', 1); // a single step is the first β alone
    expect(Array.from(one.betas)).toEqual([1e-4]);
    expect(Array.from(one.alphaBar)).toEqual([1 - 1e-4]);
    expect(() => noiseSchedule('linear', 0)).toThrow(/positive integer/);
  });
});

describe('DDIM timesteps', () => {
  it('one step is the start itself', () => {
    expect(ddimTimesteps(737, 1)).toEqual([737]);
  });

  it('k steps start at t, are evenly spaced and non-increasing', () => {
    expect(ddimTimesteps(999, 4)).toEqual([999, 749, 500, 250]);
    const small = ddimTimesteps(2, 5);
    expect(small.length).toBe(5);
    for (let i = 1; i < small.length; i++) expect(small[i]).toBeLessThanOrEqual(small[i - 1]);
  });
});
