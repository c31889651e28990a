import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { compileArtifact } from '../../compiler/index.ts';
import { VERIFY_DATA_SAMPLES } from '../../compiler/verify.ts';
import { positiveInt } from '../options.ts';
import { LIMITS } from '../../common/artifact.ts';

export function register(program: Command): void {
  program
    .command('compile')
    .description('Compile a model artifact into one self-contained SIMD recognizer .wasm (+ a .json sidecar with class names and input spec)')
    .argument('<artifact>', 'model artifact directory (model.json + weights.bin)')
    .option('-o, --out <file>', 'the .wasm to write; the sidecar is written next to it as .json', 'recognizer.wasm')
    .option('--relaxed-simd', 'use f32x4.relaxed_madd (needs an engine with relaxed SIMD; Node 20: --experimental-wasm-relaxed-simd)')
    .option('--weights <dtype>', 'f32, or f16 to halve the weights (expanded to f32 when the module starts)', 'f32')
    .option('--emit-as <dir>', 'keep the generated AssemblyScript (network.ts, config.ts) and the runtime sources in this directory')
    .option('--window-frames <n>', 'frames the streaming ring buffer keeps (default: the artifact\'s preprocessing.windowFrames, the median training recording)', positiveInt('--window-frames', LIMITS.windowFrames))
    .option('--sequence-capacity <n>', 'most frames classify_sequence accepts', positiveInt('--sequence-capacity', LIMITS.windowFrames), 300)
    .option('--verify', 'run the tfjs model and the .wasm on random inputs (and --data samples); fail above 1e-4 in probability')
    .option('--data <cache>', `dataset cache: --verify also checks ${VERIFY_DATA_SAMPLES} of its test samples (train samples if it has no test split); needs --verify`)
    .option('--reference <files...>', 'INPUT.bin LOGITS.bin: float32 inputs [n, C, T, V, M] and the logits [n, K] computed elsewhere; fail above 1e-4 in probability')
    .action(async (dir: string, f: {
      out: string; relaxedSimd?: boolean; weights: string; emitAs?: string; windowFrames?: number; sequenceCapacity: number;
      verify?: boolean; data?: string; reference?: string[];
    }) => {
      if (f.weights !== 'f32' && f.weights !== 'f16') throw new UserError(`--weights: expected f32 or f16, found "${f.weights}"`);
      if (f.reference && f.reference.length !== 2) throw new UserError(`--reference: expected two files, INPUT.bin LOGITS.bin, found ${f.reference.length}`);
      if (f.relaxedSimd) {
        const v8 = await import('node:v8');
        v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      }
      const result = await compileArtifact(dir, {
        out: f.out, relaxedSimd: f.relaxedSimd, weights: f.weights, emitAs: f.emitAs,
        windowFrames: f.windowFrames, sequenceCapacity: f.sequenceCapacity,
        verify: f.verify, verifyData: f.data,
        reference: f.reference ? { input: f.reference[0], logits: f.reference[1] } : undefined,
      });
      console.log(`wrote ${result.wasmPath} (${(result.wasmBytes / 1024).toFixed(0)} KiB) and ${result.sidecarPath} in ${result.seconds.toFixed(1)} s`);
    });
}
