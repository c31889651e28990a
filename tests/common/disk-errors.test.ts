/**
 * A full disk, a quota, a read-only mount or a forbidden folder while writing (issue 26) ends every
 * command that writes in one UserError naming the output and the cause in words, never an internal
 * error, and leaves no temporary behind. The failures are injected (tests/helpers/failing-disk.ts);
 * tests/cli/interrupted-writes.test.ts meets a real forbidden folder and real signals.
 */
import { readdirSync, existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { UserError } from 'cocodiff-runtime/shared/errors';
import * as compileCommand from '../../cli/commands/compile.ts';
import * as evalCommand from '../../cli/commands/eval.ts';
import * as exportCommand from '../../cli/commands/export.ts';
import * as exportOnnxCommand from '../../cli/commands/export-onnx.ts';
import * as forwardCommand from '../../cli/commands/forward.ts';
import * as importCommand from '../../cli/commands/import-ctrgcn.ts';
import * as prepareCommand from '../../cli/commands/prepare.ts';
import * as synthCommand from '../../cli/commands/synth.ts';
import * as textCommand from '../../cli/commands/text.ts';
import * as trainCommand from '../../cli/commands/train.ts';
import { errorMessage } from '../../cli/error-message.ts';
import { writeDirAtomic, writeFileAtomic, writeFilesAtomic } from '../../common/atomic.ts';
import { addTemporary, exitCleanly, uninterrupted } from '../../common/temporaries.ts';
import { runCli } from '../helpers/cli.ts';
import { failDisk, restoreDisk, type DiskFailure } from '../helpers/failing-disk.ts';
import { writeNtuFolder } from '../helpers/ntu-fixtures.ts';
import { tinyDataset, tinyRun, TINY_TRAINING } from '../helpers/tiny-run.ts';
import { GOLDEN_DIR, writeRandomArtifact } from '../compiler/artifacts.ts';

const root = await mkdtemp(join(tmpdir(), 'cocodiff-disk-'));
afterAll(() => rm(root, { recursive: true, force: true }));
afterEach(restoreDisk);

const CAUSE: Record<DiskFailure, string> = {
  ENOSPC: 'no space left on the device (ENOSPC)',
  EDQUOT: 'disk quota exceeded (EDQUOT)',
  EROFS: 'read-only file system (EROFS)',
  EACCES: 'permission denied (EACCES)',
};

/** The message a failed write of `path` ends in. */
const cannotWrite = (path: string, code: DiskFailure, kind = ''): UserError =>
  new UserError(`${path}: cannot write${kind ? ` the ${kind}` : ''}: ${CAUSE[code]}; nothing was written`);

/** Names in `dir` that are temporaries of an atomic write. */
const temporaries = (dir: string): string[] => readdirSync(dir).filter((n) => /\.(tmp|old)$/.test(n));

/** A fresh folder for one test's outputs. */
let n = 0;
const folder = async (): Promise<string> => {
  const d = join(root, `t${n++}`);
  await mkdir(d);
  return d;
};

describe('the atomic writers', () => {
  for (const code of ['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES'] as const) {
    it(`writeFileAtomic: ${code} names the file and the cause, keeps the old content and no temporary`, async () => {
      const d = await folder();
      const p = join(d, 'f.json');
      await writeFileAtomic(p, 'old');
      failDisk(code);
      await expect(writeFileAtomic(p, 'new')).rejects.toThrow(cannotWrite(p, code));
      restoreDisk();
      expect(await readFile(p, 'utf8')).toBe('old');
      expect(temporaries(d)).toEqual([]);
    });
  }

  it('writeFilesAtomic names the file the disk filled up on, and renames neither', async () => {
    const d = await folder();
    failDisk('ENOSPC', 10);
    await expect(writeFilesAtomic([[join(d, 'r.json'), '0123456789'], [join(d, 'r.wasm'), 'more bytes']])).rejects.toThrow(cannotWrite(join(d, 'r.wasm'), 'ENOSPC'));
    expect(readdirSync(d)).toEqual([]);
  });

  it('writeDirAtomic names the directory and its kind, and leaves the earlier one', async () => {
    const d = await folder();
    const out = join(d, 'ckpt');
    const opts = { kind: 'checkpoint', force: true } as const;
    await writeDirAtomic(out, (tmp) => writeFile(join(tmp, 'a'), 'old'), opts);
    failDisk('ENOSPC', 2);
    await expect(writeDirAtomic(out, (tmp) => writeFile(join(tmp, 'a'), 'new bytes'), opts)).rejects.toThrow(cannotWrite(out, 'ENOSPC', 'checkpoint'));
    restoreDisk();
    expect(await readFile(join(out, 'a'), 'utf8')).toBe('old');
    expect(temporaries(d)).toEqual([]);
  });

  it('an output whose path goes through a file is the user\'s to fix, for files and directories alike (sweep probe P84)', async () => {
    const d = await folder();
    await writeFile(join(d, 'afile'), 'mine');
    const cause = 'a part of the path is a file, not a directory (ENOTDIR); nothing was written';
    await expect(writeFileAtomic(join(d, 'afile', 'sub', 'f.json'), 'x')).rejects.toThrow(new UserError(`${join(d, 'afile', 'sub', 'f.json')}: cannot write: ${cause}`));
    await expect(writeDirAtomic(join(d, 'afile', 'out'), async () => {}, { kind: 'dataset cache' })).rejects.toThrow(new UserError(`${join(d, 'afile', 'out')}: cannot write the dataset cache: ${cause}`));
    expect(await readFile(join(d, 'afile'), 'utf8')).toBe('mine');
  });

  it('a bug is not dressed up as the user\'s problem', async () => {
    const d = await folder();
    await expect(writeFileAtomic(join(d, 'f'), 42 as unknown as string)).rejects.toThrow(TypeError);
  });
});

describe('the CLI line for a disk error met elsewhere', () => {
  const program = new Command('cocodiff');
  it('names the path and the cause, not "internal error"', () => {
    const err = Object.assign(new Error("ENOSPC: no space left on device, write '/data/run/x'"), { code: 'ENOSPC', syscall: 'write', path: '/data/run/x' });
    expect(errorMessage(err, program)).toBe('/data/run/x: no space left on the device (ENOSPC)');
    expect(errorMessage(Object.assign(new Error('EROFS'), { code: 'EROFS', syscall: 'write' }), program)).toBe('write: read-only file system (EROFS)');
    expect(errorMessage(Object.assign(new Error('boom'), { code: 'EIO' }), program)).toBe('internal error: boom');
  });
});

describe('a stop signal removes the temporaries, but never in the middle of a swap', () => {
  it('an exit asked for inside uninterrupted() waits for it to end, then removes the temporaries', async () => {
    const d = await folder();
    const tmp = join(d, '.out.1.abcdef01.tmp');
    await mkdir(tmp);
    addTemporary(tmp);
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      await uninterrupted(async () => {
        exitCleanly(0);
        expect(exit).not.toHaveBeenCalled();
        expect(existsSync(tmp)).toBe(true);
      });
      expect(exit).toHaveBeenCalledWith(0);
      expect(existsSync(tmp)).toBe(false);
    } finally {
      exit.mockRestore();
    }
  });
});

