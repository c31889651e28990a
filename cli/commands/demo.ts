/**
 * `cocodiff demo`: the whole project in one command. Synthetic NTU-25 recordings → train the
 * synth-quick CTR-GCN (with the CoCoDiff branch under --cocodiff) → compile it to one .wasm → stream
 * the held-out test recordings through that .wasm frame by frame, as a camera would → print
 * streaming accuracy, latency and where everything is.
 *
 * The branch is opt-in here as in `train`: the ablation (docs/training.md, "Ablation") measured no gain from it
 * on this benchmark, and a default should be the best-evidenced setting.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../common/atomic.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { progress } from '../../common/progress.ts';
import { Recognizer } from 'cocodiff-runtime';
import { backendOption, threadsOption, type BackendFlags } from '../backend-option.ts';
import { integer, numberWhere, positiveInt } from '../options.ts';
import { mean, quantile, streamRecordings } from '../stream-eval.ts';
import { printable, printableLines } from '../../common/terminal.ts';

const MARKER = 'demo.json';

interface DemoFlags extends BackendFlags {
  out: string;
  quick?: boolean;
  perClass?: number;
  epochs?: number;
  seed: number;
  stride: number;
  cocodiff?: boolean;
  camera?: boolean;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('the whole pipeline in one go: synthetic data → train → compile to .wasm → stream the test set through it')
    .option('-o, --out <dir>', 'where the dataset, the run, the artifact and the .wasm go', 'demo-output')
    .option('--quick', 'a smoke test: 8 recordings per class and 2 epochs')
    .option('--per-class <n>', 'synthetic recordings per class (default 40; --quick 8)', numberWhere('--per-class', 'an integer ≥ 3', (n) => Number.isInteger(n) && n >= 3))
    .option('--epochs <n>', 'training epochs (default: the synth-quick preset\'s; --quick 2)', positiveInt('--epochs'))
    .option('--seed <n>', 'seed of the dataset and the training', integer('--seed'), 1)
    .option('--cocodiff', 'train with the CoCoDiff branch (off by default: the ablation measured no gain on synthetic data)')
    .option('--stride <n>', 'streaming: predict every n frames', positiveInt('--stride'), 8)
    .addOption(backendOption())
    .addOption(threadsOption())
    .option('--camera', 'a model for camera keypoints: the scenes as a pose estimator reports them from an ordinary camera (COCO-17 pixels with scores, `synth --camera`)')
    .addHelpText('after', '\nEverything the demo writes stays in --out; running it again replaces a previous demo there.')
    .action(async (flags: DemoFlags) => {
      const started = performance.now();
      // The trainer (tfjs) and the compiler load only when the demo runs, not with every command.
      const [{ compileArtifact }, { DEFAULT_COCODIFF_OPTIONS }, { readCache }, { SYNTH_CLASSES, writeSyntheticDataset }, { runTraining }] = await Promise.all([
        import('../../compiler/index.ts'),
        import('../../trainer/cocodiff/types.ts'),
        import('../../trainer/data/cache.ts'),
        import('../../trainer/data/synth/index.ts'),
        import('../../trainer/train/train.ts'),
      ]);
      const out = resolve(flags.out);
      await clearPreviousDemo(out);
      await writeFileAtomic(join(out, MARKER), JSON.stringify({ startedAt: new Date().toISOString() }) + '\n');
      const { seed } = flags;
      const perClass = flags.perClass ?? (flags.quick ? 8 : 40);
      const epochs = flags.epochs ?? (flags.quick ? 2 : undefined);

      step(1, `synthetic dataset${flags.camera ? ' (camera keypoints, COCO-17)' : ''}`);
      const dataDir = join(out, 'data');
      const bar = progress('  recordings', SYNTH_CLASSES.length * perClass);
      const index = await writeSyntheticDataset(dataDir, { perClass, seed, camera: flags.camera, onProgress: (done) => bar.update(done) });
      bar.stop();
      console.error(`  ${index.classes.length} classes, ${index.splits.train.samples.length} train / ${index.splits.test.samples.length} test recordings → ${printable(dataDir)}`);

      step(2, `training CTR-GCN (synth-quick)${flags.cocodiff ? ' with CoCoDiff' : ''}`);
      const cocodiff = flags.cocodiff ? DEFAULT_COCODIFF_OPTIONS : undefined;
      const trained = await runTraining({ data: dataDir, out: join(out, 'run'), preset: 'synth-quick', cocodiff, seed, backend: flags.backend, threads: flags.threads, ...(epochs ? { epochs } : {}) });
      console.error(`  test top-1 ${(100 * trained.test.top1).toFixed(1)} % (epoch ${trained.chosen.epoch}, chosen on validation), ${trained.wallSeconds.toFixed(0)} s → ${printable(trained.artifactDir)}`);

      step(3, 'compiling to WebAssembly');
      // The streaming window is the artifact's: the median training recording (see PreprocessSpec).
      const compiled = await compileArtifact(trained.artifactDir, { out: join(out, 'recognizer.wasm') });
      console.error(`  ${(compiled.wasmBytes / 1024).toFixed(0)} KiB in ${compiled.seconds.toFixed(1)} s → ${printable(compiled.wasmPath)}`);

      step(4, `streaming the held-out test recordings through the .wasm (stride ${flags.stride})`);
      const recognizer = await Recognizer.load(compiled.wasmPath, { stride: flags.stride });
      const cache = await readCache(dataDir);
      const tests = cache.index.splits.test.samples.map((_, i) => cache.sequence('test', i));
      const streamBar = progress('  recordings', tests.length);
      const score = streamRecordings(recognizer, tests, (done) => streamBar.update(done));
      streamBar.stop();

      const lines = [
        '',
        `cocodiff demo: ${index.classes.length} synthetic actions, ${tests.length} held-out recordings streamed frame by frame`,
        `  streaming accuracy      ${pct(score.finalCorrect, score.recordings)} (label after the whole recording)`,
        `                          ${pct(score.predictionsCorrect, score.predictions)} of ${score.predictions} predictions made with a full ${recognizer.info.windowFrames}-frame window`,
        `  trainer's test top-1    ${(100 * trained.test.top1).toFixed(1)} % (tfjs, whole recordings)`,
        `  inference latency       ${mean(score.latenciesMs).toFixed(2)} ms mean, ${quantile(score.latenciesMs, 0.99).toFixed(2)} ms p99 over ${score.latenciesMs.length} inferences`,
        `  recognizer              ${(compiled.wasmBytes / 1024).toFixed(0)} KiB .wasm, ${(recognizer.info.memoryBytes / 1024).toFixed(0)} KiB memory`,
        `  dataset                 ${dataDir}`,
        `  training run            ${trained.runDir}`,
        `  model artifact          ${trained.artifactDir}`,
        `  recognizer              ${compiled.wasmPath}`,
        `                          ${compiled.sidecarPath}`,
        `  total time              ${((performance.now() - started) / 1000).toFixed(0)} s`,
        '',
        'Next:',
        `  cocodiff stream ${compiled.wasmPath} --input <recording> --fps 30`,
        `  npx tsx examples/depth-camera/app.ts ${compiled.wasmPath}`,
      ];
      // Paths came from the user's --out: no control character reaches the terminal.
      console.log(printableLines(lines.join('\n')));
      await writeFileAtomic(join(out, MARKER), JSON.stringify({
        finishedAt: new Date().toISOString(),
        streamingAccuracy: score.finalCorrect / score.recordings,
        windowAccuracy: score.predictionsCorrect / Math.max(score.predictions, 1),
        trainerTop1: trained.test.top1,
        latencyMeanMs: mean(score.latenciesMs),
        latencyP99Ms: quantile(score.latenciesMs, 0.99),
        wasm: compiled.wasmPath,
        artifact: trained.artifactDir,
      }, null, 2) + '\n');
    });
}

function step(n: number, what: string): void {
  console.error(`[${n}/4] ${what}`);
}

const pct = (k: number, n: number): string => `${((100 * k) / Math.max(n, 1)).toFixed(1)} %`.padEnd(8);

/** A previous demo, finished or not (marked by demo.json), is replaced; anything else is left alone. */
async function clearPreviousDemo(out: string): Promise<void> {
  if (!existsSync(out)) return;
  const ours = ['data', 'run', 'recognizer.wasm', 'recognizer.json', MARKER];
  if (!existsSync(join(out, MARKER)) && ours.some((f) => existsSync(join(out, f)))) {
    throw new UserError(`${out}: holds a dataset or run that no demo made; choose another --out or delete it`);
  }
  for (const f of ours) await rm(join(out, f), { recursive: true, force: true });
}
