/**
 * `npm run mutate -- <module…>`: mutation testing of the named modules (mutation/modules.ts), or of
 * all with `all`. Not part of `npm test` or CI: on two cores a module takes minutes to an hour.
 *
 *   npm run mutate -- --list                 the modules, their regions and test files
 *   npm run mutate -- f16 loaders            Stryker and planted mutants of those modules
 *   npm run mutate -- all --concurrency 2    every module, two Stryker test runners
 *   npm run mutate -- f16 --tests a,b        score other test files against a module's mutants
 *   npm run mutate -- f16 --engine stryker   only the Stryker (TypeScript) or planted (AssemblyScript) mutants
 *
 * Prints the score of each module, detected / (detected + survived + no coverage), and the
 * survivors; survivors listed in mutation/equivalent.txt (judged equivalent: no test can tell them
 * apart) are shown apart and left out of the adjusted score. Results: reports/mutation/<module>.json
 * (<module>-<engine>.json with --engine; Stryker's own report is <module>.stryker.json).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogLevel } from '@stryker-mutator/api/core';
import { Stryker } from '@stryker-mutator/core';
import { MODULES, type MutationModule } from './modules.ts';
import { generateMutants, runPlanted, sampleMutants } from './planted.ts';
import { regionRanges } from './ranges.ts';

const ROOT = join(import.meta.dirname, '..');
const REPORTS = join(ROOT, 'reports', 'mutation');

interface Outcome {
  engine: 'stryker' | 'planted';
  file: string;
  line: number;
  mutator: string;
  replacement: string;
  status: 'killed' | 'timeout' | 'survived' | 'no coverage' | 'invalid';
}

/** Survivors judged equivalent: `file:line Mutator "replacement" — why`, one per line. */
function readEquivalent(): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of readFileSync(join(ROOT, 'mutation', 'equivalent.txt'), 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+:\d+) (\w+) ("(?:[^"\\]|\\.)*") — (.+)$/.exec(line);
    if (!m) throw new Error(`mutation/equivalent.txt: cannot read ${JSON.stringify(line)} (expected: file:line Mutator "replacement" — why)`);
    out.set(`${m[1]} ${m[2]} ${JSON.parse(m[3])}`, m[4]);
  }
  return out;
}

const key = (o: Outcome) => `${o.file}:${o.line} ${o.mutator} ${o.replacement}`;

async function runStryker(mod: MutationModule, concurrency: number): Promise<Outcome[]> {
  const mutate = mod.stryker!.flatMap((r) => regionRanges(ROOT, r)).map((r) => `${r.file}:${r.from}-${r.to}`);
  const results = await new Stryker({
    testRunner: 'vitest',
    vitest: { configFile: 'mutation/vitest.config.ts', related: false },
    testFiles: mod.tests,
    mutate,
    coverageAnalysis: 'perTest',
    mutator: { excludedMutations: mod.excludedMutations ?? [] },
    concurrency,
    timeoutMS: 120_000,
    // The first run of every test, instrumented, takes minutes on loaded cores (tfjs loads per file).
    dryRunTimeoutMinutes: 30,
    reporters: ['progress', 'html', 'json'],
    htmlReporter: { fileName: `reports/mutation/${mod.name}.html` },
    jsonReporter: { fileName: `reports/mutation/${mod.name}.stryker.json` },
    ignorePatterns: ['/runs', '/out', '/.cache', '/demo-output', '/reports'],
    tempDirName: '.stryker-tmp',
    cleanTempDir: true,
    fileLogLevel: 'off' as LogLevel,
    logLevel: 'warn' as LogLevel,
  }).runMutationTest();
  const status: Record<string, Outcome['status']> = {
    Killed: 'killed', Timeout: 'timeout', Survived: 'survived', NoCoverage: 'no coverage',
    CompileError: 'invalid', RuntimeError: 'invalid', Ignored: 'invalid', Pending: 'invalid',
  };
  return results.map((r) => ({
    engine: 'stryker', file: r.fileName.replace(`${ROOT}/`, ''), line: r.location.start.line,
    mutator: r.mutatorName, replacement: r.replacement ?? '', status: status[r.status] ?? 'invalid',
  }));
}

