/**
 * `cocodiff ablate`: the CoCoDiff ablation (baseline; + diffusion without text; + fine; + coarse;
 * + both) over several seeds, as a table of test top-1 (mean ± std) and wall time.
 */
import type { Command } from 'commander';
import { positiveInt } from '../options.ts';
import { runAblation, VARIANTS, writeTables } from '../../trainer/cocodiff/ablation.ts';
import type { BackendName } from '../../trainer/backend.ts';
import type { PresetName } from '../../trainer/train/config.ts';

interface Flags {
  data: string;
  out: string;
  preset?: PresetName;
  seeds: number;
  epochs?: number;
  batch?: number;
  backend: BackendName;
  variants?: string;
  denoiserWidth?: number;
  denoiserBlocks?: number;
  text?: string;
  textEmbeddings?: string;
}

export function register(program: Command): void {
  program
    .command('ablate')
    .description(
      'Train each CoCoDiff ablation variant with several seeds and report test top-1 (mean ± std) and wall time; ' +
        'writes OUT/ablation.md, OUT/ablation.svg and OUT/ablation.json (re-running continues an interrupted ablation)',
    )
    .requiredOption('--data <dir>', 'dataset cache (from `cocodiff synth` or `cocodiff prepare`)')
    .requiredOption('--out <dir>', 'output directory: one run per variant and seed, plus the tables')
    .option('--preset <name>', 'training preset (synth-quick)')
    .option('--seeds <n>', 'seeds per variant (1..n)', positiveInt('--seeds'), 3)
    .option('--epochs <n>', 'epochs per run (default: the preset\'s)', positiveInt('--epochs'))
    .option('--batch <n>', 'batch size (default: the preset\'s)', positiveInt('--batch'))
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .option('--variants <list>', `comma-separated subset, by index or name: ${VARIANTS.map((v, i) => `${i}=${v.name}`).join(', ')}`)
    .option('--denoiser-width <n>', 'CoCoDiff denoiser width for every CoCoDiff variant', positiveInt('--denoiser-width'))
    .option('--denoiser-blocks <n>', 'CoCoDiff denoiser residual blocks', positiveInt('--denoiser-blocks'))
    .option('--text <file>', 'descriptions JSON (default: the project\'s file for the dataset)')
    .option('--text-embeddings <file>', 'precomputed text embeddings (JSON or .npy) instead of the built-in encoder')
    .action(async (f: Flags) => {
      const report = await runAblation({
        data: f.data,
        out: f.out,
        seeds: f.seeds,
        preset: f.preset,
        epochs: f.epochs,
        batch: f.batch,
        backend: f.backend,
        variants: f.variants?.split(',').map((s) => s.trim()).filter(Boolean),
        cocodiff: {
          ...(f.denoiserWidth ? { denoiserWidth: f.denoiserWidth } : {}),
          ...(f.denoiserBlocks ? { denoiserBlocks: f.denoiserBlocks } : {}),
        },
        textFile: f.text,
        embeddingsFile: f.textEmbeddings,
        log: (line) => console.error(line),
      });
      const rows = await writeTables(f.out, report);
      console.log('variant                 test top-1 (%)    best (%)        wall (s)  ms/step');
      for (const r of rows) {
        const pm = (m: number, s: number) => `${m.toFixed(1)} ± ${s.toFixed(1)}`.padEnd(16);
        console.log(`${r.variant.padEnd(24)}${pm(r.top1.mean, r.top1.std)}  ${pm(r.best.mean, r.best.std)}${r.wall.mean.toFixed(0).padStart(8)}  ${r.msPerStep.mean.toFixed(0).padStart(7)}`);
      }
      console.log(`tables: ${f.out}/ablation.md, ${f.out}/ablation.svg`);
    });
}
