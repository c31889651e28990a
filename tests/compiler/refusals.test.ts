import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArtifact, writeArtifact } from '../../common/artifact.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { Command } from 'commander';
import * as compileCommand from '../../cli/commands/compile.ts';
import { errorMessage } from '../../cli/error-message.ts';
import { compileArtifact, type CompileOptions } from '../../compiler/index.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { writeRandomArtifact } from './artifacts.ts';

describe('compiler refusals', () => {
  let dir: string;
  const good = (): string => join(dir, 'good');
  /** A copy of the good artifact with its weights or metadata changed. */
  const variant = async (name: string, edit: (a: Awaited<ReturnType<typeof readArtifact>>) => void): Promise<string> => {
    const a = await readArtifact(good());
    edit(a);
    const { format: _f, version: _v, weightsFile: _w, weightsSha256: _s, weights: _m, ...meta } = a.model;
    await writeArtifact(join(dir, name), meta, a.weights);
    return join(dir, name);
  };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocodiff-refuse-'));
    await writeRandomArtifact(good(), { width: 0.25, blocks: 5, T: 16, seed: 2 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the unmodified artifact', async () => {
    const { graph } = await loadArtifact(good());
    expect(graph.ops.length).toBeGreaterThan(10);
  });

  it('refuses a weight that belongs to no known op, naming it', async () => {
    const d = await variant('extra', (a) => a.weights.set('l3.gcn1.attention.weight', { shape: [4], data: new Float32Array(4) }));
    await expect(loadArtifact(d)).rejects.toThrow(UserError);
    await expect(loadArtifact(d)).rejects.toThrow(/extra[/\\]model\.json: weight "l3\.gcn1\.attention\.weight" belongs to no op this compiler knows for backbone "ctrgcn"/);
  });

  it('refuses a backbone type it has no ops for', async () => {
    const d = await variant('backbone', (a) => {
      (a.model.backbone as { type: string }).type = 'stgcn';
    });
    await expect(loadArtifact(d)).rejects.toThrow(UserError);
    await expect(loadArtifact(d)).rejects.toThrow(/backbone[/\\]model\.json: field "backbone\.type": expected "ctrgcn", found "stgcn"/);
  });

  it('refuses weights of the wrong size, naming the weight and both shapes', async () => {
    const d = await variant('shape', (a) => a.weights.set('l2.tcn1.branches.0.3.conv.weight', { shape: [4, 4, 3, 1], data: new Float32Array(48) }));
    await expect(loadArtifact(d)).rejects.toThrow(/shape[/\\]model\.json: weight "l2\.tcn1\.branches\.0\.3\.conv\.weight" has shape \[4,4,3,1\], expected \[4,4,5,1\]/);
  });

  it('refuses a weights.bin shorter or longer than the manifest, naming both sizes', async () => {
    const bytes = readFileSync(join(good(), 'weights.bin')).length;
    const short = await variant('short', () => {});
    truncateSync(join(short, 'weights.bin'), bytes - 4);
    const long = await variant('long', () => {});
    appendFileSync(join(long, 'weights.bin'), new Uint8Array(4));
    for (const [d, found] of [[short, bytes - 4], [long, bytes + 4]] as const) {
      await expect(loadArtifact(d)).rejects.toThrow(UserError);
      await expect(loadArtifact(d)).rejects.toThrow(new RegExp(`weights\\.bin: ${found} bytes, but the manifest in model\\.json describes ${bytes} \\(truncated or mismatched weights\\)`));
    }
  });

  it('refuses a missing weight', async () => {
    const d = await variant('missing', (a) => a.weights.delete('fc.bias'));
    await expect(loadArtifact(d)).rejects.toThrow(/weight "fc\.bias" is missing/);
  });

  it('refuses a frame count that does not divide by the strides', async () => {
    const d = await variant('frames', (a) => {
      a.model.input.T = 15;
      a.model.preprocessing.windowFrames = 15;
    });
    await expect(loadArtifact(d)).rejects.toThrow(/frames[/\\]model\.json: field "input\.T": 15 frames do not divide by the units' total temporal stride 4/);
  });

  it('refuses corrupted weights (checksum mismatch), naming the tensor', async () => {
    const d = await variant('corrupt', () => {});
    const bin = join(d, 'weights.bin');
    const bytes = readFileSync(bin);
    bytes[bytes.length - 3] ^= 0x40; // inside fc.bias, the last tensor
    writeFileSync(bin, bytes);
    await expect(loadArtifact(d)).rejects.toThrow(/corrupt[/\\]weights\.bin: weight "fc\.bias" does not match its sha256 in model\.json/);
  });

  it('refuses a model.json whose weightsSha256 does not match weights.bin', async () => {
    const d = await variant('checksum', () => {});
    const json = join(d, 'model.json');
    const m = JSON.parse(readFileSync(json, 'utf8'));
    m.weightsSha256 = m.weightsSha256.replace(/^./, (c: string) => (c === '0' ? '1' : '0'));
    writeFileSync(json, JSON.stringify(m));
    await expect(loadArtifact(d)).rejects.toThrow(UserError);
    await expect(loadArtifact(d)).rejects.toThrow(/checksum[/\\]weights\.bin: does not match weightsSha256 in model\.json/);
  });

  it('refuses a truncated model.json, naming it', async () => {
    const d = await variant('truncated', () => {});
    const json = join(d, 'model.json');
    const text = readFileSync(json, 'utf8');
    writeFileSync(json, text.slice(0, text.length / 2));
    await expect(loadArtifact(d)).rejects.toThrow(UserError);
    await expect(loadArtifact(d)).rejects.toThrow(/truncated[/\\]model\.json: not valid JSON/);
  });

  it('refuses bad options before doing any work, naming the option (the CLI names its flag)', async () => {
    await expect(compileArtifact(good(), { out: join(dir, 'x.bin') })).rejects.toThrow(/^out: expected a path ending in \.wasm/);
    await expect(compileArtifact(good(), { out: join(dir, 'x.wasm'), weights: 'f8' as 'f16' })).rejects.toThrow(/^weights: expected f32 or f16/);
    await expect(compileArtifact(good(), { out: join(dir, 'x.wasm'), windowFrames: 0 })).rejects.toThrow(/^windowFrames: expected an integer in 1\.\.10000, found 0/);
    // Absurd sizes are refused before any memory is planned for them.
    await expect(compileArtifact(good(), { out: join(dir, 'x.wasm'), windowFrames: 1e9 })).rejects.toThrow(/^windowFrames: expected an integer in 1\.\.10000, found 1000000000/);
    await expect(compileArtifact(good(), { out: join(dir, 'x.wasm'), sequenceCapacity: 1e9 })).rejects.toThrow(/^sequenceCapacity: expected an integer in 1\.\.10000/);
    // What the CLI prints for the same errors: its own flags.
    const program = new Command('cocodiff');
    compileCommand.register(program);
    const printed = async (opts: Partial<CompileOptions>): Promise<string> => errorMessage(await compileArtifact(good(), { out: join(dir, 'x.wasm'), ...opts }).catch((e: unknown) => e), program);
    expect(await printed({ out: join(dir, 'x.bin') })).toMatch(/^--out: expected a path ending in \.wasm/);
    expect(await printed({ windowFrames: 0 })).toBe('--window-frames: expected an integer in 1..10000, found 0');
    expect(await printed({ sequenceCapacity: 1e9 })).toMatch(/^--sequence-capacity: expected an integer in 1\.\.10000/);
    // A directory where the .wasm or its sidecar belongs.
    mkdirSync(join(dir, 'taken.wasm'));
    await expect(compileArtifact(good(), { out: join(dir, 'taken.wasm') })).rejects.toThrow(`${join(dir, 'taken.wasm')}: exists and is not a file`);
    mkdirSync(join(dir, 'side.json'));
    await expect(compileArtifact(good(), { out: join(dir, 'side.wasm') })).rejects.toThrow(`${join(dir, 'side.json')}: exists and is not a file`);
  });
});
