/**
 * Class names and other text from files reach the terminal escaped: an ANSI/OSC sequence in a
 * class name is shown, never executed.
 */
import { mkdtempSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as baseline from '../../cli/commands/baseline.ts';
import * as run from '../../cli/commands/run.ts';
import * as synth from '../../cli/commands/synth.ts';
import { runCli } from '../helpers/cli.ts';
import { npyBytes } from '../helpers/npy-zip.ts';
import { buildFixtureWasm } from '../runtime/fixture-wasm.ts';
import { Rng } from '../../common/rng.ts';
import { printable, printableLines } from '../../common/terminal.ts';
import { CacheWriter } from '../../trainer/data/cache.ts';

const root = mkdtempSync(join(tmpdir(), 'cocodiff-term-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('printable', () => {
  it('writes C0, DEL, C1 and bidirectional controls as escapes, and leaves other text alone', () => {
    expect(printable('\u001b]0;pwned\u0007wave\u001b[2J')).toBe('\\x1b]0;pwned\\x07wave\\x1b[2J');
    expect(printable('a\nb\tc\u007f\u009b\u202e')).toBe('a\\x0ab\\x09c\\x7f\\x9b\\u202e');
    expect(printable('kick something — 踢')).toBe('kick something — 踢');
    expect(printableLines('line 1\nline\u001b 2')).toBe('line 1\nline\\x1b 2');
  });
});

describe('class names on the terminal', () => {
  it('baseline --per-class prints escape sequences in class names escaped', async () => {
    const data = join(root, 'cache');
    const classes = ['\u001b]0;owned\u0007wave', 'clap\u001b[2J\u001b[H', 'jump'];
    const w = await CacheWriter.create(data, { layout: 'coco17', persons: 1, joints: 17, coords: 3, classes, benchmark: 'test', source: 'terminal.test' });
    const rng = new Rng(3);
    for (let i = 0; i < 6; i++) {
      const frames = 5;
      await w.add(i < 3 ? 'train' : 'test', { layout: 'coco17', frames, persons: 1, joints: 17, coords: 3, data: Float32Array.from({ length: frames * 51 }, () => rng.normal()), label: i % 3, name: `s${i}` });
    }
    await w.commit();
    const program = new Command('cocodiff').exitOverride();
    baseline.register(program);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['node', 'cocodiff', 'baseline', '--data', data, '--frames', '4', '--per-class']);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    const out = lines.join('\n');
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(out).toContain('\\x1b]0;owned\\x07wave');
    expect(out).toContain('clap\\x1b[2J\\x1b[H');
  });
});

describe('paths on the terminal', () => {
  // A folder name a user typed (synth --out $'d\e]0;x\a') is echoed back: it must be shown, not executed.
  const hostile = '\u001b]0;x\u0007d';
  const quiet = async (args: string[], commands: Parameters<typeof runCli>[0]): Promise<string> => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      return (await runCli(commands, ...args)).join('\n');
    } finally {
      err.mockRestore();
    }
  };

  it('synth --out echoes the folder escaped', async () => {
    const out = await quiet(['synth', '--out', join(root, hostile), '--classes', '2', '--per-class', '3'], [synth]);
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(out).toContain(`${join(root, '\\x1b]0;x\\x07d')}: 2 classes`);
  });

  it('run echoes the recording path escaped', async () => {
    const dir = join(root, 'run');
    await mkdir(dir);
    const { wasmPath } = await buildFixtureWasm(dir, { layout: 'ntu25', classes: 3, T: 16, M: 2, windowFrames: 20, sequenceCapacity: 64, modality: 'joint', centre: false, testCropRatio: 1 });
    const rec = join(dir, `${hostile}.npy`);
    await writeFile(rec, npyBytes('<f4', [12, 2, 25, 3], Array.from({ length: 12 * 150 }, (_, i) => Math.sin(i))));
    const out = await quiet(['run', wasmPath, '--input', rec], [run]);
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(out).toContain(`${join(dir, '\\x1b]0;x\\x07d.npy')}: 12 frames`);
  });
});
