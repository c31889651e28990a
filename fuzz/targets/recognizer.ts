/**
 * The runtime API's argument checks: classify, push, configure, predict, reset, learn and forget
 * called in any order with arbitrary values (wrong types, NaN, huge or fractional sizes, unknown layouts, BigInts,
 * bodies in every shape) on a tiny recognizer built from tests/runtime/fixture-wasm.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Recognizer, type Prediction } from 'cocodiff-runtime';
import { LAYOUTS } from 'cocodiff-runtime/shared/layouts';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import { wellFormed, type FuzzTarget } from '../harness.ts';

/** ntu25, 2 persons, x y z: 150 values a frame. */
const CLASSES = 4;
let recognizer: Promise<Recognizer> | undefined;

function build(): Promise<Recognizer> {
  recognizer ??= (async () => {
    // Imported here: the fixture builder loads asc, seconds that only this target needs.
    const { buildFixtureWasm } = await import('../../tests/runtime/fixture-wasm.ts');
    const dir = mkdtempSync(join(tmpdir(), 'cocodiff-fuzz-api-'));
    const { wasmPath } = await buildFixtureWasm(dir, { layout: 'ntu25', classes: CLASSES, T: 16, M: 2, windowFrames: 20, sequenceCapacity: 64, modality: 'joint', centre: false, testCropRatio: 1 });
    return Recognizer.load(wasmPath);
  })();
  return recognizer;
}

export type ApiCall =
  | { call: 'classify'; seq: unknown; topK?: unknown }
  | { call: 'push'; frame: unknown; source?: unknown }
  | { call: 'configure'; opts: unknown }
  | { call: 'predict' }
  | { call: 'reset' }
  | { call: 'learn'; name: unknown; recordings: unknown }
  | { call: 'forget'; name: unknown };

const weird = fc.oneof(
  fc.constantFrom<unknown>(Number.NaN, Infinity, -Infinity, -0, 0, -1, 0.5, 1e9, 2 ** 53, 1n, '3', null, undefined, true, [], {}),
  fc.anything({ withBigInt: true, withTypedArray: true, withBoxedValues: true, withNullPrototype: true, maxDepth: 2 }),
);
const count = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 80 }) }, { weight: 1, arbitrary: weird });
const layout = fc.oneof({ weight: 4, arbitrary: fc.constantFrom<unknown>(...Object.keys(LAYOUTS)) }, { weight: 1, arbitrary: weird });
const coordinate = fc.oneof(fc.float({ min: -2, max: 2, noNaN: true }), fc.float());

/** A recording whose fields hold together most of the time (so classify gets past the checks), and sometimes not. */
const sequence: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ layout, frames: count, persons: fc.constantFrom(1, 2, 3), coords: fc.constantFrom(2, 3) })
    .chain((s) => {
      const joints = typeof s.layout === 'string' && s.layout in LAYOUTS ? LAYOUTS[s.layout as keyof typeof LAYOUTS].joints.length : 25;
      // Data sized to the shape only for the generated frame counts: `weird` ones (2^53) would make fast-check build the array.
      const n = typeof s.frames === 'number' && Number.isInteger(s.frames) && s.frames > 0 && s.frames <= 80 ? s.frames * s.persons * joints * s.coords : 0;
      return fc.record({
        data: fc.oneof(
          { weight: 3, arbitrary: fc.float32Array({ minLength: n, maxLength: n, min: -2, max: 2, noNaN: true }) },
          { weight: 1, arbitrary: fc.float32Array({ minLength: n, maxLength: n }) },
          { weight: 1, arbitrary: weird },
        ),
        joints: fc.oneof({ weight: 5, arbitrary: fc.constant<unknown>(joints) }, { weight: 1, arbitrary: weird }),
        name: fc.constant('rec'),
      }).map((rest) => ({ ...s, ...rest }));
    }),
  weird,
);

/** Names of taught gestures: a few that collide with each other or with the module's classes, and anything. */
const gestureName = fc.oneof(fc.constantFrom<unknown>('wave', 'lift', 'action 1', '', ' '), weird);

