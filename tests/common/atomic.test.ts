import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDirAtomic, writeFileAtomic } from '../../common/atomic.ts';

const root = await mkdtemp(join(tmpdir(), 'cocodiff-atomic-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('atomic writes', () => {
  it('writeFileAtomic replaces a file and leaves no temporary behind', async () => {
    const p = join(root, 'a', 'f.json');
    await writeFileAtomic(p, 'one');
    await writeFileAtomic(p, 'two');
    expect(await readFile(p, 'utf8')).toBe('two');
    expect(await readdir(join(root, 'a'))).toEqual(['f.json']);
  });

  it('writeDirAtomic keeps the old directory when filling the new one fails', async () => {
    const dir = join(root, 'd');
    await writeDirAtomic(dir, (tmp) => writeFile(join(tmp, 'x'), 'old'));
    await expect(writeDirAtomic(dir, async (tmp) => {
      await writeFile(join(tmp, 'x'), 'half');
      throw new Error('killed half-way');
    })).rejects.toThrow('killed half-way');
    expect(await readFile(join(dir, 'x'), 'utf8')).toBe('old');
    expect((await readdir(root)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await writeDirAtomic(dir, (tmp) => writeFile(join(tmp, 'y'), 'new'));
    expect(await readdir(dir)).toEqual(['y']);
  });
});
