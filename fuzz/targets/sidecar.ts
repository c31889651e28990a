/** The recognizer's sidecar (recognizer.json, or the module's `cocodiff` section). */
import { parseSidecar } from 'cocodiff-runtime';
import { isLayoutName } from 'cocodiff-runtime/shared/layouts';
import { jsonInputs, wellFormed, type FuzzTarget } from '../harness.ts';

export const sidecarTarget: FuzzTarget<string> = {
  name: 'sidecar',
  parser: 'runtime-as/host/sidecar.ts parseSidecar',
  inputs: jsonInputs,
  run(text) {
    const s = parseSidecar(text, 'recognizer.json');
    wellFormed(Array.isArray(s.classes) && s.classes.length > 0 && new Set(s.classes).size === s.classes.length && s.classes.every((c) => typeof c === 'string' && c !== ''), 'classes');
    wellFormed(isLayoutName(s.layout), `layout ${String(s.layout)}`);
  },
  show: (text) => JSON.stringify(text),
};
