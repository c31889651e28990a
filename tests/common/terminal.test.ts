/**
 * Class names and other text from files reach the terminal escaped: an ANSI/OSC sequence in a
 * class name is shown, never executed.
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as baseline from '../../cli/commands/baseline.ts';
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
