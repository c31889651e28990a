/**
 * `--out` never deletes what cocodiff did not write: every command that writes a whole directory
 * (synth, prepare ntu/npz/kinetics, export, import-ctrgcn) refuses a directory holding the user's
 * files or its own inputs, and replaces its own earlier output only with --force. Driven through
 * the commands as cli/main.ts wires them.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as exportCmd from '../../cli/commands/export.ts';
import * as prepare from '../../cli/commands/prepare.ts';
import * as synth from '../../cli/commands/synth.ts';
import { OUTPUT_MARKER } from '../../common/output-dir.ts';
import { writeCheckpoint } from '../../trainer/train/run-state.ts';
import { npyBytes, zipBytes } from '../helpers/npy-zip.ts';
import { writeNtuFolder } from '../helpers/ntu-fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'cocodiff-out-'));
afterAll(() => rm(root, { recursive: true, force: true }));
const dir = (name: string): string => join(root, name);

async function cli(...args: string[]): Promise<void> {
  const program = new Command('cocodiff').exitOverride();
  for (const c of [synth, prepare, exportCmd]) c.register(program);
  const quiet = [vi.spyOn(console, 'log').mockImplementation(() => {}), vi.spyOn(process.stderr, 'write').mockImplementation(() => true)];
  try {
    await program.parseAsync(['node', 'cocodiff', ...args]);
  } finally {
    for (const q of quiet) q.mockRestore();
  }
}

const synthInto = (out: string, ...more: string[]) => cli('synth', '--out', out, '--classes', '1', '--per-class', '3', ...more);

/** Every file under d, with its bytes, to show nothing was touched. */
function snapshot(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(d, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name)] = readFileSync(join(e.parentPath, e.name), 'latin1');
  }
  return out;
}

