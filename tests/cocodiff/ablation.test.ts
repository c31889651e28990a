import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectVariants, stat, summarise, VARIANTS, writeTables, type AblationReport } from '../../trainer/cocodiff/ablation.ts';

const run = (variant: string, seed: number, top1: number) => ({ variant, seed, lastTop1: top1, bestTop1: top1 + 0.1, wallSeconds: 10 * seed, msPerStep: 100, runDir: '-' });

describe('ablation', () => {
  it('maps the paper\'s five variants onto the train switches', () => {
    const [base, noText, fine, coarse, both] = VARIANTS;
    expect(base.cocodiff).toBeNull();
    expect([noText.cocodiff!.fineText, noText.cocodiff!.coarseText]).toEqual([false, false]);
    expect([fine.cocodiff!.fineText, fine.cocodiff!.coarseText]).toEqual([true, false]);
    expect([coarse.cocodiff!.fineText, coarse.cocodiff!.coarseText]).toEqual([false, true]);
    expect([both.cocodiff!.fineText, both.cocodiff!.coarseText, both.cocodiff!.genCe]).toEqual([true, true, true]);
    expect(selectVariants(['0', 'fine-text']).map((v) => v.name)).toEqual([base.name, fine.name]);
    expect(() => selectVariants(['nope'])).toThrow(/--variants: unknown variant "nope"/);
  });

  it('mean and sample standard deviation', () => {
    expect(stat([1, 2, 3])).toEqual({ mean: 2, std: 1 });
    expect(stat([5])).toEqual({ mean: 5, std: 0 });
  });

  it('summarises per variant in the paper\'s order and writes Markdown and SVG', async () => {
    const report: AblationReport = {
      format: 'cocodiff-ablation', version: 1, data: 'synth', preset: 'synth-quick', epochs: 2, seeds: 2,
      runs: [run('+both (CoCoDiff)', 1, 0.5), run('baseline', 1, 0.4), run('baseline', 2, 0.6), run('+both (CoCoDiff)', 2, 0.7)],
    };
    const rows = summarise(report);
    expect(rows.map((r) => r.variant)).toEqual(['baseline', '+both (CoCoDiff)']);
    expect(rows[0].top1.mean).toBeCloseTo(50, 9);
    expect(rows[0].top1.std).toBeCloseTo(Math.sqrt(200), 9);
    expect(rows[1].wall.mean).toBe(15);
    const dir = mkdtempSync(join(tmpdir(), 'cocodiff-ablate-'));
    await writeTables(dir, report);
    const md = readFileSync(join(dir, 'ablation.md'), 'utf8');
    expect(md).toContain('| baseline | `(none)` | 2 | 50.0 ± 14.1 | 60.0 ± 14.1 | 15 | 100 |');
    expect(md).toContain('| +both (CoCoDiff) | `--cocodiff` | 2 | 60.0 ± 14.1 |');
    const svg = readFileSync(join(dir, 'ablation.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect((svg.match(/<rect x=/g) ?? []).length).toBe(2);
  });
});
