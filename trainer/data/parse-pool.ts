/**
 * Parses many skeleton files on worker threads (text parsing is CPU-bound and the files are
 * independent), yielding the results in input order so a prepared cache is byte-identical whatever
 * the number of threads. With threads = 0 everything runs on the calling thread.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from 'cocodiff-runtime/shared/errors';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import { parseTask, type ParseReply, type ParseTask } from './parse-task.ts';

export function defaultThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

/**
 * Compiled (the installed package), a worker runs parse-worker.js. From TypeScript sources (a
 * checkout, tests), it must install tsx's loader before importing its module: hooks installed with
 * `register()` (as bin/cocodiff.js does) are per thread and are not inherited.
 */
function startWorker(): Worker {
  if (import.meta.url.endsWith('.js')) return new Worker(new URL('./parse-worker.js', import.meta.url));
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./parse-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { eval: true });
}

/** Results in task order. Stopping the iteration early (an error downstream) terminates the workers. */
export async function* parseInOrder(tasks: ParseTask[], threads = defaultThreads()): AsyncGenerator<Sequence> {
  if (threads <= 0 || tasks.length < 2) {
    for (const t of tasks) yield await parseTask(t);
    return;
  }
  const workers = Array.from({ length: Math.min(threads, tasks.length) }, startWorker);
  const done = new Map<number, ParseReply>();
  let wake: (() => void) | null = null;
  let failure: Error | null = null;
  let next = 0;
  // Keep a bounded number of tasks ahead of the consumer, so memory stays flat on 100k files.
  const window = workers.length * 16;
  const owner = new Map<number, Worker>();
  const send = (w: Worker): void => {
    if (next >= tasks.length) return;
    owner.set(next, w);
    w.postMessage({ id: next, task: tasks[next++] });
  };
  for (const w of workers) {
    w.on('message', (r: ParseReply) => {
      done.set(r.id, r);
      wake?.();
    });
    w.on('error', (err) => {
      failure = err;
      wake?.();
    });
  }
  try {
    for (let i = 0; i < window / workers.length; i++) workers.forEach(send);
    for (let i = 0; i < tasks.length; i++) {
      while (!done.has(i)) {
        if (failure) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
      const r = done.get(i)!;
      done.delete(i);
      if ('error' in r) throw r.user ? new UserError(r.error) : new Error(r.error);
      // The worker that did task i has one slot free in its queue again.
      send(owner.get(i)!);
      owner.delete(i);
      yield r.seq;
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