describe('--out of synth', () => {
  it('refuses a folder of user files, with or without --force, and deletes nothing', async () => {
    const home = dir('home');
    mkdirSync(join(home, 'photos'), { recursive: true });
    writeFileSync(join(home, 'thesis.tex'), 'years of work');
    writeFileSync(join(home, 'photos', 'cat.jpg'), 'meow');
    const before = snapshot(home);
    for (const force of [[], ['--force']]) {
      await expect(synthInto(home, ...force)).rejects.toThrow(`${home}: holds files cocodiff did not write there (photos, thesis.tex); nothing was replaced`);
      expect(snapshot(home)).toEqual(before);
    }
    expect(readdirSync(root).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('writes into a new or empty directory, replaces its own cache only with --force', async () => {
    const out = dir('cache');
    await synthInto(out);
    expect(JSON.parse(readFileSync(join(out, OUTPUT_MARKER), 'utf8'))).toEqual({ format: 'cocodiff-output', kind: 'dataset cache', files: ['index.json', 'test.bin', 'train.bin'] });
    await expect(synthInto(out)).rejects.toThrow(`${out}: already holds a dataset cache written earlier; replace it with --force`);
    await synthInto(out, '--force');
    // A file the user put into our cache since makes it theirs too: never replaced.
    writeFileSync(join(out, 'notes.md'), 'mine');
    await expect(synthInto(out, '--force')).rejects.toThrow(/holds files cocodiff did not write there \(notes\.md\)/);
    expect(readFileSync(join(out, 'notes.md'), 'utf8')).toBe('mine');
    const empty = dir('empty');
    mkdirSync(empty);
    await synthInto(empty);
    expect(existsSync(join(empty, 'index.json'))).toBe(true);
  });

  it('refuses a file where the directory belongs', async () => {
    const file = dir('a-file');
    writeFileSync(file, 'keep me');
    await expect(synthInto(file, '--force')).rejects.toThrow(`${file}: exists and is not a directory`);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('refuses a symbolic link to a folder of the user\'s, saying it is a link, and leaves both (sweep probe P87)', async () => {
    const target = dir('linked-target');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'mine');
    const link = dir('a-link');
    symlinkSync(target, link);
    await expect(synthInto(link, '--force')).rejects.toThrow(`${link}: is a symbolic link, not a directory; the dataset cache goes in a directory of its own`);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(target)).toEqual(['keep']);
  });
});

describe('--out of prepare', () => {
  it('ntu: never replaces the folder holding the raw files, nor one above it', async () => {
    const raw = dir('ntu');
    await writeNtuFolder(join(raw, 'skeletons'), 3, 1);
    const before = snapshot(raw);
    for (const out of [raw, root]) {
      await expect(cli('prepare', 'ntu', '--raw', join(raw, 'skeletons'), '--benchmark', 'xsub', '--out', out, '--threads', '0', '--force'))
        .rejects.toThrow(`${out}: the output directory holds the input ${join(raw, 'skeletons')}; it would be deleted`);
    }
    await expect(cli('prepare', 'ntu', '--raw', raw, '--benchmark', 'xsub', '--out', raw, '--threads', '0', '--force')).rejects.toThrow(/holds the input/);
    expect(snapshot(raw)).toEqual(before);
  });

  it('npz: never replaces the folder holding the .npz', async () => {
    const d = dir('npz');
    mkdirSync(d);
    const x = npyBytes('<f4', [1, 2, 150], Array.from({ length: 300 }, (_, i) => i + 1));
    const y = npyBytes('<f4', [1, 60], Array.from({ length: 60 }, (_, i) => (i === 3 ? 1 : 0)));
    writeFileSync(join(d, 'NTU60_CS.npz'), zipBytes([{ name: 'x_train.npy', data: x }, { name: 'y_train.npy', data: y }, { name: 'x_test.npy', data: x }, { name: 'y_test.npy', data: y }]));
    const before = snapshot(d);
    await expect(cli('prepare', 'npz', '--file', join(d, 'NTU60_CS.npz'), '--out', d, '--force')).rejects.toThrow(`${d}: the output directory holds the input`);
    expect(snapshot(d)).toEqual(before);
    await cli('prepare', 'npz', '--file', join(d, 'NTU60_CS.npz'), '--out', join(d, 'cache'));
    expect(existsSync(join(d, 'cache', 'index.json'))).toBe(true);
  });

  it('kinetics: never replaces the dataset root', async () => {
    const d = dir('kinetics');
    mkdirSync(join(d, 'kinetics_train'), { recursive: true });
    writeFileSync(join(d, 'kinetics_train_label.json'), '{}');
    const before = snapshot(d);
    await expect(cli('prepare', 'kinetics', '--root', d, '--out', d, '--threads', '0', '--force')).rejects.toThrow(`${d}: the output directory holds the input ${d}`);
    expect(snapshot(d)).toEqual(before);
  });
});

describe('--out of export', () => {
  /** A run directory as `train` leaves it (run.json + a best checkpoint), without training. */
  async function fakeRun(runDir: string): Promise<void> {
    mkdirSync(runDir, { recursive: true });
    const input = { C: 3, T: 8, V: 25, M: 1 };
    writeFileSync(join(runDir, 'run.json'), JSON.stringify({
      config: { modality: 'joint', epochs: 1, seed: 1, preset: null, width: 1, blocks: 1, batch: 1, schedule: {}, sgd: {}, cocodiff: null },
      model: { backbone: { type: 'ctrgcn', inChannels: 3, channels: [4], strides: [1], reduction: 8, temporalKernel: 5, dilations: [1, 2] }, input, layout: 'ntu25', numClasses: 2 },
      classes: ['a', 'b'], dataset: { dir: 'x', source: 'x', benchmark: null }, backend: 'cpu', started: 'now',
    }));
    await writeCheckpoint(join(runDir, 'checkpoints', 'best'), { epoch: 1 }, { model: new Map([['fc.weight', { shape: [2, 4], data: new Float32Array(8).fill(0.5) }]]) });
  }

  it('refuses the run directory itself, a folder of user files and a cache; replaces its own artifact with --force', async () => {
    const run = dir('run');
    await fakeRun(run);
    const before = snapshot(run);
    await expect(cli('export', run, '--out', run, '--force')).rejects.toThrow(`${run}: the output directory holds the input ${run}`);
    expect(snapshot(run)).toEqual(before);
    await expect(cli('export', run, '--out', dir('home'), '--force')).rejects.toThrow(/holds files cocodiff did not write there/);
    await expect(cli('export', run, '--out', dir('cache'), '--force')).rejects.toThrow(`${dir('cache')}: holds a dataset cache, not a model artifact`);
    const out = dir('artifact');
    await cli('export', run, '--out', out);
    await expect(cli('export', run, '--out', out)).rejects.toThrow(/already holds a model artifact written earlier; replace it with --force/);
    await cli('export', run, '--out', out, '--force');
    expect(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).classes).toEqual(['a', 'b']);
  });
});
