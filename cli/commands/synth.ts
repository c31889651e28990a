import type { Command } from 'commander';
import { FORCE_HELP, integer, positiveInt } from '../options.ts';
import { progress } from '../../common/progress.ts';
import { SYNTH_CLASSES, writeSyntheticDataset } from '../../trainer/data/synth/index.ts';
import { SPLITS } from '../../trainer/data/cache.ts';
import { printable } from '../../common/terminal.ts';

export function register(program: Command): void {
  program
    .command('synth')
    .description(`Generate the synthetic NTU-25 dataset (${SYNTH_CLASSES.length} actions, bodies built by forward kinematics, split by subject) as a dataset cache`)
    .requiredOption('--out <dir>', 'cache directory to write (a new or empty directory; see --force)')
    .option('--force', FORCE_HELP)
    .option('--classes <k>', `use the first K classes (1..${SYNTH_CLASSES.length})`, String(SYNTH_CLASSES.length))
    .option('--per-class <n>', 'samples per class (about 2/3 train, 1/3 test)', '60')
    .option('--seed <s>', 'random seed (same seed, same bytes)', '1')
    .option('--camera', 'the same scenes through an ordinary camera, as a pose estimator reports them: COCO-17 keypoints in pixels with scores and missed joints')
    .addHelpText('after', `\nClasses, in order:\n${SYNTH_CLASSES.map((c, i) => `  ${String(i + 1).padStart(2)}. ${c.label}: ${c.description}`).join('\n')}`)
    .action(async (f: { out: string; classes: string; perClass: string; seed: string; force?: boolean; camera?: boolean }) => {
      const classes = positiveInt('--classes', SYNTH_CLASSES.length)(f.classes);
      const perClass = positiveInt('--per-class')(f.perClass);
      const seed = integer('--seed')(f.seed);
      const bar = progress('synth', classes * perClass);
      const index = await writeSyntheticDataset(f.out, { classes, perClass, seed, camera: f.camera, force: f.force, onProgress: (done) => bar.update(done) }).finally(() => bar.stop());
      console.log(`${printable(f.out)}: ${index.classes.length} classes, benchmark ${index.benchmark}, seed ${seed}`);
      for (const s of SPLITS) {
        const frames = index.splits[s].samples.map((e) => e.frames);
        console.log(`  ${s.padEnd(5)} ${String(frames.length).padStart(5)} samples, ${Math.min(...frames)}–${Math.max(...frames)} frames`);
      }
    });
}
