/**
 * The pool behind `ablate --jobs` and `cv --jobs`, with jobs whose timing the test controls (each
 * waits for a promise the test resolves): never more than N at once, started in order, and a failure
 * that stops the running jobs, starts no new one and is rethrown only once all have settled.
 */
import { describe, expect, it } from 'vitest';
import { runJobPool } from '../../common/job-pool.ts';

/** A job the test ends by hand: `finish(i)` or `fail(i)`; an abort of the pool is only noted (a child process takes time to stop). */
function controlledJobs(n: number) {
  const events: string[] = [];
  const endings = new Map<number, { finish: () => void; fail: (e: Error) => void }>();
  const started = new Map<number, Promise<void>>();
  const startedSignals = new Map<number, () => void>();
  for (let i = 0; i < n; i++) started.set(i, new Promise((resolve) => startedSignals.set(i, resolve)));
  const run = (i: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      events.push(`start ${i}`);
      let ended = false;
      const end = (event: string, settle: () => void) => {
        if (ended) return;
        ended = true;
        events.push(event);
        settle();
      };
      endings.set(i, { finish: () => end(`end ${i}`, resolve), fail: (e) => end(`fail ${i}`, () => reject(e)) });
      signal.addEventListener('abort', () => void (ended || events.push(`abort asked of ${i}`)), { once: true });
      startedSignals.get(i)!();
    });
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  return { events, run, started, end: (i: number) => endings.get(i)!, tick };
}

describe('runJobPool', () => {
  it('runs at most N jobs at once, starting each as a slot frees, in order', async () => {
    const j = controlledJobs(4);
    const pool = runJobPool([0, 1, 2, 3], 2, j.run);
    await Promise.all([j.started.get(0), j.started.get(1)]);
    await j.tick();
    expect(j.events).toEqual(['start 0', 'start 1']);
    j.end(1).finish();
    await j.started.get(2);
    expect(j.events).toEqual(['start 0', 'start 1', 'end 1', 'start 2']);
    j.end(0).finish();
    await j.started.get(3);
    j.end(2).finish();
    j.end(3).finish();
    await pool;
    expect(j.events).toEqual(['start 0', 'start 1', 'end 1', 'start 2', 'end 0', 'start 3', 'end 2', 'end 3']);
  });

  it('on the first failure aborts the running jobs, starts no more, and rethrows that failure after all settled', async () => {
    const j = controlledJobs(4);
    let settled = false;
    const pool = runJobPool([0, 1, 2, 3], 2, j.run).finally(() => (settled = true));
    await Promise.all([j.started.get(0), j.started.get(1)]);
    j.end(0).fail(new Error('fold s1 failed'));
    await j.tick();
    // Job 1 was asked to stop and is still stopping: the pool has not returned.
    expect(j.events).toEqual(['start 0', 'start 1', 'fail 0', 'abort asked of 1']);
    expect(settled).toBe(false);
    j.end(1).fail(new Error('job 1 stopped'));
    await expect(pool).rejects.toThrow('fold s1 failed');
    expect(settled).toBe(true);
    // Jobs 2 and 3 never started.
    expect(j.events).toEqual(['start 0', 'start 1', 'fail 0', 'abort asked of 1', 'fail 1']);
  });

  it('runs one at a time with N = 1 and does nothing for no jobs', async () => {
    const order: number[] = [];
    await runJobPool([3, 1, 2], 1, async (i) => {
      order.push(i);
      await new Promise((resolve) => setImmediate(resolve));
      order.push(-i);
    });
    expect(order).toEqual([3, -3, 1, -1, 2, -2]);
    await runJobPool([], 4, async () => {
      throw new Error('never called');
    });
  });
});
