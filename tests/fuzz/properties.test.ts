/**
 * Every parser, and the runtime API's argument checks, on arbitrary and mutated-valid input (issue
 * 26): each input is parsed into a well-formed value or refused with a UserError, within the time
 * and memory budget of fuzz/harness.ts. The targets are those `npm run fuzz` runs for minutes; here
 * each gets a fixed seed and a bounded number of runs (a few seconds in all), so a failure
 * reproduces exactly and fast-check prints it shrunk.
 */
import { it } from '@fast-check/vitest';
import { beforeAll, describe } from 'vitest';
import { readCorpus, runOne } from '../../fuzz/harness.ts';
import { TARGETS } from '../../fuzz/targets/index.ts';

/** Runs per target: about half a second each on a loaded two-core machine. */
const RUNS: Record<string, number> = { pickle: 1500, zip: 600, npy: 3000, skeleton: 2000, kinetics: 1500, ndjson: 2000, sidecar: 2000, learned: 2000, recognizer: 800 };
const SEED = 26;

describe.each(TARGETS.map((t) => [t.name, t] as const))('%s', (name, target) => {
  beforeAll(() => target.setup?.());
  it.prop([target.inputs(readCorpus(name))], { seed: SEED, numRuns: RUNS[name] })(
    `${target.parser}: a well-formed value or a UserError, never another error, a hang or a huge allocation`,
    (input) => runOne(target, input),
  );
});
