import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../../trainer/train/checkpoint.ts';

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
    await expect(readCheckpoint(dir)).rejects.toThrow(/tensor "b".*truncated/);
    await expect(readCheckpoint(join(root, 'missing'))).rejects.toThrow(/cannot read the checkpoint/);
  });
});
