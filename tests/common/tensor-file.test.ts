import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fieldChecks } from 'cocodiff-runtime/shared/json-fields';
import { TensorFileWriter, checkTensorEntries, readTensors, type TensorDtype, type TensorEntry } from '../../common/tensor-file.ts';

const hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const names = { path: 'run/tensors.bin', manifest: 'state.json', kind: 'checkpoint', noun: 'tensor' };

/** Two tensors as weights.bin and tensors.bin have always been laid out: little-endian, back to back from byte 0. */
function byHand(): { file: Uint8Array; entries: TensorEntry[] } {
  const file = new Uint8Array(12);
  const view = new DataView(file.buffer);
  view.setFloat32(0, 1.5, true);
  view.setFloat32(4, -2, true);
  view.setInt32(8, -7, true);
  return {
    file,
    entries: [
      { name: 'w', shape: [2], dtype: 'float32', offset: 0, sha256: hex(file.subarray(0, 8)) },
      { name: 'n', shape: [1, 1], dtype: 'int32', offset: 8, sha256: hex(file.subarray(8, 12)) },
    ],
  };
}

const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

describe('tensor file', () => {
  it('writes the layout existing artifacts and checkpoints have on disk', () => {
    const w = new TensorFileWriter();
    const entries = [w.add('w', { shape: [2], data: Float32Array.of(1.5, -2) }), w.add('n', { shape: [1, 1], data: Int32Array.of(-7) })];
    const expected = byHand();
    expect(new Uint8Array(w.bytes())).toEqual(expected.file);
    expect(entries).toEqual(expected.entries);
  });

  it('reads files written by hand in that layout, and round-trips every bit (int32 words, NaN payloads)', () => {
    const { file, entries } = byHand();
    expect(readTensors(file, entries, names)).toEqual([{ shape: [2], data: Float32Array.of(1.5, -2) }, { shape: [1, 1], data: Int32Array.of(-7) }]);
    const words = Int32Array.of(0x7fc00001, -1, -2147483648);
    const w = new TensorFileWriter();
    const e = [w.add('f', { shape: [3], data: new Float32Array(words.buffer) }), w.add('i', { shape: [3], data: words })];
    const [f, i] = readTensors(w.bytes(), e, names);
    expect(new Int32Array(f.data.buffer)).toEqual(words);
    expect(i.data).toEqual(words);
  });

  it('refuses damaged or resized files, naming the file, the manifest and the tensor', () => {
    const { file, entries } = byHand();
    const flipped = new Uint8Array(file);
    flipped[9] ^= 1;
    expect(refusal(() => readTensors(flipped, entries, names, (i) => ` (entry ${i})`)))
      .toBe('run/tensors.bin: tensor "n" (entry 1) does not match its sha256 in state.json (corrupted checkpoint)');
    expect(refusal(() => readTensors(file.subarray(0, 6), entries, names)))
      .toBe('run/tensors.bin: 6 bytes, but the manifest in state.json describes 12 (truncated or mismatched checkpoint); tensor "w" is the first that does not fit');
    expect(refusal(() => readTensors(new Uint8Array(16), entries, names)))
      .toBe('run/tensors.bin: 16 bytes, but the manifest in state.json describes 12 (truncated or mismatched checkpoint)');
  });

  it('checks every manifest field, naming it', () => {
    const need = fieldChecks('state.json');
    /** Checks the hand-made manifest after `edit` changed it in place. */
    const check = (edit: (e: any[]) => void, dtypes: readonly TensorDtype[] = ['float32', 'int32']): string =>
      refusal(() => {
        const { entries } = byHand();
        edit(entries);
        checkTensorEntries(need, entries, 'tensors.model', 'tensor', dtypes);
      });
    expect(check(() => {})).toBe('accepted');
    expect(refusal(() => checkTensorEntries(need, {}, 'tensors.model', 'tensor', ['float32']))).toBe('state.json: field "tensors.model": expected a list of tensors');
    expect(check((e) => { e[1] = 3; })).toBe('state.json: field "tensors.model[1]": expected { name, shape, dtype, offset, sha256 }');
    expect(check((e) => { e[1].name = 'w'; })).toBe('state.json: field "tensors.model[1].name": duplicate tensor "w"');
    expect(check((e) => { e[0].shape = [2.5]; })).toBe('state.json: field "tensors.model[0].shape": tensor "w": expected non-negative integer dimensions');
    expect(check(() => {}, ['float32'])).toBe('state.json: field "tensors.model[1].dtype": tensor "n": expected "float32", found "int32"');
    expect(check((e) => { e[1].offset = 6; })).toBe('state.json: field "tensors.model[1].offset": tensor "n": expected a non-negative multiple of 4');
    expect(check((e) => { e[0].sha256 = 'ab'; })).toBe('state.json: field "tensors.model[0].sha256": tensor "w": expected a sha256 hex digest');
  });
});
