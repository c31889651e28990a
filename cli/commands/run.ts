/** `cocodiff run recognizer.wasm --input FILE`: classify one whole recording and print the top-5. */
import type { Command } from 'commander';
import { Recognizer } from 'cocodiff-runtime';
import { loadRecording } from 'cocodiff-runtime/node';
import { positiveInt } from '../options.ts';
import { MAX_COORDINATE } from 'cocodiff-runtime/shared/abi';
import { printable } from '../../common/terminal.ts';
import { LEARNED_HELP, useLearnedFile } from '../learned-option.ts';

export function register(program: Command): void {
  program
    .command('run')
    .description('classify a whole recording (.skeleton, Kinetics .json or .npy) with a compiled recognizer and print the top classes')
    .argument('<recognizer>', 'compiled recognizer .wasm (its sidecar .json beside it gives the class names)')
    .requiredOption('-i, --input <file>', 'recording: NTU .skeleton, Kinetics-Skeleton .json, or .npy ([F,M,V,3], [3,T,V,M] or [F,M·V·3])')
    .option('-k, --top <k>', 'classes to print', positiveInt('--top'), 5)
    .option('--sidecar <file>', 'sidecar JSON, if not <recognizer>.json')
    .option('--learned <file>', LEARNED_HELP)
    .option('--trust-sidecar', 'use a sidecar whose wasmSha256 does not match the .wasm (refused by default: its class names would belong to another build)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  cocodiff run out/recognizer.wasm --input S001C001P001R001A001.skeleton')
    .action(async (wasm: string, opts: { input: string; top: number; sidecar?: string; learned?: string; trustSidecar?: boolean; json?: boolean }) => {
      const recognizer = await Recognizer.load(wasm, { sidecar: opts.sidecar, trustSidecar: opts.trustSidecar });
      await useLearnedFile(recognizer, opts.learned);
      const seq = await loadRecording(opts.input, recognizer.info.layout);
      const result = recognizer.classify(seq, opts.top);
      if (opts.json) {
        console.log(JSON.stringify({ input: opts.input, frames: seq.frames, rejectedFrames: result.rejectedFrames, top: result.top, latencyMs: result.latencyMs }));
        return;
      }
      const rejected = result.rejectedFrames ? ` (${result.rejectedFrames} rejected: NaN, infinite or beyond ±${MAX_COORDINATE})` : '';
      console.log(`${printable(opts.input)}: ${seq.frames} frames${rejected}, ${seq.layout}, ${seq.persons} person slot(s); inference ${result.latencyMs.toFixed(2)} ms`);
      result.top.forEach((c, i) => console.log(`  ${i + 1}. ${printable(c.label).padEnd(32)} ${(100 * c.score).toFixed(2).padStart(6)} %`));
    });
}
