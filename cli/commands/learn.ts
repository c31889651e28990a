/**
 * `cocodiff learn recognizer.wasm --name NAME --input REC...`: teach the recognizer a gesture it was
 * not trained on from a few recordings of it (Recognizer.learn: a head over the frozen backbone's
 * pooled feature) and write the taught classes to a learned.json that `run`, `stream`, apps and
 * pages load with the recognizer. `--learned` starts from an earlier file, so classes accumulate.
 */
import { Option, type Command } from 'commander';
import { LEARNED_FORMAT, Recognizer, type HeadMethod } from 'cocodiff-runtime';
import { loadRecording } from 'cocodiff-runtime/node';
import { writeFileAtomic } from '../../common/atomic.ts';
import { checkOutputFile, jsonKind } from '../../common/output-file.ts';
import { printable } from '../../common/terminal.ts';
import { useLearnedFile } from '../learned-option.ts';
import { FORCE_FILE_HELP } from '../options.ts';

interface LearnFlags {
  name: string;
  input: string[];
  out: string;
  learned?: string;
  method?: HeadMethod;
  forget?: string[];
  sidecar?: string;
  trustSidecar?: boolean;
  force?: boolean;
}

const LEARNED_FILE = jsonKind('learned-classes file', LEARNED_FORMAT);

export function register(program: Command): void {
  program
    .command('learn')
    .description('teach a recognizer a new gesture from a few recordings of it (a head over its frozen backbone) and write the taught classes to a learned.json')
    .argument('<recognizer>', 'compiled recognizer .wasm')
    .requiredOption('--name <name>', 'the new gesture\'s name (not one of the recognizer\'s classes)')
    .requiredOption('-i, --input <files...>', 'recordings of the gesture (.skeleton, Kinetics .json, .npy): one works, about five teach it well')
    .requiredOption('-o, --out <file>', 'where the taught classes go (JSON; give it to run/stream --learned, or to Recognizer.useLearned)')
    .option('--learned <file>', 'start from the classes taught in this learned.json (it may be --out too); the new one is added to them')
    .addOption(new Option('--method <head>', 'the head over the backbone: ncm (nearest class mean with a learned scale; measured better) or logistic').choices(['ncm', 'logistic']))
    .option('--sidecar <file>', 'sidecar JSON, if not <recognizer>.json')
    .option('--trust-sidecar', 'use a sidecar whose wasmSha256 does not match the .wasm')
    .option('--force', FORCE_FILE_HELP)
    .addHelpText('after', '\nExample:\n  cocodiff learn out/recognizer.wasm --name "thumbs up" --input up1.npy up2.npy up3.npy up4.npy up5.npy -o learned.json\n  cocodiff run out/recognizer.wasm --learned learned.json --input up6.npy')
    .action(async (wasm: string, flags: LearnFlags) => {
      await checkOutputFile(flags.out, LEARNED_FILE, flags.force);
      const recognizer = await Recognizer.load(wasm, { sidecar: flags.sidecar, trustSidecar: flags.trustSidecar });
      await useLearnedFile(recognizer, flags.learned);
      const recordings = [];
      for (const path of flags.input) recordings.push({ ...(await loadRecording(path, recognizer.info.layout)), name: path });
      const taught = recognizer.learn(flags.name, recordings, { method: flags.method });
      await writeFileAtomic(flags.out, JSON.stringify(recognizer.learnedFile()) + '\n');
      const added = recognizer.labels.slice(recognizer.info.labels.length);
      console.log(`taught ${printable(JSON.stringify(taught.name))} from ${taught.recordings} recording(s) in ${taught.milliseconds.toFixed(0)} ms (class ${taught.index}); taught classes: ${added.map((n) => printable(JSON.stringify(n))).join(', ')} → ${printable(flags.out)}`);
    });
}
