import type { Command } from 'commander';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { compileArtifact } from '../../compiler/index.ts';
import { VERIFY_DATA_SAMPLES } from '../../trainer/data/sample-inputs.ts';
import { FORCE_FILE_HELP, positiveInt } from '../options.ts';
import { readArtifact } from '../../common/artifact.ts';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { printable } from '../../common/terminal.ts';
import { addInt8Options, int8FromFlags, type Int8Flags } from '../int8-option.ts';
import { MAX_THREADS } from '../../compiler/codegen/threads.ts';

export function register(program: Command): void {
  const command = program
    .command('compile')
    .description('Compile a model artifact into one self-contained SIMD recognizer .wasm (+ a .json sidecar with class names and input spec)')
    .argument('<artifact>', 'model artifact directory (model.json + weights.bin)')
    .option('-o, --out <file>', 'the .wasm to write; the sidecar is written next to it as .json', 'recognizer.wasm')
    .option('--relaxed-simd', 'use f32x4.relaxed_madd (needs an engine with relaxed SIMD; Node 20: --experimental-wasm-relaxed-simd)')
    .option('--weights <dtype>', 'f32, or f16 to halve the weights (expanded to f32 when the module starts)', 'f32')
    .option('--emit-as <dir>', 'keep the generated AssemblyScript (network.ts, config.ts), the codegen plan (plan.json) and the runtime sources in this directory (a new or empty one, or an earlier --emit-as, which is replaced)')
    .option('--plan <file>', 'write the codegen plan as JSON: every tensor\'s layout and arena offset, every op with its packed weights\' offsets')
    .option('--threads <n>', `split each inference over n threads (1..${MAX_THREADS}; 1, the default: the single-threaded, import-free module); the host needs SharedArrayBuffer and workers (docs/compiler.md)`, positiveInt('--threads', MAX_THREADS), 1)
    .option('--force', `${FORCE_FILE_HELP}: the .wasm, its .json and --plan`)
    .option('--window-frames <n>', 'frames the streaming ring buffer keeps (default: the artifact\'s preprocessing.windowFrames, the median training recording)', positiveInt('--window-frames', LIMITS.windowFrames))
    .option('--sequence-capacity <n>', 'most frames classify_sequence accepts', positiveInt('--sequence-capacity', LIMITS.windowFrames), 300)
    .option('--verify', 'run the compiler\'s interpreter and the .wasm on random inputs (and --data samples); fail above 1e-4 in probability')
    .option('--verify-tfjs', 'like --verify, and also against the trainer\'s tfjs model (an independent implementation; loads tfjs)')
    .option('--data <cache>', `dataset cache: --verify also checks ${VERIFY_DATA_SAMPLES} of its test samples (train samples if it has no test split); needs --verify`)
    .option('--reference <files...>', 'INPUT.bin LOGITS.bin: float32 inputs [n, C, T, V, M] and the logits [n, K] computed elsewhere; fail above 1e-4 in probability');
  addInt8Options(command, 'run the convolutions in int8 (passes/quantise.ts lists what stays f32)')
    .action(async (dir: string, f: {
      out: string; relaxedSimd?: boolean; weights: string; threads: number; emitAs?: string; plan?: string; force?: boolean; windowFrames?: number; sequenceCapacity: number;
      verify?: boolean; verifyTfjs?: boolean; data?: string; reference?: string[];
    } & Int8Flags) => {
      if (f.int8 && f.weights !== 'f32') throw new UserError('--weights: only f32 with --int8 (the int8 convolutions hold 8-bit weights already)');
      if (f.int8 && f.verifyTfjs) throw new UserError('--verify-tfjs: checks f32 arithmetic within 1e-4; an int8 module is checked against the interpreter running the same int8 arithmetic, with --verify');
      if (f.int8 && f.reference) throw new UserError('--reference: checks f32 logits within 1e-4; an int8 module is checked against the interpreter running the same int8 arithmetic, with --verify');
      const verify = Boolean(f.verify || f.verifyTfjs);
      if (f.data && !verify) throw new UserError('--data: only used with --verify');
      if (f.weights !== 'f32' && f.weights !== 'f16') throw new UserError(`--weights: expected f32 or f16, found "${f.weights}"`);
      if (f.reference && f.reference.length !== 2) throw new UserError(`--reference: expected two files, INPUT.bin LOGITS.bin, found ${f.reference.length}`);
      if (f.relaxedSimd) {
        const v8 = await import('node:v8');
        v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      }
      // The dataset and the tfjs model are read before the build: a wrong --data cache fails at once.
      const artifact = f.data || f.verifyTfjs || f.int8 ? await readArtifact(dir) : undefined;
      const int8 = await int8FromFlags(f, async () => artifact!);
      let verifyData;
      if (f.data) {
        const { readSampleInputs } = await import('../../trainer/data/sample-inputs.ts');
        verifyData = await readSampleInputs(artifact!, f.data).catch((err: unknown) => {
          throw err instanceof UserError ? new UserError(`--data ${err.message}`) : err;
        });
      }
      const tfjs = f.verifyTfjs ? await (await import('../../trainer/model/reference.ts')).tfjsReference(artifact!) : undefined;
      try {
        const result = await compileArtifact(dir, {
          out: f.out, relaxedSimd: f.relaxedSimd, weights: f.weights, int8, threads: f.threads, emitAs: f.emitAs, plan: f.plan, force: f.force,
          windowFrames: f.windowFrames, sequenceCapacity: f.sequenceCapacity,
          verify, oracles: tfjs ? [tfjs] : [], verifyData,
          reference: f.reference ? { input: f.reference[0], logits: f.reference[1] } : undefined,
        });
        console.log(`wrote ${printable(result.wasmPath)} (${(result.wasmBytes / 1024).toFixed(0)} KiB) and ${printable(result.sidecarPath)} in ${result.seconds.toFixed(1)} s`);
      } finally {
        tfjs?.dispose();
      }
    });
}
