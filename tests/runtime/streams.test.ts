/**
 * Streams from elsewhere are bounded (issue 26): stdin lines are never held whole past their
 * limit, JSON nesting is measured before V8's recursive parser sees it, and a reader that closes
 * the pipe early (`stream … | head -1`) ends the command quietly.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedLines } from '../../cli/bounded-lines.ts';
import { parseJson } from 'cocodiff-runtime/shared/json-fields';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { parseFrameLine } from 'cocodiff-runtime';
import { npyBytes } from '../helpers/npy-zip.ts';
import { buildFixtureWasm } from './fixture-wasm.ts';

async function collect(chunks: (string | Uint8Array)[], max: number): Promise<string[]> {
  async function* source() {
    for (const c of chunks) yield c;
  }
  const out: string[] = [];
  for await (const line of boundedLines(source(), max)) out.push(line);
  return out;
}

describe('boundedLines', () => {
  it('splits LF and CRLF lines across chunks, with UTF-8 split between chunks', async () => {
    const snow = Buffer.from('é', 'utf8');
    expect(await collect(['a\r\nb', 'c\n', snow.subarray(0, 1), snow.subarray(1), '\nlast'], 10)).toEqual(['a', 'bc', 'é', 'last']);
  });

  it('cuts an over-long line to max + 1 characters, drops its rest, and goes on with the next', async () => {
    const lines = await collect(['x'.repeat(7), 'y'.repeat(100000), '\nok\n'], 10);
    expect(lines).toEqual(['x'.repeat(7) + 'yyyy', 'ok']);
  });
});

describe('JSON from elsewhere', () => {
  it('refuses deep nesting before parsing, counting brackets inside strings as text', () => {
    expect(() => parseJson('['.repeat(200_000), 'deep.json')).toThrow(new UserError('deep.json: JSON nested more than 64 levels deep (LIMITS.jsonDepth); not a file of this kind'));
    expect(parseJson(`{"a": "${'['.repeat(1000)}\\"["}`, 'ok.json')).toEqual({ a: `${'['.repeat(1000)}"[` });
    expect(() => parseJson('{"a": ', 'cut.json')).toThrow(/^cut\.json: not valid JSON/);
  });

  it('an NDJSON frame line: nesting and length are refused naming the line', () => {
    expect(() => parseFrameLine(`{"bodies": ${'['.repeat(100_000)}`, 'stdin:3')).toThrow(/^stdin:3: JSON nested more than 64 levels/);
    expect(() => parseFrameLine(' '.repeat(LIMITS.ndjsonLineChars + 1), 'stdin:4')).toThrow(/^stdin:4: a line of more than \d+ characters/);
  });
});

describe('cocodiff stream, as a process', () => {
  let dir: string;
  let wasmPath: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cocodiff-streams-'));
    ({ wasmPath } = await buildFixtureWasm(dir, { layout: 'ntu25', classes: 4, T: 16, M: 2, windowFrames: 20, sequenceCapacity: 64, modality: 'joint', centre: false, testCropRatio: 1 }));
    await writeFile(join(dir, 'rec.npy'), npyBytes('<f4', [200, 2, 25, 3], Array.from({ length: 200 * 150 }, (_, i) => Math.sin(i) * 0.5)));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Runs the CLI from source; `stdin` is written, and stdout is read `keep` lines, then closed. */
  function cocodiff(args: string[], opts: { stdin?: string; keep?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/cocodiff.js'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (opts.keep !== undefined && stdout.split('\n').length > opts.keep) child.stdout.destroy();
    });
    child.stderr.on('data', (d) => void (stderr += d));
    child.stdin.end(opts.stdin ?? '');
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }

  it('ends quietly when the reader closes the pipe (stream … | head -1)', async () => {
    const r = await cocodiff(['stream', wasmPath, '--input', join(dir, 'rec.npy'), '--no-realtime', '--stride', '1'], { keep: 1 });
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.js|Error/);
    expect(r.code).toBe(0);
  });

  it('skips an endless NDJSON line by its number and goes on', async () => {
    const frame = JSON.stringify({ bodies: [Array.from({ length: 25 }, (_, v) => [0.1 * v, 0.2, 3])] });
    const input = [frame, `{"bodies": [${'0,'.repeat(3_000_000)}0]}`, frame, frame].join('\n') + '\n';
    const r = await cocodiff(['stream', wasmPath, '--input', '-', '--stride', '1'], { stdin: input });
    expect(r.stderr).toMatch(/stdin:2: a line of more than \d+ characters .*\(line skipped\)/);
    expect(r.stdout).toMatch(/3 frames pushed, 0 rejected .*, 1 malformed line\(s\) skipped/);
    expect(r.code).toBe(0);
  });
});
