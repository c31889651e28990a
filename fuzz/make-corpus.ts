/**
 * Writes the seed corpus, fuzz/corpus/<target>/, from the project's own fixture writers and test
 * fixtures: small valid inputs of each format that the mutators start from. Run once when a format
 * changes (`npx tsx --conditions=cocodiff-source fuzz/make-corpus.ts`); the files are committed so
 * that a fuzz run and the property tests never depend on this script's output changing.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZipArchive } from '../trainer/data/npz.ts';
import { npyBytes, zipBytes } from '../tests/helpers/npy-zip.ts';
import { range, skeletonText, swingingBody } from '../tests/helpers/ntu-fixtures.ts';
import { corpusDir } from './harness.ts';
import { LEARNED_FOR } from './targets/learned.ts';

const PT = join(import.meta.dirname, '../tests/fixtures/pytorch');

function write(target: string, files: Record<string, Uint8Array | string>): void {
  const dir = corpusDir(target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
}

async function member(pt: string, suffix: string): Promise<Uint8Array> {
  const zip = await ZipArchive.open(join(PT, pt));
  try {
    return await zip.read(zip.entries.find((e) => e.name.endsWith(suffix))!);
  } finally {
    await zip.close();
  }
}

const small = npyBytes('<f4', [2, 3], [1, 2, 3, 4, 5, 6]);
const labels = npyBytes('<i8', [2], [0, 1]);

// The pickles of real torch.save checkpoints (protocol 2 and 4, a view, a refused global); not the
// storages, which the unpickler never sees.
write('pickle', {
  'state-dict.pkl': await member('state-dict.pt', '/data.pkl'),
  'protocol4.pkl': await member('wrapped-state-dict-protocol4.pt', '/data.pkl'),
  'non-contiguous.pkl': await member('non-contiguous.pt', '/data.pkl'),
  'forbidden-global.pkl': await member('forbidden-global.pt', '/data.pkl'),
});

write('zip', {
  'stored.npz': zipBytes([{ name: 'x_test.npy', data: small }, { name: 'y_test.npy', data: labels }]),
  'deflated.npz': zipBytes([{ name: 'x_test.npy', data: small, deflate: true }, { name: 'y_test.npy', data: labels, deflate: true }]),
  'zip64.npz': zipBytes([{ name: 'x_test.npy', data: small }], { zip64: true, comment: 'numpy' }),
  'checkpoint.pt': readFileSync(join(PT, 'forbidden-global.pt')),
});

write('npy', {
  'f4.npy': small,
  'f8-v2.npy': npyBytes('<f8', [3, 1, 2], [0.5, -1, 2, 3, 4, 1e-3], { version: 2 }),
  'f4-big-endian.npy': npyBytes('>f4', [2, 2], [1, 2, 3, 4]),
  'f2.npy': npyBytes('<f2', [4], [0x3c00, 0xbc00, 0, 0x7bff]),
  'i8.npy': labels,
  'u1-scalar.npy': npyBytes('|u1', [], [7]),
});

const one = swingingBody('72057594037931101', range(0, 3), 0, 0.3, 1);
write('skeleton', {
  'one-body.skeleton': skeletonText(3, [one]),
  'two-bodies-lf.skeleton': skeletonText(3, [one, swingingBody('72057594037931102', range(1, 3), 1, 0.1, 2)], '\n'),
  'empty-frame.skeleton': skeletonText(2, [swingingBody('72057594037931103', [1], 0, 0.2, 3)]),
});

const pose = (base: number) => ({ pose: range(0, 18).flatMap((v) => [base + v / 100, base + v / 50]), score: range(0, 18).map((v) => 0.5 + v / 40) });
write('kinetics', {
  'video.json': JSON.stringify({ data: [{ frame_index: 1, skeleton: [pose(0.2), pose(0.5)] }, { frame_index: 2, skeleton: [] }, { frame_index: 3, skeleton: [pose(0.3)] }], label: 'abseiling', label_index: 0 }),
});

const joints = (n: number) => range(0, n).map((v) => [v / 25, 1 - v / 50, 3]);
write('ndjson', {
  'frame.json': JSON.stringify({ t: 1234.5, bodies: [joints(25), joints(25)] }),
  'coco-objects.json': JSON.stringify({ t: 0, layout: 'coco17', bodies: [range(0, 17).map((v) => ({ x: v / 17, y: 0.5, z: 0.9 }))] }),
  'flat-list.json': JSON.stringify([joints(25).flat()]),
  'nobody.json': JSON.stringify({ bodies: [] }),
});

write('sidecar', {
  'recognizer.json': JSON.stringify({
    format: 'cocodiff-recognizer', abiVersion: 1, classes: ['wave', 'sit down', 'stand up'], layout: 'ntu25',
    input: { C: 3, T: 16, V: 25, M: 2 }, modality: 'joint', preprocessing: { windowFrames: 16, testCropRatio: 1, centre: false },
    windowFrames: 20, sequenceCapacity: 64, wasmSha256: 'ab'.repeat(32),
  }),
});

write('learned', {
  'learned.json': JSON.stringify({
    format: 'cocodiff-learned', version: 1, method: 'ncm', recognizer: LEARNED_FOR,
    classes: [
      { name: 'arms up', examples: [{ feature: [0.5, 0.25, 0, 1.5], logits: [1, -2, 0.5] }, { feature: [0.75, 0.25, 0.125, 1], logits: [0.5, -1, 0] }] },
      { name: 'crouch', examples: [{ feature: [0, 2, 1, 0.25], logits: [-1, 3, 0] }] },
    ],
  }),
});

// The API target generates its calls; this is the valid sequence of calls it starts from.
const frame = range(0, 150).map((i) => Math.sin(i) / 2);
write('recognizer', {
  'calls.json': JSON.stringify([
    { call: 'configure', opts: { stride: 2, alpha: 0.5, threshold: 0.2, topK: 2 } },
    { call: 'push', frame }, { call: 'push', frame }, { call: 'predict' },
    { call: 'classify', seq: { layout: 'ntu25', frames: 2, persons: 2, joints: 25, coords: 3, data: [...frame, ...frame], name: 'rec' }, topK: 3 },
    { call: 'reset' },
  ]),
});
