/**
 * openFileAtomic, the writer of long outputs made piece by piece (`cocodiff video --out`): readers
 * see the old file until the new one is committed whole, and an abort leaves the old one and no
 * temporary behind.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openFileAtomic } from '../../common/atomic.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-atomic-stream-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('shows the old content until commit, then the whole new one', async () => {
  const path = join(dir, 'frames.ndjson');
  await writeFile(path, 'old\n');
  const out = await openFileAtomic(path);
  for (let i = 0; i < 1000; i++) await out.write(`{"frame":${i}}\n`);
  expect(await readFile(path, 'utf8')).toBe('old\n');
  await out.commit();
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  expect(lines).toHaveLength(1000);
  expect(lines.at(-1)).toBe('{"frame":999}');
  expect(await readdir(dir)).toEqual(['frames.ndjson']);
});

it('abort keeps the old content and removes the temporary', async () => {
  const path = join(dir, 'kept.ndjson');
  await writeFile(path, 'old\n');
  const out = await openFileAtomic(path);
  await out.write('new\n');
  await out.abort();
  expect(await readFile(path, 'utf8')).toBe('old\n');
  expect((await readdir(dir)).filter((n) => n.includes('kept'))).toEqual(['kept.ndjson']);
});

it('a folder that cannot be made is one line naming the output', async () => {
  const blocker = join(dir, 'a-file');
  await writeFile(blocker, '');
  await expect(openFileAtomic(join(blocker, 'frames.ndjson'))).rejects.toThrow(new RegExp(`^${join(blocker, 'frames.ndjson')}: cannot write: `));
});
