/** One line of `cocodiff stream -` input. */
import { parseFrameLine } from 'cocodiff-runtime';
import { isLayoutName } from 'cocodiff-runtime/shared/layouts';
import { jsonInputs, wellFormed, type FuzzTarget } from '../harness.ts';

export const ndjsonTarget: FuzzTarget<string> = {
  name: 'ndjson',
  parser: 'runtime-as/host/ndjson.ts parseFrameLine',
  inputs: jsonInputs,
  run(line) {
    const f = parseFrameLine(line, 'stdin:1');
    if (f === null) return;
    wellFormed(Array.isArray(f.bodies), 'bodies is not a list');
    wellFormed(f.t === undefined || typeof f.t === 'number', `t = ${String(f.t)}`);
    wellFormed(f.layout === undefined || isLayoutName(f.layout), `layout = ${String(f.layout)}`);
  },
  show: (text) => JSON.stringify(text),
};
