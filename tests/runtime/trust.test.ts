/**
 * A recognizer checks itself and a stream outlives bad input:
 *   - a sidecar whose wasmSha256 is not the .wasm's (another build's labels, a damaged module) is
 *     refused by Recognizer.load, `run` and `stream`, unless explicitly trusted;
 *   - values that are not numbers and joints of the wrong arity are refused and counted, not coerced;
 *   - non-finite scores never enter the smoothing state;
 *   - `run` and `stream` report the frames they rejected, and `stream` skips malformed NDJSON lines
 *     (reported on stderr with their line numbers) unless --strict.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as run from '../../cli/commands/run.ts';
import * as stream from '../../cli/commands/stream.ts';
import { Recognizer } from '../../runtime-as/host/node.ts';
import { smoothInto } from '../../runtime-as/host/recognizer.ts';
import { npyBytes } from '../helpers/npy-zip.ts';
import { buildFixtureWasm } from './fixture-wasm.ts';

let dir: string;
let wasmPath: string;
let sidecarPath: string;
const V = 25, C = 3;
const joint = (v: number, t = 0): number[] => [0.1 * v + 0.01 * t, 1 + 0.02 * v, 3 - 0.01 * v];
const body = (t = 0): number[][] => Array.from({ length: V }, (_, v) => joint(v, t));

/** The fixture's bytes with a custom section appended: another build of the same module. */
function anotherBuild(bytes: Uint8Array, payload: string): Uint8Array {
  const name = new TextEncoder().encode('note');
  const data = new TextEncoder().encode(payload);
  const content = [name.length, ...name, ...data];
  return new Uint8Array([...bytes, 0, content.length, ...content]);
}