function score(outcomes: Outcome[], equivalent: Map<string, string>) {
  const n = (s: Outcome['status']) => outcomes.filter((o) => o.status === s).length;
  const detected = n('killed') + n('timeout');
  const valid = detected + n('survived') + n('no coverage');
  const equiv = outcomes.filter((o) => (o.status === 'survived' || o.status === 'no coverage') && equivalent.has(key(o))).length;
  return {
    mutants: outcomes.length, killed: n('killed'), timeout: n('timeout'), survived: n('survived'), noCoverage: n('no coverage'),
    invalid: n('invalid'), equivalent: equiv,
    score: valid ? (100 * detected) / valid : NaN,
    adjusted: valid - equiv ? (100 * detected) / (valid - equiv) : NaN,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const concurrencyAt = args.indexOf('--concurrency');
  const concurrency = concurrencyAt >= 0 ? Number(args.splice(concurrencyAt, 2)[1]) : 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('--concurrency: expected a positive integer');
  // --tests a,b: run other test files than the modules' own (e.g. an older suite, to score it).
  const testsAt = args.indexOf('--tests');
  const testsOverride = testsAt >= 0 ? args.splice(testsAt, 2)[1].split(',') : undefined;
  const engineAt = args.indexOf('--engine');
  const engine = engineAt >= 0 ? args.splice(engineAt, 2)[1] : undefined;
  if (engine !== undefined && engine !== 'stryker' && engine !== 'planted') throw new Error('--engine: expected stryker or planted');
  if (args.includes('--list') || args.length === 0) {
    for (const m of MODULES) {
      console.log(`${m.name}: ${m.what}`);
      for (const r of m.stryker ?? []) for (const x of regionRanges(ROOT, r)) console.log(`  stryker  ${x.file}:${x.from}-${x.to}`);
      if (m.planted) console.log(`  planted  ${generateMutants(ROOT, m.planted, m.tests).length} mutants${m.plantedSample ? ` (a sample of ${m.plantedSample} runs)` : ''} in ${[...new Set(m.planted.map((r) => r.file))].join(', ')}`);
      console.log(`  tests    ${m.tests.join(' ')}`);
    }
    if (args.length === 0) console.log('\nusage: npm run mutate -- <module…|all> [--concurrency N]');
    return;
  }
  const names = args.includes('all') ? MODULES.map((m) => m.name) : args;
  const unknown = names.filter((n) => !MODULES.some((m) => m.name === n));
  if (unknown.length) throw new Error(`unknown module ${unknown.join(', ')}; modules: ${MODULES.map((m) => m.name).join(', ')}`);
  const equivalent = readEquivalent();
  mkdirSync(REPORTS, { recursive: true });
  // The runtime tests' fixture modules, built once per source text for the whole run (tests/runtime/fixture-wasm.ts).
  process.env.COCODIFF_FIXTURE_WASM_CACHE = mkdtempSync(join(tmpdir(), 'cocodiff-mutate-wasm-'));
  process.on('exit', () => rmSync(process.env.COCODIFF_FIXTURE_WASM_CACHE!, { recursive: true, force: true }));
  const rows: string[] = [];
  for (const name of names) {
    const found = MODULES.find((m) => m.name === name)!;
    const mod: MutationModule = testsOverride
      ? { ...found, tests: testsOverride, planted: found.planted?.map((r) => ({ ...r, tests: undefined })) }
      : found;
    const start = Date.now();
    console.log(`\n== ${mod.name}: ${mod.what}`);
    const outcomes: Outcome[] = [];
    if (mod.stryker && engine !== 'planted') outcomes.push(...await runStryker(mod, concurrency));
    if (mod.planted && engine !== 'stryker') {
      const all = generateMutants(ROOT, mod.planted, mod.tests);
      const mutants = mod.plantedSample ? sampleMutants(all, mod.plantedSample) : all;
      console.log(`planted: ${mutants.length} of ${all.length} mutants`);
      for (const r of runPlanted(ROOT, mutants, (l) => console.log(l))) {
        outcomes.push({ engine: 'planted', file: r.file, line: r.line, mutator: r.mutator, replacement: r.replacement, status: r.status });
      }
    }
    const s = score(outcomes, equivalent);
    const minutes = (Date.now() - start) / 60_000;
    writeFileSync(join(REPORTS, `${mod.name}${engine ? `-${engine}` : ''}.json`), JSON.stringify({ module: mod.name, date: new Date().toISOString(), minutes, ...s, outcomes }, null, 1) + '\n');
    const survivors = outcomes.filter((o) => o.status === 'survived' || o.status === 'no coverage');
    for (const o of survivors) {
      const why = equivalent.get(key(o));
      console.log(`  ${why ? 'equivalent' : 'SURVIVED  '} ${o.file}:${o.line} ${o.mutator} ${JSON.stringify(o.replacement)}${o.status === 'no coverage' ? ' (no test reaches it)' : ''}${why ? ` — ${why}` : ''}`);
    }
    rows.push(`| ${mod.name} | ${s.mutants} | ${s.killed + s.timeout} | ${s.survived + s.noCoverage} | ${s.equivalent} | ${s.invalid} | ${s.score.toFixed(1)} % | ${s.adjusted.toFixed(1)} % | ${minutes.toFixed(0)} min |`);
  }
  console.log('\n| module | mutants | killed | survived | of which equivalent | invalid | score | score without equivalent | time |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(r);
}

await main();
