/** One writer per directory (issue 26): the lock file, its refusals, stale locks and release. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDir, processStartMark, withDirLock } from '../../common/dir-lock.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';

let root: string;
let n = 0;
const fresh = (): string => join(root, `d${n++}`);

/** A PID that ran on this host and has ended. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  return Number(pid);
}

const lockText = (pid: number, host = hostname(), since = '2026-01-02T03:04:05.000Z', started?: string): string => JSON.stringify({ format: 'cocodiff-lock', pid, host, since, started }) + '\n';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cocodiff-dir-lock-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('lockDir', () => {
  it('writes the PID, host and start time; a second writer is refused naming them; release removes the lock', async () => {
    const dir = fresh();
    const lock = await lockDir(dir);
    const held = JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'));
    expect(held).toMatchObject({ format: 'cocodiff-lock', pid: process.pid, host: hostname() });
    expect(Math.abs(Date.parse(held.since) - Date.now())).toBeLessThan(60_000);
    await expect(lockDir(dir)).rejects.toThrow(new UserError(
      `${dir}: another cocodiff (pid ${process.pid} on ${hostname()}, since ${held.since}) is writing here; wait for it, or remove ${join(dir, LOCK_FILE)} if that process is gone`,
    ));
    await lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('knows its own lock under another name of the directory', async () => {
    const dir = fresh();
    const lock = await lockDir(dir);
    await expect(lockDir(relative(process.cwd(), dir))).rejects.toThrow(/is writing here/);
    await lock.release();
  });

  it('of writers starting together, exactly one gets the lock', async () => {
    const dir = fresh();
    const all = await Promise.allSettled(Array.from({ length: 8 }, () => lockDir(dir)));
    const won = all.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of all) if (r.status === 'rejected') expect(r.reason.message).toMatch(/another cocodiff \(pid \d+ on .+, since .+\) is writing here/);
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof lockDir>>>).value.release();
  });

  it('removes the directory it created when the work left it empty, and keeps one that was there', async () => {
    const made = join(fresh(), 'a', 'b');
    await (await lockDir(made)).release();
    expect(existsSync(join(made, '..', '..'))).toBe(false);
    const kept = fresh();
    await mkdir(kept);
    await (await lockDir(kept)).release();
    expect(existsSync(kept)).toBe(true);
    const written = fresh();
    await withDirLock(written, () => writeFile(join(written, 'result.json'), '{}'));
    expect(existsSync(join(written, 'result.json'))).toBe(true);
    expect(existsSync(join(written, LOCK_FILE))).toBe(false);
  });

  it('is released when the work fails', async () => {
    const dir = fresh();
    await mkdir(dir);
    await expect(withDirLock(dir, async () => { throw new UserError('bad data'); })).rejects.toThrow('bad data');
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('takes over a stale lock (its PID is not running on this host) with a note', async () => {
    const dir = fresh();
    await mkdir(dir);
    const pid = deadPid();
    await writeFile(join(dir, LOCK_FILE), lockText(pid));
    const notes: string[] = [];
    const lock = await lockDir(dir, { note: (l) => notes.push(l) });
    expect(notes).toEqual([`note: ${dir}: took over the lock of pid ${pid} on ${hostname()} (since 2026-01-02T03:04:05.000Z), which is no longer running`]);
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a lock left with this PID by an earlier process (PIDs are reused), not one this process holds', async () => {
    const dir = fresh();
    await mkdir(dir);
    await writeFile(join(dir, LOCK_FILE), lockText(process.pid));
    const notes: string[] = [];
    const lock = await lockDir(dir, { note: (l) => notes.push(l) });
    expect(notes).toHaveLength(1);
    await lock.release();
  });

  it.skipIf(processStartMark(process.pid) === undefined)('records which process holds it; a lock whose live PID now names another process (reused) is taken over, the writer\'s own is refused', async () => {
    const dir = fresh();
    await mkdir(dir);
    const lock = await lockDir(dir);
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).started).toBe(processStartMark(process.pid));
    await lock.release();
    // process.ppid is alive: as the writer itself (its own start mark) it holds the lock; as a PID the
    // system handed out again after the writer (another start mark) it does not.
    await writeFile(join(dir, LOCK_FILE), lockText(process.ppid, hostname(), '2026-01-02T03:04:05.000Z', processStartMark(process.ppid)));
    await expect(lockDir(dir)).rejects.toThrow(`another cocodiff (pid ${process.ppid} on ${hostname()}`);
    await writeFile(join(dir, LOCK_FILE), lockText(process.ppid, hostname(), '2026-01-02T03:04:05.000Z', 'an-earlier-boot/12345'));
    const notes: string[] = [];
    const taken = await lockDir(dir, { note: (l) => notes.push(l) });
    expect(notes).toEqual([`note: ${dir}: took over the lock of pid ${process.ppid} on ${hostname()} (since 2026-01-02T03:04:05.000Z), which is no longer running`]);
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await taken.release();
  });

  it('refuses a lock of a live process, and one from another host even when its PID is not running here', async () => {
    const live = fresh();
    await mkdir(live);
    await writeFile(join(live, LOCK_FILE), lockText(process.ppid));
    await expect(lockDir(live)).rejects.toThrow(`another cocodiff (pid ${process.ppid} on ${hostname()}, since 2026-01-02T03:04:05.000Z) is writing here`);
    const foreign = fresh();
    await mkdir(foreign);
    const pid = deadPid();
    await writeFile(join(foreign, LOCK_FILE), lockText(pid, 'other-host.example'));
    await expect(lockDir(foreign)).rejects.toThrow(`${foreign}: another cocodiff (pid ${pid} on other-host.example, since 2026-01-02T03:04:05.000Z) is writing here; wait for it, or remove ${join(foreign, LOCK_FILE)} if that process is gone`);
    expect(await readFile(join(foreign, LOCK_FILE), 'utf8')).toBe(lockText(pid, 'other-host.example'));
  });

  it('refuses a lock file it cannot read as one, without reading it whole, and leaves it', async () => {
    for (const [what, make] of [
      ['garbage', (p: string) => writeFile(p, 'not json')],
      ['a pid that is no number', (p: string) => writeFile(p, JSON.stringify({ format: 'cocodiff-lock', pid: '1', host: hostname(), since: 'x' }))],
      ['a link to /dev/zero', (p: string) => symlink('/dev/zero', p)],
    ] as const) {
      const dir = fresh();
      await mkdir(dir);
      await make(join(dir, LOCK_FILE));
      await expect(lockDir(dir), what).rejects.toThrow(`${join(dir, LOCK_FILE)}: not a lock file cocodiff wrote`);
      expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    }
  });

  it('release leaves a lock that is no longer its own', async () => {
    const dir = fresh();
    const lock = await lockDir(dir);
    // The user removed it, and another writer (here: a live PID) took the directory.
    await writeFile(join(dir, LOCK_FILE), lockText(process.ppid));
    await lock.release();
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(lockText(process.ppid));
  });

  it('refuses a file where the directory belongs', async () => {
    const file = fresh();
    await writeFile(file, 'mine');
    await expect(lockDir(file)).rejects.toThrow(new UserError(`${file}: exists and is not a directory`));
  });
});
