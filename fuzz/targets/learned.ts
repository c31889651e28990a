/** The file of gestures taught on the device (learned.json), read against a fixed recognizer. */
import { readLearnedFile } from '../../runtime-as/host/learned-file.ts';
import { jsonInputs, wellFormed, type FuzzTarget } from '../harness.ts';

/** The recognizer the corpus file was taught over (fuzz/make-corpus.ts writes the same). */
export const LEARNED_FOR = { wasmSha256: null, classes: ['wave', 'sit down', 'stand up'], features: 4 };

export const learnedTarget: FuzzTarget<string> = {
  name: 'learned',
  parser: 'runtime-as/host/learned-file.ts readLearnedFile',
  inputs: jsonInputs,
  run(text) {
    const { taught } = readLearnedFile(text, 'learned.json', LEARNED_FOR);
    const names = [...LEARNED_FOR.classes, ...taught.map((c) => c.name)];
    wellFormed(new Set(names).size === names.length && names.every((n) => typeof n === 'string' && n.trim() !== ''), 'class names');
    for (const c of taught) {
      wellFormed(c.features.length > 0 && c.features.length === c.logits.length, `${c.name}: examples`);
      wellFormed(c.features.every((f) => f.length === 4 && f.every(Number.isFinite)), `${c.name}: features`);
      wellFormed(c.logits.every((z) => z.length === 3 && z.every(Number.isFinite)), `${c.name}: logits`);
    }
  },
  show: (text) => JSON.stringify(text),
};
