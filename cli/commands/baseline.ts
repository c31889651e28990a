import { Command, Option } from 'commander';
import { positiveInt } from '../options.ts';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { progress } from '../../common/progress.ts';
import { nearestCentroidBaseline } from '../../trainer/baseline/nearest-centroid.ts';
import { readCache } from '../../trainer/data/cache.ts';
import { printable } from '../../common/terminal.ts';
import { checkOwnFolder } from '../../common/output-dir.ts';
import { PREDICTIONS_FILE, writePredictions } from '../../trainer/train/predictions-file.ts';

export function register(program: Command): void {
  program
    .command('baseline')
    .description('Nearest-centroid classifier on raw joints (test-time preprocessing, joint modality): the accuracy a learned model must beat')
    .requiredOption('--data <dir>', 'dataset cache (from `cocodiff prepare` or `cocodiff synth`)')
    .option('--frames <t>', 'frames after the crop and resize', positiveInt('--frames', LIMITS.frames), 64)
    .addOption(new Option('--split <name>', 'split to score').choices(['train', 'test']).default('test'))
    .option('--per-class', 'also print the accuracy of each class')
    .option('--out <dir>', 'write predictions.jsonl here (each sample\'s five nearest classes), for `cocodiff compare` with a model')
    .action(async (f: { data: string; frames: number; split: 'train' | 'test'; perClass?: boolean; out?: string }) => {
      if (f.out) await checkOwnFolder(f.out, [PREDICTIONS_FILE], 'baseline evaluation');
      const { frames } = f;
      const cache = await readCache(f.data);
      // An accuracy over no samples is no accuracy; centroids need training samples.
      for (const s of new Set(['train', f.split] as const)) {
        if (cache.index.splits[s].samples.length === 0) throw new UserError(`${f.data}: the ${s} split is empty; nothing to ${s === 'train' ? 'fit the centroids on' : 'score'}`);
      }
      const total = cache.index.splits.train.samples.length + cache.index.splits[f.split].samples.length;
      const bar = progress('baseline', total);
      let r;
      try {
        r = nearestCentroidBaseline(cache, { frames, split: f.split, onProgress: (done) => bar.update(done) });
      } finally {
        bar.stop();
      }
      console.log(`nearest centroid on ${f.data} (${f.split}, ${r.total} samples): top-1 ${(100 * r.top1).toFixed(2)} %`);
      if (f.perClass) for (const c of r.perClass) console.log(`  ${(c.total ? (100 * c.correct) / c.total : 0).toFixed(1).padStart(5)} %  ${printable(c.label)}`);
      if (f.out) {
        const samples = cache.index.splits[f.split].samples;
        await writePredictions(f.out, samples.map((s) => s.name), samples.map((s) => s.label), r.scores, cache.index.classes);
        console.log(`wrote ${printable(f.out)}/${PREDICTIONS_FILE}`);
      }
    });
}