describe('every command that writes', () => {
  /** Runs the command with the disk failing, expects `message`, then no temporary beside `out` and no `out`. */
  async function refused(out: string, message: UserError, code: DiskFailure, bytes: number, commands: { register(p: Command): void }[], ...args: string[]): Promise<void> {
    failDisk(code, bytes);
    await expect(runCli(commands, ...args)).rejects.toThrow(message);
    restoreDisk();
    expect(temporaries(dirname(out))).toEqual([]);
    expect(existsSync(out)).toBe(false);
  }

  it('synth: the disk fills up in the middle of the cache', async () => {
    const out = join(await folder(), 'synth');
    await refused(out, cannotWrite(out, 'ENOSPC', 'dataset cache'), 'ENOSPC', 200_000, [synthCommand], 'synth', '--out', out, '--classes', '3', '--per-class', '6');
  });

  it('prepare ntu with worker threads: the disk fills up; the workers stop and nothing is left', async () => {
    const d = await folder();
    await writeNtuFolder(join(d, 'raw'), 12, 5);
    const out = join(d, 'cache');
    await refused(out, cannotWrite(out, 'ENOSPC', 'dataset cache'), 'ENOSPC', 50_000, [prepareCommand], 'prepare', 'ntu', '--raw', join(d, 'raw'), '--benchmark', 'xsub', '--out', out, '--threads', '2');
  });

  it('prepare ntu: a read-only output folder', async () => {
    const d = await folder();
    await writeNtuFolder(join(d, 'raw'), 3, 6);
    const out = join(d, 'cache');
    await refused(out, cannotWrite(out, 'EROFS', 'dataset cache'), 'EROFS', 0, [prepareCommand], 'prepare', 'ntu', '--raw', join(d, 'raw'), '--benchmark', 'xsub', '--out', out, '--threads', '0');
  });

  it('import-ctrgcn: a quota reached while writing the artifact', async () => {
    const d = await folder();
    const golden = JSON.parse(await readFile(join(GOLDEN_DIR, 'golden.json'), 'utf8')) as { weights: { tensors: unknown[] } };
    await writeFile(join(d, 'm.json'), JSON.stringify({ weights: { tensors: golden.weights.tensors } }));
    const out = join(d, 'art');
    await refused(out, cannotWrite(out, 'EDQUOT', 'model artifact'), 'EDQUOT', 1_000_000, [importCommand], 'import-ctrgcn', '--manifest', join(d, 'm.json'), '--weights', join(GOLDEN_DIR, 'weights.bin'), '--out', out);
  });

  describe('with a model', () => {
    let art: string;
    beforeAll(async () => {
      art = join(root, 'random-art');
      await writeRandomArtifact(art, { width: 0.125, blocks: 1, T: 8, M: 1, K: 3, seed: 4 });
    });

    it('forward --out: a full disk', async () => {
      const d = await folder();
      const input = join(d, 'in.bin');
      await writeFile(input, new Uint8Array(new Float32Array(3 * 8 * 25).fill(0.25).buffer));
      const out = join(d, 'logits.bin');
      await refused(out, cannotWrite(out, 'ENOSPC'), 'ENOSPC', 0, [forwardCommand], 'forward', art, '--input', input, '--backend', 'cpu', '--out', out);
    });

    it('compile: a full disk while the .wasm is written after its sidecar; neither is renamed into place', async () => {
      const d = await folder();
      const out = join(d, 'm.wasm');
      await refused(out, cannotWrite(out, 'ENOSPC'), 'ENOSPC', 2000, [compileCommand], 'compile', art, '-o', out);
      expect(readdirSync(d)).toEqual([]);
    }, 60_000);

    it('export-onnx: a read-only folder', async () => {
      const out = join(await folder(), 'm.onnx');
      await refused(out, cannotWrite(out, 'EROFS'), 'EROFS', 0, [exportOnnxCommand], 'export-onnx', art, '-o', out);
    });
  });

  it('text import: a forbidden folder', async () => {
    const d = await folder();
    await writeFile(join(d, 'syn.txt'), 'wave,wave hello\n');
    await writeFile(join(d, 'parts.txt'), 'wave;head still;hand open;arm waves;hips still;legs stand;feet planted\n');
    const out = join(d, 'sub', 'text.json');
    failDisk('EACCES');
    await expect(runCli([textCommand], 'text', 'import', '--synonyms', join(d, 'syn.txt'), '--parts', join(d, 'parts.txt'), '--out', out)).rejects.toThrow(cannotWrite(out, 'EACCES'));
    restoreDisk();
    expect(readdirSync(d).sort()).toEqual(['parts.txt', 'syn.txt']);
  });

  describe('with a trained run', () => {
    it('train: a read-only run folder', async () => {
      const { data } = await tinyDataset();
      const out = join(await folder(), 'run');
      const flags = ['--preset', TINY_TRAINING.preset, '--width', String(TINY_TRAINING.width), '--blocks', '1', '--frames', '8', '--batch', '4', '--epochs', '1', '--backend', 'cpu', '--quiet'];
      // The run directory is made first, for its lock (common/dir-lock.ts).
      await refused(out, new UserError(`${out}: cannot create the directory: ${CAUSE.EROFS}`), 'EROFS', 0, [trainCommand], 'train', '--data', data, '--out', out, ...flags);
    });

    it('train: the disk fills up on the first file of the run', async () => {
      const { data } = await tinyDataset();
      const out = join(await folder(), 'run');
      const flags = ['--preset', TINY_TRAINING.preset, '--width', String(TINY_TRAINING.width), '--blocks', '1', '--frames', '8', '--batch', '4', '--epochs', '1', '--backend', 'cpu', '--quiet'];
      // The lock file (one line of JSON) is written; run.json is not.
      await refused(out, cannotWrite(join(out, 'run.json'), 'ENOSPC'), 'ENOSPC', 200, [trainCommand], 'train', '--data', data, '--out', out, ...flags);
    });

    it('export: a full disk', async () => {
      const { run } = await tinyRun();
      // export locks the run it reads: a copy, so the shared one is never written.
      const copy = join(await folder(), 'run');
      await cp(run, copy, { recursive: true });
      const out = join(dirname(copy), 'art');
      await refused(out, cannotWrite(out, 'ENOSPC', 'model artifact'), 'ENOSPC', 200, [exportCommand], 'export', copy, '--out', out);
    });

    it('eval --out: a forbidden folder', async () => {
      const { run, data } = await tinyRun();
      const copy = join(await folder(), 'run');
      await cp(run, copy, { recursive: true });
      const out = join(dirname(copy), 'eval');
      await refused(out, new UserError(`${out}: cannot create the directory: ${CAUSE.EACCES}`), 'EACCES', 0, [evalCommand], 'eval', copy, '--data', data, '--backend', 'cpu', '--out', out);
    });

    it('eval --out: a full disk', async () => {
      const { run, data } = await tinyRun();
      const copy = join(await folder(), 'run');
      await cp(run, copy, { recursive: true });
      const out = join(dirname(copy), 'eval');
      await refused(out, cannotWrite(join(out, 'confusion.svg'), 'ENOSPC'), 'ENOSPC', 200, [evalCommand], 'eval', copy, '--data', data, '--backend', 'cpu', '--out', out);
    });
  });
});
