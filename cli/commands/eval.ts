import { Command, Option } from 'commander';
import { number, positiveInt } from '../options.ts';
import { backendOption, threadsOption, type BackendFlags } from '../backend-option.ts';
import { selectBackend } from '../../trainer/backend.ts';
import { ensembleWords, evaluate } from '../../trainer/train/eval.ts';
import { ENSEMBLE_FUSIONS, type EnsembleFusion } from '../../trainer/train/metrics.ts';
import { printable } from '../../common/terminal.ts';

const pct = (v: number): string => (Number.isNaN(v) ? '  n/a' : (100 * v).toFixed(2).padStart(6));

export function register(program: Command): void {
  program
    .command('eval')
    .description('Test a trained model (run or artifact directory) on a dataset cache: top-1, top-5, per-class accuracy, confusion matrix; --ensemble adds the scores of several models (their logits, as CTR-GCN\'s ensemble.py, or with --fuse softmax their probabilities)')
    .argument('<model>', 'run directory (its artifact is used) or artifact directory')
    .requiredOption('--data <dir>', 'dataset cache')
    .option('--ensemble <models...>', 'more run/artifact directories whose scores are added (e.g. the other modalities)')
    .option('--weights <w...>', 'ensemble weights, one per model in order, <model> first (default 1 each; the authors\' 4 streams: 0.6 0.6 0.4 0.4)')
    .addOption(new Option('--fuse <what>', 'what the ensemble adds: each model\'s logits (the authors\' rule) or its softmax probabilities (each model\'s vote bounded by its weight)').choices([...ENSEMBLE_FUSIONS]).default('logits'))
    .addOption(new Option('--split <name>', 'split to evaluate').choices(['train', 'test']).default('test'))
    .option('--batch <n>', 'batch size', positiveInt('--batch'), 32)
    .option('--out <dir>', 'write confusion.svg, confusion.json and predictions.jsonl (each sample\'s five best classes, for `cocodiff compare`) here')
    .addOption(backendOption())
    .addOption(threadsOption())
    .action(async (model: string, f: { data: string; ensemble?: string[]; weights?: string[]; fuse: EnsembleFusion; split: 'train' | 'test'; batch: number; out?: string } & BackendFlags) => {
      const models = [model, ...(f.ensemble ?? [])];
      const { batch } = f;
      const weights = f.weights?.map(number('--weights'));
      console.error(`backend: ${await selectBackend(f.backend, { threads: f.threads })}`);
      const r = await evaluate({ models, data: f.data, split: f.split, batch, out: f.out, weights, fusion: f.fuse });
      for (const c of r.chosen) console.log(`${printable(c.model)}: epoch ${c.epoch ?? '?'}, chosen: ${c.reason}`);
      for (const m of r.members) console.log(`  ${printable(m.model)}: top-1 ${pct(m.top1)} %  top-5 ${pct(m.top5)} %`);
      console.log(`${r.ensemble ? `ensemble (${ensembleWords(r.ensemble)})` : f.split}: ${r.report.samples} samples, top-1 ${pct(r.report.top1)} %, top-5 ${pct(r.report.top5)} %`);
      console.log('per-class top-1:');
      r.classes.forEach((c, i) => console.log(`  ${pct(r.report.perClass[i])} %  ${printable(c)}`));
      if (f.out) console.log(`wrote ${printable(f.out)}/confusion.svg, confusion.json and predictions.jsonl`);
    });
}
