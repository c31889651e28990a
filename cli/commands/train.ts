import { Command, Option } from 'commander';
import { UserError } from '../../common/errors.ts';
import { MODALITIES, type Modality } from '../../common/artifact.ts';
import { DEFAULT_COCODIFF_OPTIONS, type CoCoDiffOptions } from '../../trainer/cocodiff/types.ts';
import { PRESETS, type PresetName, type TrainOptions } from '../../trainer/train/config.ts';
import { runTraining } from '../../trainer/train/train.ts';
import type { BackendName } from '../../trainer/backend.ts';
import { backendOption } from '../backend-option.ts';

function number(flag: string, integer = false) {
  return (text: string): number => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) throw new UserError(`${flag}: expected ${integer ? 'an integer' : 'a number'}, found "${text}"`);
    return v;
  };
}

interface Flags {
  data?: string;
  out?: string;
  backbone: string;
  width?: number;
  blocks?: number;
  frames?: number;
  modality?: Modality;
  epochs?: number;
  batch?: number;
  lr?: number;
  seed?: number;
  backend: BackendName;
  preset?: PresetName;
  resume?: string | boolean;
  quiet?: boolean;
  cocodiff?: boolean;
  fineText: boolean;
  coarseText: boolean;
  genCe: boolean;
  detachBranch?: boolean;
  matchNorm?: boolean;
  unitNormOutput?: boolean;
  genT?: [number, number];
  eta?: number;
  branchOptimizer?: 'adam' | 'adamw';
  branchLr?: number;
  branchWeightDecay?: number;
  lambdaGenWarmup?: number;
  valFraction?: number;
  trainPerClass?: number;
  genSteps?: number;
  genPerSample?: number;
  diffusionSteps?: number;
  schedule?: 'linear' | 'cosine';
  lambdaGen?: number;
  lambdaFine?: number;
  lambdaCoarse?: number;
  text?: string;
  textEmbeddings?: string;
}

function cocodiffOptions(f: Flags): CoCoDiffOptions {
  const d = DEFAULT_COCODIFF_OPTIONS;
  return {
    ...d,
    steps: f.diffusionSteps ?? d.steps,
    schedule: f.schedule ?? d.schedule,
    genSteps: f.genSteps ?? d.genSteps,
    genPerSample: f.genPerSample ?? d.genPerSample,
    // The default range is in units of the default 1000 steps: it scales with --diffusion-steps.
    genT: f.genT ?? (f.diffusionSteps ? (d.genT.map((t) => Math.min(f.diffusionSteps! - 1, Math.round((t * f.diffusionSteps!) / d.steps))) as [number, number]) : d.genT),
    eta: f.eta ?? d.eta,
    detachBranch: f.detachBranch ?? d.detachBranch,
    matchNorm: f.matchNorm ?? d.matchNorm,
    unitNormOutput: f.unitNormOutput ?? d.unitNormOutput,
    optimizer: f.branchOptimizer ?? d.optimizer,
    lr: f.branchLr ?? d.lr,
    weightDecay: f.branchWeightDecay ?? d.weightDecay,
    lambdaGenWarmup: f.lambdaGenWarmup ?? d.lambdaGenWarmup,
    fineText: f.fineText,
    coarseText: f.coarseText,
    genCe: f.genCe,
    lambdaGen: f.lambdaGen ?? d.lambdaGen,
    lambdaFine: f.lambdaFine ?? d.lambdaFine,
    lambdaCoarse: f.lambdaCoarse ?? d.lambdaCoarse,
  };
}

/** `MIN:MAX`, two integers. */
export function timestepRange(text: string): [number, number] {
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(text);
  if (!m || Number(m[1]) > Number(m[2])) throw new UserError(`--gen-t: expected MIN:MAX with integers MIN ≤ MAX (e.g. 100:600), found "${text}"`);
  return [Number(m[1]), Number(m[2])];
}

