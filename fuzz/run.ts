/**
 * `npm run fuzz [-- --seconds N] [--target NAME ...] [--seed S]`: runs every target (or those named)
 * for N seconds each (default 60) on random inputs and mutations of its corpus, and reports
 * executions per target. A finding is shrunk by fast-check to a small input, printed, and written to
 * fuzz/findings/<target>/ (not committed): fix the parser and keep the input as a regression test in
 * tests/fuzz/. Exits 1 if any target found something.
 *
 * Not coverage-guided: @jazzer.js/core 4.0.0's prebuilt fuzzer needs glibc 2.38 (this Debian 12
 * has 2.36) and its older releases fetch their native code from GitHub at install time (see
 * docs/development.md). The mutators in harness.ts stand in for libFuzzer's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { readCorpus, runOne, type FuzzTarget } from './harness.ts';
import { TARGETS } from './targets/index.ts';

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

async function fuzz(target: FuzzTarget<never>): Promise<boolean> {
  await target.setup?.();
  let executions = 0;
  const start = performance.now();
  const result = await fc.check(
    fc.asyncProperty(target.inputs(readCorpus(target.name)), async (input) => {
      executions++;
      await runOne(target, input);
    }),
    { seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false },
  );
  const took = (performance.now() - start) / 1000;
  const rate = `${executions} executions in ${took.toFixed(0)} s (${(executions / took).toFixed(0)}/s)`;
  if (!result.failed) {
    console.log(`${target.name}: ok, ${rate} [${target.parser}]`);
    return true;
  }
  const input = result.counterexample![0] as never;
  const shown = target.show ? target.show(input) : fc.stringify(input);
  const dir = join(import.meta.dirname, 'findings', target.name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `seed-${seed}.txt`);
  writeFileSync(file, `${String(result.errorInstance)}\n${shown}\n`);
  console.log(`${target.name}: FOUND after ${rate}: ${String(result.errorInstance)}\n  input (shrunk): ${shown.slice(0, 2000)}\n  written to ${file}`);
  return false;
}

console.log(`fuzzing ${chosen.length} target(s) for ${seconds} s each, seed ${seed}`);
let clean = true;
for (const target of chosen) clean = (await fuzz(target)) && clean;
process.exit(clean ? 0 : 1);
