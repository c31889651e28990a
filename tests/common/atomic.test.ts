import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { recoverDirAtomic, writeDirAtomic, writeFileAtomic, writeFilesAtomic } from '../../common/atomic.ts';
import type { OutputOptions } from '../../common/output-dir.ts';

const root = await mkdtemp(join(tmpdir(), 'cocodiff-atomic-'));
afterAll(() => rm(root, { recursive: true, force: true }));

const CKPT: OutputOptions = { kind: 'checkpoint', force: true };
const write = (dir: string, name: string, text: string) => writeDirAtomic(dir, (tmp) => writeFile(join(tmp, name), text), CKPT);

/**
 * Makes the n-th rename (1-based) from now on fail, as node:fs/promises' own function, so the code
 * under test (which imported it by name) sees the failure. With `crash`, every rename and rm after
 * it fails too: the state left is that of a process killed at that rename, before any cleanup.
 */
const original = { rename: fsp.rename, rm: fsp.rm };
function failRename(n: number, crash: boolean): void {
  let calls = 0;
  let dead = false;
  const died = () => Object.assign(new Error('process is dead'), { code: 'EIO' });
  fsp.rename = (async (from, to) => {
    if (dead) throw died();
    if (++calls === n) {
      dead = crash;
      throw Object.assign(new Error(`injected failure at rename ${n}`), { code: 'EIO' });
    }
    return original.rename(from, to);
  }) as typeof fsp.rename;
  fsp.rm = (async (path, opts) => {
    if (dead) throw died();
    return original.rm(path, opts);
  }) as typeof fsp.rm;
  syncBuiltinESMExports();
}
afterEach(() => {
  Object.assign(fsp, original);
  syncBuiltinESMExports();
});

describe('atomic writes', () => {
  it('writeFileAtomic replaces a file and leaves no temporary behind', async () => {
    const p = join(root, 'a', 'f.json');
    await writeFileAtomic(p, 'one');
    await writeFileAtomic(p, 'two');
    expect(await readFile(p, 'utf8')).toBe('two');
    expect(await readdir(join(root, 'a'))).toEqual(['f.json']);
  });

  it('writeFilesAtomic writes a pair in full before renaming either: a failed write changes neither', async () => {
    const d = join(root, 'pair');
    await writeFilesAtomic([[join(d, 'r.json'), 'side 1'], [join(d, 'r.wasm'), 'wasm 1']]);
    // The second file cannot be written (a file stands where its folder belongs): the first is not replaced either.
    await expect(writeFilesAtomic([[join(d, 'r.json'), 'side 2'], [join(d, 'r.wasm', 'x.wasm'), 'wasm 2']])).rejects.toThrow();
    expect(await readFile(join(d, 'r.json'), 'utf8')).toBe('side 1');
    await expect(writeFilesAtomic([[join(d, 'r.json'), 'side 4'], [join(d, 'r.wasm'), 'wasm 4']])).resolves.toBeUndefined();
    expect([await readFile(join(d, 'r.json'), 'utf8'), await readFile(join(d, 'r.wasm'), 'utf8')]).toEqual(['side 4', 'wasm 4']);
    expect((await readdir(d)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('writeDirAtomic keeps the old directory when filling the new one fails', async () => {
    const dir = join(root, 'd');
    await write(dir, 'x', 'old');
    await expect(writeDirAtomic(dir, async (tmp) => {
      await writeFile(join(tmp, 'x'), 'half');
      throw new Error('killed half-way');
    }, CKPT)).rejects.toThrow('killed half-way');
    expect(await readFile(join(dir, 'x'), 'utf8')).toBe('old');
    expect((await readdir(root)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await write(dir, 'y', 'new');
    expect((await readdir(dir)).filter((n) => !n.startsWith('.'))).toEqual(['y']);
  });

  // The swap is two renames: dir → .old, then .tmp → dir.
  for (const n of [1, 2]) {
    it(`a failure at rename ${n} of the swap leaves a whole directory and no temporaries`, async () => {
      const dir = join(root, `fail${n}`);
      await write(dir, 'x', 'old');
      failRename(n, false);
      await expect(write(dir, 'x', 'new')).rejects.toThrow(`injected failure at rename ${n}`);
      expect(await readFile(join(dir, 'x'), 'utf8')).toBe('old');
      expect((await readdir(root)).filter((e) => e.startsWith(`.fail${n}.`))).toEqual([]);
    });

    it(`a crash at rename ${n} of the swap: the next reader finds a whole directory, and stale temporaries go`, async () => {
      const dir = join(root, `crash${n}`);
      await write(dir, 'x', 'old');
      failRename(n, true);
      await expect(write(dir, 'x', 'new')).rejects.toThrow();
      Object.assign(fsp, original);
      syncBuiltinESMExports();
      // Crashed before the first rename: the old directory stands. Between the two: it is gone, and
      // the new one (complete, marked) waits in a temporary that recovery moves into place.
      const left = await readdir(root);
      expect(left.filter((e) => e.startsWith(`.crash${n}.`))).toHaveLength(n === 1 ? 1 : 2);
      expect(left.includes(`crash${n}`)).toBe(n === 1);
      await recoverDirAtomic(dir);
      expect(await readFile(join(dir, 'x'), 'utf8')).toBe(n === 1 ? 'old' : 'new');
      expect((await readdir(root)).filter((e) => e.startsWith(`.crash${n}.`))).toEqual([]);
    });
  }

  it('a crash after the swap, before the old copy is removed: the next write removes it', async () => {
    const dir = join(root, 'late');
    await write(dir, 'x', 'old');
    // Killed right after the swap: the last rename "fails" (is done, then the process dies).
    let calls = 0;
    fsp.rename = (async (from, to) => {
      await original.rename(from, to);
      if (++calls === 2) throw new Error('killed after the swap');
    }) as typeof fsp.rename;
    syncBuiltinESMExports();
    await expect(write(dir, 'x', 'new')).rejects.toThrow('killed after the swap');
    Object.assign(fsp, original);
    syncBuiltinESMExports();
    expect((await readdir(root)).filter((e) => e.startsWith('.late.') && e.endsWith('.old'))).toHaveLength(1);
    await write(dir, 'x', 'newer');
    expect(await readFile(join(dir, 'x'), 'utf8')).toBe('newer');
    expect((await readdir(root)).filter((e) => e.startsWith('.late.'))).toEqual([]);
  });

  it('leaves the temporaries of a live writer alone, and half-built ones are never moved into place', async () => {
    const dir = join(root, 'live');
    const parent = join(root, 'liveparent');
    await mkdir(parent);
    const target = join(parent, 'out');
    // A half-built temporary of a dead writer (no marker: incomplete) and one of a live process (pid 1).
    await mkdir(join(parent, '.out.2147483647.0badc0de.tmp'));
    await writeFile(join(parent, '.out.2147483647.0badc0de.tmp', 'x'), 'half');
    await mkdir(join(parent, '.out.1.0badc0de.tmp'));
    await recoverDirAtomic(target);
    expect((await readdir(parent)).sort()).toEqual(['.out.1.0badc0de.tmp']);
    await write(dir, 'x', 'v');
  });
});
