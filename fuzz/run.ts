/**
 * `npm run fuzz [-- --seconds N] [--target NAME ...] [--seed S]`: runs every target (or those named)
 * for N seconds each (default 60) on random inputs and mutations of its corpus, and reports
 * executions per target. A finding is shrunk by fast-check to a small input, printed, and written to
 * fuzz/findings/<target>/ (not committed): fix the parser and keep the input as a regression test in
 * tests/fuzz/. Exits 1 if any target found something.
 *
 * Each target runs in a worker thread: a parser caught in an endless loop never returns to let the
 * time budget be checked, so the main thread watches a counter the worker bumps before each input,
 * and when it stops moving terminates the worker and reports the input it was stuck on.
 *
 * Not coverage-guided: @jazzer.js/core 4.0.0's prebuilt fuzzer needs glibc 2.38 (this Debian 12
 * has 2.36) and its older releases fetch their native code from GitHub at install time (see
 * docs/development.md). The mutators in harness.ts stand in for libFuzzer's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { BUDGET, readCorpus, runOne } from './harness.ts';
import { TARGETS } from './targets/index.ts';

interface Job { target: string; seconds: number; seed: number; current: SharedArrayBuffer }
interface Report { executions: number; seconds: number; finding?: { error: string; input: string } }

/** The input being run, as text: its length, then its UTF-8 bytes (cut at 1 MiB), and a counter. */
const CURRENT_BYTES = 1 << 20;
/** How long the counter may stand still before the worker counts as hung. */
const HUNG_MS = 15 * BUDGET.ms;

async function work({ target: name, seconds, seed, current }: Job): Promise<Report> {
  const target = TARGETS.find((t) => t.name === name)!;
  const show = (input: never): string => (target.show ? target.show(input) : fc.stringify(input));
  const counter = new Int32Array(current, 0, 2);
  const text = new Uint8Array(current, 8);
  const encoder = new TextEncoder();
  await target.setup?.();
  parentPort!.postMessage('ready');
  let executions = 0;
  const start = performance.now();
  const result = await fc.check(
    fc.asyncProperty(target.inputs(readCorpus(name)), async (input) => {
      counter[1] = encoder.encodeInto(show(input).slice(0, CURRENT_BYTES / 4), text).written;
      Atomics.add(counter, 0, 1);
      executions++;
      await runOne(target, input);
    }),
    { seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false },
  );
  const report: Report = { executions, seconds: (performance.now() - start) / 1000 };
  if (result.failed) report.finding = { error: String(result.errorInstance), input: show(result.counterexample![0] as never) };
  return report;
}

function fuzz(job: Job): Promise<Report> {
  return new Promise((resolve, reject) => {
    // A worker does not inherit the main thread's tsx hooks (Node 20): it registers them itself.
    const worker = new Worker(
      `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); });`,
      { eval: true, workerData: job },
    );
    const counter = new Int32Array(job.current, 0, 2);
    const start = performance.now();
    let seen = -1;
    let since = performance.now();
    let watch: NodeJS.Timeout | undefined;
    // Watched from when its modules are loaded and its setup done: on busy cores that alone can take longer than HUNG_MS.
    const startWatching = () => setInterval(() => {
      const now = Atomics.load(counter, 0);
      if (now !== seen) { seen = now; since = performance.now(); return; }
      if (performance.now() - since < HUNG_MS) return;
      clearInterval(watch);
      const input = new TextDecoder().decode(new Uint8Array(job.current, 8, counter[1]));
      void worker.terminate().then(() => resolve({
        executions: now, seconds: (performance.now() - start) / 1000,
        finding: { error: `Finding: ${job.target}: no answer after ${(HUNG_MS / 1000).toFixed(0)} s (hung; not shrunk)`, input },
      }));
    }, 1000);
    worker.on('message', (m: 'ready' | Report) => {
      if (m === 'ready') { watch = startWatching(); return; }
      clearInterval(watch);
      resolve(m);
    });
    worker.once('error', (err) => { clearInterval(watch); reject(err); });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      target: { type: 'string', multiple: true },
      seed: { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds: expected a positive number, found ${values.seconds}`);
  const unknown = (values.target ?? []).filter((n) => !TARGETS.some((t) => t.name === n));
  if (unknown.length) throw new Error(`--target: no target ${unknown.join(', ')} (targets: ${TARGETS.map((t) => t.name).join(', ')})`);
  const chosen = values.target ? TARGETS.filter((t) => values.target!.includes(t.name)) : TARGETS;
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);

  console.log(`fuzzing ${chosen.length} target(s) for ${seconds} s each, seed ${seed}`);
  let clean = true;
  for (const target of chosen) {
    const r = await fuzz({ target: target.name, seconds, seed, current: new SharedArrayBuffer(8 + CURRENT_BYTES) });
    const rate = `${r.executions} executions in ${r.seconds.toFixed(0)} s (${(r.executions / r.seconds).toFixed(0)}/s)`;
    if (!r.finding) {
      console.log(`${target.name}: ok, ${rate} [${target.parser}]`);
      continue;
    }
    clean = false;
    const dir = join(import.meta.dirname, 'findings', target.name);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `seed-${seed}.txt`);
    writeFileSync(file, `${r.finding.error}\n${r.finding.input}\n`);
    console.log(`${target.name}: FOUND after ${rate}: ${r.finding.error}\n  input: ${r.finding.input.slice(0, 2000)}\n  written to ${file}`);
  }
  process.exit(clean ? 0 : 1);
}

if (isMainThread) await main();
else parentPort!.postMessage(await work(workerData as Job));
