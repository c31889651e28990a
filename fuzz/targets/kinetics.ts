/** Kinetics-Skeleton JSON (one video). */
import { parseKineticsJson } from 'cocodiff-runtime/shared/formats/kinetics';
import { jsonInputs, type FuzzTarget } from '../harness.ts';
import { checkSequence } from './sequence-check.ts';

export const kineticsTarget: FuzzTarget<string> = {
  name: 'kinetics',
  parser: 'runtime-as/shared/formats/kinetics.ts parseKineticsJson',
  inputs: jsonInputs,
  run: (text) => checkSequence(parseKineticsJson(text, 'fuzz.json')),
  show: (text) => JSON.stringify(text),
};
