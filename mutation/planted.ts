/**
 * Mutants for code Stryker cannot instrument: the AssemblyScript runtime (runtime-as/assembly) and
 * the AssemblyScript the compiler emits from string templates. Stryker rewrites each file into one
 * that switches between its mutants at run time, which asc cannot compile, and it sees an emitted
 * kernel only as string literals. So each mutant here is one textual change, made one at a time in
 * a copy of the project, and the module's test files run against it:
 *
 *   killed    a test failed
 *   survived  every test passed
 *   invalid   asc (or esbuild) refused the mutated source: not a mutant, left out of the score
 *
 * The changes are the usual operator mutations, applied wherever the token occurs in the region's
 * code (comments skipped): arithmetic, comparison, equality, logical and shift operators swapped,
 * ++/-- swapped, integer literals off by one, `!` removed, and each plain statement deleted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../common/rng.ts';
import { regionRanges, type Region } from './ranges.ts';

export interface Mutant {
  id: number;
  file: string;
  /** The test files that must kill it. */
  tests: string[];
  line: number;
  column: number;
  mutator: string;
  original: string;
  replacement: string;
}

export type PlantedStatus = 'killed' | 'survived' | 'invalid' | 'timeout';

export interface PlantedResult extends Mutant {
  status: PlantedStatus;
}

const SWAPS: Array<[string, RegExp, string, string]> = [
  // [mutator, pattern (whole token, spaced as this code base writes it), original, replacement]
  ['ArithmeticOperator', / \+ /g, ' + ', ' - '],
  ['ArithmeticOperator', / - /g, ' - ', ' + '],
  ['ArithmeticOperator', / \* /g, ' * ', ' / '],
  ['ArithmeticOperator', / \/ /g, ' / ', ' * '],
  ['EqualityOperator', / < /g, ' < ', ' <= '],
  ['EqualityOperator', / <= /g, ' <= ', ' < '],
  ['EqualityOperator', / > /g, ' > ', ' >= '],
  ['EqualityOperator', / >= /g, ' >= ', ' > '],
  ['EqualityOperator', / == /g, ' == ', ' != '],
  ['EqualityOperator', / != /g, ' != ', ' == '],
  ['LogicalOperator', / && /g, ' && ', ' || '],
  ['LogicalOperator', / \|\| /g, ' || ', ' && '],
  ['ShiftOperator', / << /g, ' << ', ' >> '],
  ['ShiftOperator', / >> /g, ' >> ', ' << '],
  ['BitwiseOperator', / & /g, ' & ', ' | '],
  ['BitwiseOperator', / \| /g, ' | ', ' & '],
  ['UpdateOperator', /\+\+/g, '++', '--'],
  ['UpdateOperator', /--/g, '--', '++'],
];

/** The code part of a line: everything before a `//` comment that is not inside a string or `${}`. */
function codeEnd(line: string): number {
  const trimmed = line.trimStart();
  if (trimmed.startsWith('*') || trimmed.startsWith('/*') || trimmed.startsWith('//')) return 0;
  const at = line.indexOf('// ');
  return at < 0 ? line.length : at;
}

/** Every mutant of the regions, in file and line order. */
export function generateMutants(root: string, regions: Region[], tests: string[]): Mutant[] {
  const out: Mutant[] = [];
  for (const region of regions) {
    const lines = readFileSync(join(root, region.file), 'utf8').split('\n');
    for (const range of regionRanges(root, region)) {
      for (let ln = range.from; ln <= range.to; ln++) {
        const text = lines[ln - 1];
        const end = codeEnd(text);
        const code = text.slice(0, end);
        const add = (mutator: string, column: number, original: string, replacement: string) =>
          out.push({ id: 0, file: region.file, tests: region.tests ?? tests, line: ln, column, mutator, original, replacement });
        for (const [mutator, pattern, original, replacement] of SWAPS) {
          for (const m of code.matchAll(pattern)) add(mutator, m.index!, original, replacement);
        }
        // Integer literals (not inside identifiers, not part of a float or hex): n → n + 1, and 1 → 0.
        for (const m of code.matchAll(/(?<![\w.$])(\d+)(?![\w.])/g)) {
          const n = Number(m[1]);
          add('NumberLiteral', m.index!, m[1], String(n + 1));
          if (n === 1) add('NumberLiteral', m.index!, m[1], '0');
        }
        for (const m of code.matchAll(/!(?!=)/g)) add('BooleanNegation', m.index!, '!', '');
        // A plain statement on a line of its own (a call, assignment or update), deleted.
        const stmt = /^(\s*`?\s*)([\w.<>\[\]]+(\(.*\)| [-+*|&]?= .*|\+\+|--));(`,?)?\s*$/.exec(code);
        if (stmt && !/^\s*`?\s*(const|let|return|export|import)\b/.test(code)) {
          add('StatementDeletion', stmt[1].length, stmt[2] + ';', '/* deleted */;');
        }
      }
    }
  }
  out.forEach((m, i) => (m.id = i + 1));
  return out;
}

function applyMutant(source: string, m: Mutant): string {
  const lines = source.split('\n');
  const line = lines[m.line - 1];
  if (line.slice(m.column, m.column + m.original.length) !== m.original) throw new Error(`mutant ${m.id}: ${m.file}:${m.line}:${m.column} no longer reads ${JSON.stringify(m.original)}`);
  lines[m.line - 1] = line.slice(0, m.column) + m.replacement + line.slice(m.column + m.original.length);
  return lines.join('\n');
}

/** A copy of the tracked files of the project at `root`, sharing its node_modules. */
function makeSandbox(root: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cocodiff-mutants-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files.filter((f) => existsSync(join(root, f)))) cpSync(join(root, f), join(dir, f), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** A seeded random subset of `n` mutants, kept in file and line order. */
export function sampleMutants(mutants: Mutant[], n: number, seed = 15): Mutant[] {
  if (n >= mutants.length) return mutants;
  return new Rng(seed).shuffle([...mutants]).slice(0, n).sort((a, b) => a.id - b.id);
}

/** Runs each mutant's tests against it in turn; `log` gets one line per mutant. */
export function runPlanted(root: string, mutants: Mutant[], log: (line: string) => void, timeoutMs = 600_000): PlantedResult[] {
  const sandbox = makeSandbox(root);
  const vitest = (tests: string[]): { status: number | null; output: string } => {
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--bail', '1', ...tests], {
      cwd: sandbox, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, FORCE_COLOR: '0' },
    });
    return { status: r.error ? null : r.status, output: `${r.stdout}\n${r.stderr}` };
  };
  try {
    const baseline = vitest([...new Set(mutants.flatMap((m) => m.tests))]);
    if (baseline.status !== 0) throw new Error(`planted mutants: the tests fail without any mutant:\n${baseline.output.slice(-3000)}`);
    const results: PlantedResult[] = [];
    for (const m of mutants) {
      const path = join(sandbox, m.file);
      const original = readFileSync(path, 'utf8');
      writeFileSync(path, applyMutant(original, m));
      const r = vitest(m.tests);
      writeFileSync(path, original);
      const status: PlantedStatus = r.status === null ? 'timeout'
        : r.status === 0 ? 'survived'
          : /ERROR (TS|AS)\d+|Transform failed|SyntaxError/.test(r.output) ? 'invalid' : 'killed';
      results.push({ ...m, status });
      log(`  #${m.id} ${status.padEnd(8)} ${m.file}:${m.line} ${m.mutator} ${JSON.stringify(m.original)} → ${JSON.stringify(m.replacement)}`);
    }
    return results;
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
}