export function register(program: Command): void {
  program
    .command('train')
    .description('Train CTR-GCN (optionally with the CoCoDiff branch) on a dataset cache; writes checkpoints, metrics.jsonl, curves.svg, confusion.svg and the model artifact into the run directory')
    .option('--data <dir>', 'dataset cache (from `cocodiff prepare` or `cocodiff synth`)')
    .option('--out <dir>', 'run directory')
    .addOption(new Option('--backbone <name>', 'backbone').choices(['ctrgcn']).default('ctrgcn'))
    .option('--width <w>', 'channel width multiplier (default 1; synth-quick 0.25)', number('--width'))
    .option('--blocks <n>', 'TCN-GCN units (default 10; synth-quick 3)', number('--blocks', true))
    .option('--frames <T>', 'frames the network sees, a multiple of the total temporal stride (default 64; synth-quick 32)', number('--frames', true))
    .addOption(new Option('--modality <m>', 'input stream (default joint)').choices(MODALITIES as string[]))
    .option('--epochs <n>', 'epochs (default 65; synth-quick 6; with --resume, extends the run)', number('--epochs', true))
    .option('--batch <n>', 'batch size (default 64; synth-quick 16)', number('--batch', true))
    .option('--lr <lr>', 'base learning rate after warm-up (default 0.1 × batch / 64)', number('--lr'))
    .option('--seed <s>', 'seed for initialisation, sample order and augmentation (default 1)', number('--seed', true))
    .addOption(backendOption())
    .addOption(new Option('--preset <name>', 'a smaller model and schedule; explicit flags still win').choices(Object.keys(PRESETS)))
    .option('--resume [run_dir]', 'continue a run from its last checkpoint (the run directory, or --out)')
    .option('--quiet', 'no progress bars or per-epoch lines')
    .option('--cocodiff', 'add the CoCoDiff text-guided latent diffusion branch (training only; never exported)')
    .option('--no-fine-text', 'CoCoDiff: no fine-text conditioning of the denoiser')
    .option('--no-coarse-text', 'CoCoDiff: no coarse-text contrastive loss')
    .option('--no-gen-ce', 'CoCoDiff: do not classify the generated features')
    .option('--val-fraction <f>', 'fraction of the training subjects held out to choose the epoch (default 0.2; 0 = none, the last epoch is used)', number('--val-fraction'))
    .option('--train-per-class <k>', 'train on K recordings per class (low-data runs; drawn from the seed)', number('--train-per-class', true))
    .option('--detach-branch', 'CoCoDiff: the earlier gradient paths (x0 detached from the backbone, CE on generated features stopped before the denoiser)')
    .option('--match-norm', 'CoCoDiff: rescale generated features to their real feature\'s norm before the classifier (earlier patch)')
    .option('--unit-norm-output', 'CoCoDiff: unit-norm rows into the denoiser\'s output map (earlier patch)')
    .option('--gen-t <min:max>', `CoCoDiff: timesteps the generated features are denoised from (default ${DEFAULT_COCODIFF_OPTIONS.genT.join(':')})`, timestepRange)
    .option('--eta <η>', `CoCoDiff: DDIM η, 0 deterministic … 1 DDPM-like (default ${DEFAULT_COCODIFF_OPTIONS.eta}; with --gen-steps > 1)`, number('--eta'))
    .addOption(new Option('--branch-optimizer <name>', `CoCoDiff: the branch's optimiser (default ${DEFAULT_COCODIFF_OPTIONS.optimizer})`).choices(['adam', 'adamw']))
    .option('--branch-lr <lr>', `CoCoDiff: the branch's learning rate (default ${DEFAULT_COCODIFF_OPTIONS.lr})`, number('--branch-lr'))
    .option('--branch-weight-decay <wd>', `CoCoDiff: AdamW weight decay, never on the temperature (default ${DEFAULT_COCODIFF_OPTIONS.weightDecay})`, number('--branch-weight-decay'))
    .option('--lambda-gen-warmup <epochs>', `CoCoDiff: λ_gen rises from 0 over these epochs (default ${DEFAULT_COCODIFF_OPTIONS.lambdaGenWarmup})`, number('--lambda-gen-warmup'))
    .option('--gen-steps <k>', `CoCoDiff: reverse (DDIM) steps per generated feature (default ${DEFAULT_COCODIFF_OPTIONS.genSteps})`, number('--gen-steps', true))
    .option('--gen-per-sample <n>', `CoCoDiff: generated features per real one (default ${DEFAULT_COCODIFF_OPTIONS.genPerSample})`, number('--gen-per-sample', true))
    .option('--diffusion-steps <n>', `CoCoDiff: forward-process steps (default ${DEFAULT_COCODIFF_OPTIONS.steps})`, number('--diffusion-steps', true))
    .addOption(new Option('--schedule <s>', `CoCoDiff: noise schedule (default ${DEFAULT_COCODIFF_OPTIONS.schedule})`).choices(['linear', 'cosine']))
    .option('--lambda-gen <w>', `CoCoDiff: weight of CE on generated features (default ${DEFAULT_COCODIFF_OPTIONS.lambdaGen})`, number('--lambda-gen'))
    .option('--lambda-fine <w>', `CoCoDiff: weight of the fine (reconstruction) loss (default ${DEFAULT_COCODIFF_OPTIONS.lambdaFine})`, number('--lambda-fine'))
    .option('--lambda-coarse <w>', `CoCoDiff: weight of the coarse contrastive loss (default ${DEFAULT_COCODIFF_OPTIONS.lambdaCoarse})`, number('--lambda-coarse'))
    .option('--text <file>', 'CoCoDiff: descriptions JSON (default: the project\'s file for the dataset)')
    .option('--text-embeddings <file>', 'CoCoDiff: precomputed text embeddings (JSON or .npy) instead of the built-in encoder')
    .action(async (f: Flags) => {
      const out = typeof f.resume === 'string' ? f.resume : f.out;
      if (!out) throw new UserError('train: --out RUN_DIR is required (or --resume RUN_DIR)');
      if (typeof f.resume === 'string' && f.out && f.out !== f.resume) throw new UserError(`train: --resume ${f.resume} and --out ${f.out} name different runs`);
      if (!f.resume && !f.data) throw new UserError('train: --data DIR is required');
      const cocodiffFlags =
        [f.text, f.textEmbeddings, f.genSteps, f.genPerSample, f.diffusionSteps, f.schedule, f.lambdaGen, f.lambdaFine, f.lambdaCoarse, f.genT, f.eta, f.detachBranch, f.matchNorm, f.unitNormOutput, f.branchOptimizer, f.branchLr, f.branchWeightDecay, f.lambdaGenWarmup].some((v) => v !== undefined) ||
        !f.fineText || !f.coarseText || !f.genCe;
      if (cocodiffFlags && !f.cocodiff && !f.resume) throw new UserError('train: CoCoDiff flags given without --cocodiff');
      const opts: TrainOptions = {
        data: f.data ?? '',
        out,
        width: f.width,
        blocks: f.blocks,
        frames: f.frames,
        modality: f.modality,
        epochs: f.epochs,
        batch: f.batch,
        lr: f.lr,
        seed: f.seed,
        valFraction: f.valFraction,
        trainPerClass: f.trainPerClass,
        backend: f.backend,
        preset: f.preset,
        resume: Boolean(f.resume),
        quiet: f.quiet,
        // On --resume, CoCoDiff flags are compared with the run's (a differing one is refused).
        cocodiff: f.cocodiff || (f.resume && cocodiffFlags) ? cocodiffOptions(f) : undefined,
        textFile: f.text,
        embeddingsFile: f.textEmbeddings,
      };
      const r = await runTraining(opts);
      console.log(`chosen epoch ${r.chosen.epoch}: ${r.chosen.reason}`);
      console.log(`test top-1 ${(100 * r.test.top1).toFixed(2)} %, top-5 ${(100 * r.test.top5).toFixed(2)} % (${r.test.samples} recordings, scored once with epoch ${r.chosen.epoch}), ${r.wallSeconds.toFixed(1)} s, ${r.msPerStep.toFixed(1)} ms/step`);
      console.log(`run: ${r.runDir}`);
      console.log(`artifact: ${r.artifactDir}`);
    });
}
