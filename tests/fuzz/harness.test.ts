/** The fuzz property itself: what runOne lets through and what it reports, and the mutators. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { Finding, mutatedBytes, mutatedJson, runOne, type FuzzTarget } from '../../fuzz/harness.ts';

const target = (run: () => unknown): FuzzTarget<null> => ({ name: 't', parser: 'p', inputs: () => fc.constant(null), run });

describe('runOne', () => {
  it('accepts a value and a UserError', async () => {
    await runOne(target(() => 1), null);
    await runOne(target(() => { throw new UserError('x: expected y'); }), null);
    await runOne(target(async () => { throw new UserError('x: expected y'); }), null);
  });

  it('reports any other error, a run over the time budget and memory kept past the budget', async () => {
    await expect(runOne(target(() => { throw new TypeError('boom'); }), null)).rejects.toThrow(new Finding('t: TypeError: boom (expected a value or a UserError)'));
    await expect(runOne(target(() => { const end = performance.now() + 30; while (performance.now() < end); }), null, { ms: 10, bytes: 2 ** 30 }))
      .rejects.toThrow(/^t: took \d+ ms \(budget 10 ms\)$/);
    // 8 MiB kept; a collection of other garbage during the run can make the measured growth a little less.
    const kept: ArrayBuffer[] = [];
    await expect(runOne(target(() => kept.push(new ArrayBuffer(8 << 20))), null, { ms: 1000, bytes: 4 << 20 })).rejects.toThrow(/^t: kept [5-8] MiB allocated \(budget 4 MiB\)$/);
  });
});

describe('mutators', () => {
  const seed = new TextEncoder().encode('{"shape": [12, 34], "name": "abc"}');

  it('change the corpus files, reproducibly for a seed', () => {
    const a = fc.sample(mutatedBytes([seed]), { seed: 1, numRuns: 50 });
    expect(fc.sample(mutatedBytes([seed]), { seed: 1, numRuns: 50 })).toEqual(a);
    expect(a.filter((b) => Buffer.compare(Buffer.from(b), Buffer.from(seed)) !== 0).length).toBeGreaterThan(45);
  });

  it('mutatedJson keeps most documents JSON and edits their structure', () => {
    const docs = fc.sample(mutatedJson([seed]), { seed: 1, numRuns: 50 });
    expect(docs.every((d) => JSON.parse(d) !== undefined)).toBe(true);
    expect(new Set(docs).size).toBeGreaterThan(25);
  });
});
