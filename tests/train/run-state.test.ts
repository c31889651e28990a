import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCheckpoint, readCheckpoint, writeCheckpoint } from '../../trainer/train/run-state.ts';

const root = await mkdtemp(join(tmpdir(), 'cocodiff-ckpt-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('checkpoints', () => {
  it('round-trip float32 and int32 tensors bit for bit, by group', async () => {
    const dir = join(root, 'a');
    const weird = new Float32Array([0, -0, 1e-45, 3.4e38, -1.5]);
    const words = new Int32Array([0x7fc00001, -1, -2147483648, 123]); // int32 words a float32 copy would mangle
    await writeCheckpoint(dir, { epoch: 3, rng: [1, 2, 3, 4] }, {
      model: new Map([['w', { shape: [5], data: weird }]]),
      branch: new Map([['rng', { shape: [4], data: words }], ['m', { shape: [1, 2], data: new Float32Array([7, 8]) }]]),
    });
    const ck = await readCheckpoint<{ epoch: number; rng: number[] }>(dir);
    expect(ck.state).toMatchObject({ epoch: 3, rng: [1, 2, 3, 4] });
    const w = ck.groups.model.get('w')!;
    expect(w.data).toBeInstanceOf(Float32Array);
    expect(new Uint8Array(w.data.buffer)).toEqual(new Uint8Array(weird.buffer));
    const r = ck.groups.branch.get('rng')!;
    expect(r.data).toBeInstanceOf(Int32Array);
    expect(Array.from(r.data)).toEqual(Array.from(words));
    expect(ck.groups.branch.get('m')).toEqual({ shape: [1, 2], data: new Float32Array([7, 8]) });
  });

  it('a write that fails half-way leaves the previous checkpoint whole and no partial directory', async () => {
    const dir = join(root, 'b');
    await writeCheckpoint(dir, { epoch: 1 }, { model: new Map([['w', { shape: [2], data: new Float32Array([1, 2]) }]]) });
    // tensors.bin gets written, then state.json cannot be serialised (a BigInt): the write dies mid-way.
    await expect(writeCheckpoint(dir, { epoch: 2, bad: 1n }, { model: new Map([['w', { shape: [2], data: new Float32Array([3, 4]) }]]) })).rejects.toThrow();
    const ck = await readCheckpoint<{ epoch: number }>(dir);
    expect(ck.state.epoch).toBe(1);
    expect(Array.from(ck.groups.model.get('w')!.data)).toEqual([1, 2]);
    expect((await readdir(root)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('refuses a truncated checkpoint by naming the tensor', async () => {
    const dir = join(root, 'c');
    await writeCheckpoint(dir, { epoch: 1 }, { model: new Map([['a', { shape: [2], data: new Float32Array(2) }], ['b', { shape: [3], data: new Float32Array(3) }]]) });
    const { truncate } = await import('node:fs/promises');
    await truncate(join(dir, 'tensors.bin'), 12);
    await expect(readCheckpoint(dir)).rejects.toThrow(`${join(dir, 'tensors.bin')}: 12 bytes, but the manifest in state.json describes 20 (truncated or mismatched checkpoint); tensor "b" (group model) is the first that does not fit`);
    await expect(readCheckpoint(join(root, 'missing'))).rejects.toThrow(/cannot read the checkpoint/);
  });

  it('refuses a checkpoint whose tensor bytes changed, by tensor name (what --resume and export read)', async () => {
    const dir = join(root, 'flip');
    await writeCheckpoint(dir, { epoch: 1 }, { model: new Map([['a', { shape: [2], data: new Float32Array([1, 2]) }], ['b', { shape: [3], data: new Float32Array([3, 4, 5]) }]]) });
    const bin = await readFile(join(dir, 'tensors.bin'));
    bin[13] ^= 0x01; // one bit of tensor "b"
    await writeFile(join(dir, 'tensors.bin'), bin);
    await expect(readCheckpoint(dir)).rejects.toThrow(`${join(dir, 'tensors.bin')}: tensor "b" (group model) does not match its sha256 in state.json (corrupted checkpoint)`);
  });

  it('refuses malformed manifests and checkpoints without checksums with the field named', async () => {
    const dir = join(root, 'manifest');
    await writeCheckpoint(dir, { epoch: 1 }, { model: new Map([['a', { shape: [2], data: new Float32Array([1, 2]) }]]) });
    const json = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    const refusal = async (edit: (j: any) => unknown): Promise<string> => {
      await writeFile(join(dir, 'state.json'), JSON.stringify(edit(structuredClone(json))));
      return readCheckpoint(dir).then(() => 'read', (e: Error) => e.message);
    };
    expect(await refusal((j) => ({ ...j, version: 1 }))).toMatch(/field "version": version 1 checkpoints carry no checksums/);
    expect(await refusal((j) => ({ ...j, tensors: null }))).toMatch(/field "tensors": expected \{ group: \[tensor, \.\.\.\] \}/);
    expect(await refusal((j) => { j.tensors.model[0] = null; return j; })).toMatch(/field "tensors\.model\[0\]": expected \{ name/);
    expect(await refusal((j) => { delete j.tensors.model[0].sha256; return j; })).toMatch(/field "tensors\.model\[0\]\.sha256"/);
    expect(await refusal((j) => { j.tensors.model[0].offset = -4; return j; })).toMatch(/field "tensors\.model\[0\]\.offset"/);
    expect(await refusal(() => null)).toMatch(/field "\(root\)": expected a JSON object/);
  });

  it('a crash between the two renames of the swap loses nothing: readers find the new checkpoint', async () => {
    const dir = join(root, 'swap');
    await writeCheckpoint(dir, { epoch: 1 }, { model: new Map([['w', { shape: [1], data: new Float32Array([1]) }]]) });
    await writeCheckpoint(join(root, 'next'), { epoch: 2 }, { model: new Map([['w', { shape: [1], data: new Float32Array([2]) }]]) });
    // The state a process killed between `dir → .old` and `.tmp → dir` leaves (pid 2147483647: dead).
    await rename(dir, join(root, '.swap.2147483647.00000001.old'));
    await rename(join(root, 'next'), join(root, '.swap.2147483647.00000002.tmp'));
    expect(await hasCheckpoint(dir)).toBe(true);
    const ck = await readCheckpoint<{ epoch: number }>(dir);
    expect(ck.state.epoch).toBe(2);
    expect((await readdir(root)).filter((n) => n.startsWith('.swap.'))).toEqual([]);
  });
});