const joint = fc.oneof(fc.tuple(coordinate, coordinate, coordinate), fc.record({ x: coordinate, y: coordinate, z: coordinate }), weird);
const frame: fc.Arbitrary<unknown> = fc.oneof(
  fc.float32Array({ minLength: 150, maxLength: 150, min: -2, max: 2, noNaN: true }),
  fc.float32Array({ maxLength: 300 }),
  fc.array(coordinate, { maxLength: 160 }),
  fc.array(fc.oneof({ weight: 5, arbitrary: fc.array(joint, { minLength: 25, maxLength: 25 }) }, { weight: 1, arbitrary: fc.array(joint, { maxLength: 30 }) }), { maxLength: 3 }),
  weird,
);

const call: fc.Arbitrary<ApiCall> = fc.oneof(
  fc.record({ call: fc.constant('classify' as const), seq: sequence, topK: fc.option(fc.oneof(fc.integer({ min: 1, max: 6 }), weird), { nil: undefined }) }, { requiredKeys: ['call', 'seq'] }),
  fc.record({ call: fc.constant('push' as const), frame, source: fc.option(layout, { nil: undefined }) }, { requiredKeys: ['call', 'frame'] }),
  fc.record({ call: fc.constant('configure' as const), opts: fc.oneof(fc.record({ stride: weird, alpha: weird, threshold: weird, topK: weird }, { requiredKeys: [] }), weird) }),
  fc.constant({ call: 'predict' as const }),
  fc.constant({ call: 'reset' as const }),
  fc.record({ call: fc.constant('learn' as const), name: gestureName, recordings: fc.oneof({ weight: 4, arbitrary: fc.array(sequence, { maxLength: 3 }) }, { weight: 1, arbitrary: weird }) }),
  fc.record({ call: fc.constant('forget' as const), name: gestureName }),
);

function checkPrediction(r: Recognizer, p: Prediction | null): void {
  if (p === null) return;
  wellFormed(p.probs.length === r.labels.length && p.top.every((s) => Number.isFinite(s.score)), 'a prediction with non-finite or missing scores');
}

export const recognizerTarget: FuzzTarget<ApiCall[]> = {
  name: 'recognizer',
  parser: 'runtime-as/host/recognizer.ts Recognizer.classify/push/configure/predict/reset/learn/forget',
  // Calls are generated, not read: the corpus is one list of valid calls, the starting point the
  // generators widen.
  inputs: (corpus) => fc.oneof(
    fc.array(call, { minLength: 1, maxLength: 12 }),
    fc.constantFrom(...corpus.map((b) => revive(JSON.parse(new TextDecoder().decode(b)) as ApiCall[]))),
  ),
  setup: async () => { await build(); },
  async run(calls) {
    const r = await build();
    r.reset();
    r.configure({ stride: 1, alpha: 1, threshold: 0, topK: 3 });
    for (const name of r.labels.slice(CLASSES)) r.forget(name);
    for (const c of calls) {
      switch (c.call) {
        case 'classify': {
          const out = r.classify(c.seq as Sequence, c.topK as number);
          wellFormed(out.probs.length === r.labels.length && out.probs.every(Number.isFinite) && out.top.length >= 1, 'a classification with non-finite or missing scores');
          break;
        }
        case 'push': checkPrediction(r, r.push(c.frame as Float32Array, c.source as never)); break;
        case 'configure': r.configure(c.opts as never); break;
        case 'predict': checkPrediction(r, r.predict()); break;
        case 'reset': r.reset(); break;
        case 'learn': {
          const taught = r.learn(c.name as string, c.recordings as Sequence[]);
          wellFormed(r.labels[taught.index] === c.name && new Set(r.labels).size === r.labels.length, 'a taught class that is missing or named twice');
          break;
        }
        case 'forget': r.forget(c.name as string); break;
      }
    }
  },
};

/** Corpus calls are JSON: a sequence's `data` list becomes the Float32Array the API takes. */
function revive(calls: ApiCall[]): ApiCall[] {
  return calls.map((c) => c.call === 'classify' ? { ...c, seq: { ...(c.seq as object), data: Float32Array.from((c.seq as { data: number[] }).data) } } : c);
}
