/**
 * Only regular files are read, and only up to a LIMITS size checked before reading: a recording that
 * is a link to /dev/zero was read forever, a FIFO blocked the open, and a huge file was read whole.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { readInputBytes, readInputText, readOptionalInputText } from 'cocodiff-runtime/shared/formats/read-input';
import { parseTask } from '../../trainer/data/parse-task.ts';
import { readCache } from '../../trainer/data/cache.ts';
import { OUTPUT_MARKER, readOutputMarker } from '../../common/output-dir.ts';
import { npyBytes } from '../helpers/npy-zip.ts';
import { buildFixtureWasm } from './fixture-wasm.ts';

const posix = process.platform !== 'win32';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-regular-'));
  if (posix) {
    await symlink('/dev/zero', join(dir, 'zero.npy'));
    await symlink('/dev/zero', join(dir, 'zero.skeleton'));
    await symlink('/dev/zero', join(dir, 'zero.json'));
    execFileSync('mkfifo', [join(dir, 'fifo.npy')]);
  }
  await mkdir(join(dir, 'folder.json'));
  // Sparse: one byte over each limit costs no disk and must be refused before a byte is read.
  await writeFile(join(dir, 'huge.bin'), '');
  await truncate(join(dir, 'huge.bin'), LIMITS.inputFileBytes + 1);
  await writeFile(join(dir, 'huge.txt'), '');
  await truncate(join(dir, 'huge.txt'), LIMITS.inputTextBytes + 1);
  await writeFile(join(dir, 'small.txt'), 'walk\nrun\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.runIf(posix)('devices and FIFOs', () => {
  it('a link to /dev/zero is refused as a character device, for bytes and text', async () => {
    await expect(readInputBytes(join(dir, 'zero.npy'), 'the .npy array')).rejects.toThrow(`${join(dir, 'zero.npy')}: cannot read the .npy array (a character device, not a regular file)`);
    await expect(readInputText(join(dir, 'zero.json'), 'the clip')).rejects.toThrow('(a character device, not a regular file)');
  });

  it('a FIFO is refused without waiting for a writer', async () => {
    await expect(readInputBytes(join(dir, 'fifo.npy'), 'the .npy array')).rejects.toThrow('(a FIFO (named pipe), not a regular file)');
  });

  it('prepare\'s parser refuses a .skeleton and a Kinetics clip that are devices', async () => {
    await expect(parseTask({ kind: 'ntu-skeleton', path: join(dir, 'zero.skeleton') })).rejects.toThrow('cannot read the NTU .skeleton file (a character device, not a regular file)');
    await expect(parseTask({ kind: 'kinetics-json', path: join(dir, 'zero.json'), classes: 400 })).rejects.toThrow('cannot read the Kinetics-Skeleton clip (a character device, not a regular file)');
  });

  it('an output folder whose marker is a link to /dev/zero counts as unmarked, without reading it', async () => {
    const out = join(dir, 'out');
    await mkdir(out);
    await symlink('/dev/zero', join(out, OUTPUT_MARKER));
    expect(await readOutputMarker(out)).toBeNull();
  });

  it('a cache whose index.json is a device is refused', async () => {
    const cache = join(dir, 'cache');
    await mkdir(cache);
    await symlink('/dev/zero', join(cache, 'index.json'));
    await expect(readCache(cache)).rejects.toThrow(`${join(cache, 'index.json')}: cannot read the cache index (a character device, not a regular file)`);
  });
});

it('a file over the limit is refused by its size, naming the limit', async () => {
  await expect(readInputBytes(join(dir, 'huge.bin'), 'the input')).rejects.toThrow(`(${LIMITS.inputFileBytes + 1} bytes, more than the ${LIMITS.inputFileBytes} allowed: LIMITS.inputFileBytes)`);
  await expect(readInputText(join(dir, 'huge.txt'), 'the class list')).rejects.toThrow('LIMITS.inputTextBytes');
});

it('a directory is named as such; a missing optional file is undefined, a present one read', async () => {
  await expect(readInputText(join(dir, 'folder.json'), 'the clip')).rejects.toThrow('(a directory, not a file)');
  expect(await readOptionalInputText(join(dir, 'absent.json'), 'the sidecar')).toBeUndefined();
  expect(await readOptionalInputText(join(dir, 'small.txt', 'below'), 'the sidecar')).toBeUndefined();
  expect(await readOptionalInputText(join(dir, 'small.txt'), 'the sidecar')).toBe('walk\nrun\n');
  expect([...(await readInputBytes(join(dir, 'small.txt'), 'the input'))]).toEqual([...Buffer.from('walk\nrun\n')]);
});

describe.runIf(posix)('through the CLI', () => {
  let wasmPath: string;
  beforeAll(async () => {
    ({ wasmPath } = await buildFixtureWasm(dir, { layout: 'ntu25', classes: 4, T: 16, M: 2, windowFrames: 20, sequenceCapacity: 64, modality: 'joint', centre: false, testCropRatio: 1 }));
    await writeFile(join(dir, 'rec.npy'), npyBytes('<f4', [20, 2, 25, 3], Array.from({ length: 20 * 150 }, (_, i) => Math.sin(i) * 0.5)));
  });

  function cocodiff(args: string[]): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/cocodiff.js'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => void (stderr += d));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  }

  it.each([['run'], ['stream', '--no-realtime']])('%s on a recording linked to /dev/zero exits at once with one line', async (...cmd) => {
    const r = await cocodiff([...cmd, wasmPath, '--input', join(dir, 'zero.npy')]);
    expect(r.stderr.trim()).toBe(`cocodiff: ${join(dir, 'zero.npy')}: cannot read the .npy array (a character device, not a regular file)`);
    expect(r.code).not.toBe(0);
  }, 30_000);

  it('run on a recognizer that is a FIFO exits at once', async () => {
    const r = await cocodiff(['run', join(dir, 'fifo.npy'), '--input', join(dir, 'rec.npy')]);
    expect(r.stderr).toContain('(a FIFO (named pipe), not a regular file)');
    expect(r.code).not.toBe(0);
  }, 30_000);
});