async function cli(args: string[], stdin?: string): Promise<{ out: string[]; err: string[] }> {
  const program = new Command('cocodiff').exitOverride();
  run.register(program);
  stream.register(program);
  const out: string[] = [];
  const err: string[] = [];
  const spies = [
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' '))),
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' '))),
  ];
  const stdinDescriptor = Object.getOwnPropertyDescriptor(process, 'stdin')!;
  if (stdin !== undefined) Object.defineProperty(process, 'stdin', { value: Readable.from([stdin]), configurable: true });
  try {
    await program.parseAsync(['node', 'cocodiff', ...args]);
  } finally {
    for (const s of spies) s.mockRestore();
    Object.defineProperty(process, 'stdin', stdinDescriptor);
  }
  return { out, err };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-trust-'));
  ({ wasmPath, sidecarPath } = await buildFixtureWasm(dir, { layout: 'ntu25', classes: 4, T: 16, M: 2, windowFrames: 20, sequenceCapacity: 64, modality: 'joint', centre: false, testCropRatio: 0.95 }));
  const bytes = await readFile(wasmPath);
  await writeFile(join(dir, 'other.wasm'), anotherBuild(bytes, 'built elsewhere'));
  await writeFile(join(dir, 'other.json'), await readFile(sidecarPath));
  const flipped = anotherBuild(bytes, 'x');
  await writeFile(join(dir, 'flipped.wasm'), flipped.map((b, i) => (i === flipped.length - 1 ? b ^ 1 : b)));
  await writeFile(join(dir, 'flipped.json'), await readFile(sidecarPath));
  await writeFile(join(dir, 'rec.npy'), npyBytes('<f4', [30, 2, V, C], Array.from({ length: 30 * 150 }, (_, i) => Math.sin(i) * 0.5)));
  const spiked = Array.from({ length: 30 * 150 }, (_, i) => (Math.floor(i / 150) === 12 ? 3e38 : Math.sin(i) * 0.5));
  await writeFile(join(dir, 'spiked.npy'), npyBytes('<f4', [30, 2, V, C], spiked));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the sidecar must belong to the .wasm', () => {
  it('Recognizer.load refuses another build\'s sidecar and a damaged module, naming both files', async () => {
    for (const name of ['other', 'flipped']) {
      const wasm = join(dir, `${name}.wasm`);
      await expect(Recognizer.load(wasm)).rejects.toThrow(new RegExp(`^${join(dir, `${name}.json`)}: field "wasmSha256" does not match ${wasm} \\(sha256 [0-9a-f]{12}…, the sidecar says [0-9a-f]{12}…\\): the sidecar describes another build, or the \\.wasm is damaged`));
    }
    await expect(Recognizer.load(join(dir, 'other.wasm'), { trustSidecar: true })).resolves.toBeInstanceOf(Recognizer);
    // The right pair loads; a sidecar given by path is checked the same way.
    await expect(Recognizer.load(wasmPath)).resolves.toBeInstanceOf(Recognizer);
    await expect(Recognizer.load(join(dir, 'other.wasm'), { sidecar: sidecarPath })).rejects.toThrow(`${sidecarPath}: field "wasmSha256" does not match`);
  });

  it('without Web Crypto the check cannot be made, and the load is refused unless trusted', async () => {
    vi.stubGlobal('crypto', undefined);
    try {
      await expect(Recognizer.load(wasmPath)).rejects.toThrow(/cannot check that it belongs to .* \(no Web Crypto here/);
      await expect(Recognizer.load(wasmPath, { trustSidecar: true })).resolves.toBeInstanceOf(Recognizer);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('run and stream refuse the mismatched pair; --trust-sidecar overrides', async () => {
    const other = join(dir, 'other.wasm');
    await expect(cli(['run', other, '--input', join(dir, 'rec.npy')])).rejects.toThrow(/field "wasmSha256" does not match/);
    await expect(cli(['stream', other, '--input', join(dir, 'rec.npy'), '--no-realtime'])).rejects.toThrow(/field "wasmSha256" does not match/);
    const { out } = await cli(['run', other, '--input', join(dir, 'rec.npy'), '--trust-sidecar']);
    expect(out[1]).toMatch(/^ {2}1\. action \d/);
  });

  it('refuses a non-wasm, empty or truncated .wasm with a message, not a raw WebAssembly error', async () => {
    const bytes = await readFile(wasmPath);
    for (const [name, data, why] of [['text.wasm', Buffer.from('hello'), /not a valid WebAssembly module/], ['empty.wasm', Buffer.alloc(0), /empty file, not a WebAssembly module/], ['cut.wasm', bytes.subarray(0, 300), /not a valid WebAssembly module .*truncated or not a recognizer/]] as const) {
      await writeFile(join(dir, name), data);
      await expect(Recognizer.load(join(dir, name))).rejects.toThrow(why);
    }
  });
});

describe('frames are not coerced', () => {
  it.each([
    ['a string coordinate', () => [body().map((j, v) => (v === 4 ? ['0.5', j[1], j[2]] : j))], /joint 4 coordinate 0: expected a number, found "0\.5"/],
    ['true as a coordinate', () => [body().map((j, v) => (v === 2 ? [j[0], true, j[2]] : j))], /joint 2 coordinate 1: expected a number, found true/],
    ['[x, y] joints on an x y z model', () => [body().map(([x, y]) => [x, y])], /joint 0 has 2 values, expected 3/],
    ['{x, y} joints on an x y z model', () => [body().map(([x, y]) => ({ x, y }))], /joint 0 z \(or score\): expected a number, found undefined/],
    ['a string in a flat body', () => [body().flat().map((x, i) => (i === 9 ? String(x) : x))], /joint 3 coordinate 0: expected a number/],
    ['null as a body', () => [null], /body 0 .*expected a list of joints or of numbers, found null/],
  ])('%s is refused with a message and counted as rejected', async (_, frame, message) => {
    const r = await Recognizer.load(wasmPath, { stride: 2 });
    r.push([body(0)]);
    expect(() => r.push(frame() as never)).toThrow(message);
    r.push([body(1)]);
    expect(r.stats()).toMatchObject({ pushed: 3, rejected: 1, validFrames: 2 });
  });
});

describe('smoothing', () => {
  it('a non-finite score never enters the smoothing state', () => {
    const s = Float32Array.from([0.5, 0.5]);
    expect(smoothInto(s, [NaN, 1], 0.6)).toBe(false);
    expect(smoothInto(s, [Infinity, 0], 0.6)).toBe(false);
    expect(Array.from(s)).toEqual([0.5, 0.5]);
    expect(smoothInto(s, [1, 0], 0.5)).toBe(true);
    expect(Array.from(s)).toEqual([0.75, 0.25]);
  });
});

describe('run and stream report what they rejected', () => {
  it('run: a 3e38 frame is left out and counted; the scores stay finite', async () => {
    const { out } = await cli(['run', wasmPath, '--input', join(dir, 'spiked.npy')]);
    expect(out[0]).toMatch(/spiked\.npy: 30 frames \(1 rejected: NaN, infinite or beyond ±1000000\), ntu25/);
    const clean = await Recognizer.load(wasmPath);
    expect(out.slice(1).every((l) => /\d+\.\d\d %$/.test(l))).toBe(true);
    const { out: json } = await cli(['run', wasmPath, '--input', join(dir, 'spiked.npy'), '--json']);
    const r = JSON.parse(json[0]);
    expect(r.rejectedFrames).toBe(1);
    expect(r.top.every((c: { score: number }) => Number.isFinite(c.score))).toBe(true);
    expect(clean.labels).toHaveLength(4);
  });

  it('stream: malformed lines are skipped and reported with their line numbers, bad frames counted, predictions go on', async () => {
    const good = (t: number) => JSON.stringify({ t: 33 * t, bodies: [body(t)] });
    const lines = [
      ...Array.from({ length: 4 }, (_, t) => good(t)),
      '{"bodies": [[[0.1,', // 5: cut off
      JSON.stringify({ bodies: [body(5).map(([x, y]) => [x, y])] }), // 6: [x, y] joints
      JSON.stringify({ bodies: [body(6).map(() => [3e38, 3e38, 3e38])] }), // 7: finite but absurd
      'not json', // 8
      ...Array.from({ length: 8 }, (_, t) => good(t + 9)),
    ];
    const { out, err } = await cli(['stream', wasmPath, '--input', '-', '--stride', '4'], lines.join('\n') + '\n');
    expect(err).toEqual([
      expect.stringMatching(/^cocodiff: stdin:5: not valid JSON .* \(line skipped\)$/),
      expect.stringMatching(/^cocodiff: stdin:6: body 0 \(ntu25, 25 joints\): joint 0 has 2 values, expected 3 .* \(frame rejected\)$/),
      expect.stringMatching(/^cocodiff: stdin:8: not valid JSON .* \(line skipped\)$/),
    ]);
    expect(out.at(-1)).toMatch(/^14 frames pushed, 2 rejected \(NaN, infinite, beyond ±1000000 or malformed\), 2 malformed line\(s\) skipped, memory \d+ KiB$/);
    const predictions = out.filter((l) => /frame\s+\d+/.test(l));
    expect(predictions).toHaveLength(3); // 12 accepted frames, stride 4
    expect(predictions.every((l) => !/NaN|null/.test(l))).toBe(true);
    await expect(cli(['stream', wasmPath, '--input', '-', '--strict'], [good(0), 'not json'].join('\n'))).rejects.toThrow(/^stdin:2: not valid JSON/);
  });
});
