import type { Command } from 'commander';
import { comparePredictions, type PairedAccuracy } from '../../trainer/train/compare.ts';
import { readPredictions } from '../../trainer/train/predictions-file.ts';
import { printable } from '../../common/terminal.ts';

const pct = (v: number): string => (100 * v).toFixed(2);
/** A signed difference in points; n/a for the interval of a single sample. */
const points = (v: number): string => (Number.isNaN(v) ? 'n/a' : `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(2)}`);
const pValue = (p: number): string => (p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));

function line(what: string, r: PairedAccuracy): string {
  const d = r.difference;
  return `  ${what}: ${pct(r.a)} → ${pct(r.b)} %, B − A ${points(d.mean)} points [${points(d.low)}, ${points(d.high)}]; ` +
    `right in B only ${r.onlyB}, in A only ${r.onlyA}; McNemar exact p = ${pValue(r.p)}`;
}

export function register(program: Command): void {
  program
    .command('compare')
    .description('Pair two evaluations of the same samples (runs, `eval --out` folders, or their predictions.jsonl) and give B − A with its 95 % CI, the samples only one gets right, McNemar\'s exact test, and top-1 per class')
    .argument('<a>', 'the reference: a run directory, an `eval --out` folder, or a predictions.jsonl')
    .argument('<b>', 'the one compared with it, the same way')
    .option('--json', 'print one JSON object instead of text')
    .action(async (a: string, b: string, o: { json?: boolean }) => {
      const [first, second] = [await readPredictions(a), await readPredictions(b)];
      const c = comparePredictions(first, second);
      if (o.json) {
        console.log(JSON.stringify({ a: first.file, b: second.file, ...c }));
        return;
      }
      console.log(`A: ${printable(first.file)}`);
      console.log(`B: ${printable(second.file)}`);
      console.log(`paired over ${c.samples} sample${c.samples === 1 ? '' : 's'} (95 % CI of the mean per-sample difference: the test set's sampling, not the seeds'):`);
      console.log(line('top-1', c.top1));
      console.log(line('top-5', c.top5));
      console.log(`top-1 per class (A → B, samples; right in B only / A only; McNemar p, one test of ${c.perClass.length}):`);
      for (const k of c.perClass) console.log(`  ${pct(k.a).padStart(6)} → ${pct(k.b).padStart(6)} %  ${printable(k.label)} (${k.samples}; +${k.onlyB} / −${k.onlyA}; p = ${pValue(k.p)})`);
    });
}
