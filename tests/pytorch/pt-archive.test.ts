/**
 * `import-ctrgcn MODEL.pt`: checkpoints written by PyTorch itself (tests/fixtures/pytorch, made by
 * make_fixtures.py there) in every variant, each imported with no Python and run through the
 * compiler's interpreter against the logits PyTorch computed; one also through the CLI and the
 * compiled .wasm; and the refusals, on real checkpoints edited byte by byte.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as importCommand from '../../cli/commands/import-ctrgcn.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { compileModule } from '../../compiler/index.ts';
import { interpret } from '../../compiler/interpret.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { instantiateNetwork } from '../../compiler/verify.ts';
import { ZipArchive } from '../../trainer/data/npz.ts';
import { importCtrGcnCheckpoint } from '../../trainer/model/import-ctrgcn.ts';
import { readTorchCheckpoint } from '../../trainer/pytorch/pt-archive.ts';
import { readF32 } from '../compiler/artifacts.ts';
import { zipBytes } from '../helpers/npy-zip.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/pytorch');
interface Listed { file: string; what: string; classes: number; logits: number[] }
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'fixtures.json'), 'utf8')) as { input: { file: string; shape: number[] }; checkpoints: Listed[] };
const input = readF32(join(FIXTURES, manifest.input.file));
const FRAMES = manifest.input.shape[2];
const fixture = (file: string) => join(FIXTURES, file);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-pt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('PyTorch checkpoints → artifact', () => {
  it.each(manifest.checkpoints.map((c) => [c.file, c] as const))('%s reproduces PyTorch\'s logits within 1e-4', async (file, c) => {
    const out = join(dir, file.replace('.pt', ''));
    const model = await importCtrGcnCheckpoint(fixture(file), out, { frames: FRAMES });
    expect(model.classes).toHaveLength(c.classes);
    expect(model.backbone.channels).toEqual([8, 8, 16]);
    const { graph } = await loadArtifact(out);
    expect(maxDiff(interpret(graph, input), c.logits)).toBeLessThan(1e-4);
  });

  it('finds the state_dict inside a wrapping dict, and strips DataParallel\'s "module." prefix', async () => {
    const plain = await readTorchCheckpoint(fixture('state-dict.pt'));
    expect(plain.foundAt).toBe('');
    expect(plain.skipped).toContain('l1.gcn1.bn.num_batches_tracked');
    expect((await readTorchCheckpoint(fixture('wrapped-model.pt'))).foundAt).toBe('model');
    expect((await readTorchCheckpoint(fixture('wrapped-state-dict-protocol4.pt'))).foundAt).toBe('state_dict');
    const parallel = await readTorchCheckpoint(fixture('dataparallel.pt'));
    expect([...parallel.tensors.keys()]).toEqual([...plain.tensors.keys()]);
  });

  it('reads strided views and storage offsets value for value; float16 and float64 become float32', async () => {
    const plain = (await readTorchCheckpoint(fixture('state-dict.pt'))).tensors;
    const strided = (await readTorchCheckpoint(fixture('non-contiguous.pt'))).tensors;
    const half = (await readTorchCheckpoint(fixture('float16.pt'))).tensors;
    const double = (await readTorchCheckpoint(fixture('float64.pt'))).tensors;
    for (const [name, t] of plain) {
      expect(strided.get(name)!.shape, name).toEqual(t.shape);
      expect(strided.get(name)!.data, name).toEqual(t.data);
      expect(double.get(name)!.data, name).toEqual(t.data); // float32 → float64 → float32 is exact
      // binary16 keeps 11 significant bits
      const h = half.get(name)!.data;
      for (let i = 0; i < t.data.length; i++) expect(Math.abs(h[i] - t.data[i]), `${name}[${i}]`).toBeLessThanOrEqual(Math.abs(t.data[i]) * 2 ** -11 + 2 ** -24);
    }
    expect([...half.values()].some((t, i) => !t.data.every((v, j) => v === [...plain.values()][i].data[j]))).toBe(true);
  });
});

describe('the whole path through the CLI', () => {
  it('import-ctrgcn MODEL.pt, then the compiled .wasm reproduces PyTorch\'s logits within 1e-4', async () => {
    const program = new Command('cocodiff').exitOverride();
    importCommand.register(program);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const out = join(dir, 'cli-ntu120');
    try {
      await program.parseAsync(['node', 'cocodiff', 'import-ctrgcn', fixture('ntu120.pt'), '--out', out, '--frames', String(FRAMES)]);
    } finally {
      log.mockRestore();
    }
    expect(lines.join('\n')).toMatch(/3 units \[8,8,16\], layout ntu25, input \[N, 3, 16, 25, 2\], 120 classes/);
    const { artifact, graph } = await loadArtifact(out);
    expect(artifact.model.classes).toHaveLength(120);
    expect(artifact.model.provenance.importedFrom).toBe(fixture('ntu120.pt'));
    const net = await instantiateNetwork((await compileModule(artifact, graph)).wasm);
    const want = manifest.checkpoints.find((c) => c.file === 'ntu120.pt')!.logits;
    expect(maxDiff(net.logits(input), want)).toBeLessThan(1e-4);
  });
});

/** Rewrites a fixture's pickle with `edit` (same-length byte edits keep the pickle valid) into a new .pt. */
async function editedCheckpoint(file: string, edit: (pickle: Buffer) => Buffer, drop?: string): Promise<string> {
  const zip = await ZipArchive.open(fixture(file));
  const members = [];
  for (const e of zip.entries) {
    if (drop && e.name.endsWith(drop)) continue;
    const data = Buffer.from(await zip.read(e));
    members.push({ name: e.name, data: e.name.endsWith('/data.pkl') ? edit(data) : data });
  }
  await zip.close();
  const path = join(dir, `edited-${Math.random().toString(36).slice(2)}.pt`);
  await writeFile(path, zipBytes(members));
  return path;
}

/** Replaces the first `from` at or after `after` (both latin1 strings) with `to`, of the same length. */
function replaceBytes(pickle: Buffer, from: string, to: string, after = ''): Buffer {
  expect(to.length).toBe(from.length);
  const start = after ? pickle.indexOf(after, 0, 'latin1') : 0;
  const at = pickle.indexOf(from, start, 'latin1');
  expect(at, `"${from}" in the pickle`).toBeGreaterThanOrEqual(0);
  const out = Buffer.from(pickle);
  out.write(to, at, 'latin1');
  return out;
}

async function refusal(path: string): Promise<string> {
  try {
    await importCtrGcnCheckpoint(path, join(dir, 'refused'), { frames: FRAMES });
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  return 'accepted';
}

describe('refusals', () => {
  it('refuses a global outside the allow-list by name, and runs nothing', async () => {
    const message = await refusal(fixture('forbidden-global.pt'));
    expect(message).toMatch(/forbidden-global\.pt:forbidden-global\/data\.pkl: refuses the global "posix\.system"/);
    expect(message).toMatch(/nothing in the file was run/);
  });

  it('refuses a whole pickled module by its class, and says to save the state_dict instead', async () => {
    const message = await refusal(fixture('whole-module.pt'));
    expect(message).toMatch(/refuses the global "torch\.nn\.modules\.linear\.Linear"/);
    expect(message).toMatch(/save its weights with torch\.save\(model\.state_dict\(\), 'model\.pt'\)/);
  });

  it('explains how to re-save a legacy (pre-1.6) checkpoint', async () => {
    const message = await refusal(fixture('legacy.pt'));
    expect(message).toMatch(/legacy\.pt: a legacy PyTorch checkpoint/);
    expect(message).toMatch(/torch\.save\(torch\.load\('.*legacy\.pt', map_location='cpu'\), 'new\.pt'\)/);
  });

  it('refuses a file that is no checkpoint at all', async () => {
    const path = join(dir, 'notes.pt');
    await writeFile(path, 'just some text\n');
    expect(await refusal(path)).toMatch(/notes\.pt: not a PyTorch checkpoint/);
  });

  it('refuses a missing tensor by name', async () => {
    const path = await editedCheckpoint('state-dict.pt', (p) => replaceBytes(p, 'fc.bias', 'fc.bxas'));
    expect(await refusal(path)).toMatch(/missing tensor "fc\.bias"/);
  });

  it('refuses an extra tensor by name', async () => {
    // The last entry (key "fc.bias", its tensor, up to the REDUCE + LONG_BINPUT before SETITEMS) once
    // more under the key "fc.bxas": pickles have no byte offsets, so inserting keeps it valid.
    const path = await editedCheckpoint('state-dict.pt', (p) => {
      const key = p.indexOf('X\x07\x00\x00\x00fc.bias', 0, 'latin1');
      const end = p.indexOf('u', key, 'latin1');
      expect(key).toBeGreaterThan(0);
      expect(p.subarray(end - 6, end - 4).toString('latin1')).toBe('Rr');
      const entry = replaceBytes(p.subarray(key, end), 'fc.bias', 'fc.bxas');
      return Buffer.concat([p.subarray(0, end), entry, p.subarray(end)]);
    });
    expect(await refusal(path)).toMatch(/unexpected tensor "fc\.bxas" \(not part of this CTR-GCN configuration\)/);
  });

  it('refuses a mis-shaped tensor by name', async () => {
    // fc.bias's size tuple (60,) → (59,): BININT1 60, TUPLE1 after the key.
    const path = await editedCheckpoint('state-dict.pt', (p) => replaceBytes(p, 'K<\x85', 'K;\x85', 'fc.bias'));
    expect(await refusal(path)).toMatch(/tensor "fc\.bias" has shape \[59\], expected \[60\]/);
  });

  it('refuses an integer tensor that is not a batch counter, by name', async () => {
    const path = await editedCheckpoint('state-dict.pt', (p) => replaceBytes(p, 'data_bn.num_batches_tracked', 'data_bn.num_batches_counted'));
    expect(await refusal(path)).toMatch(/tensor "data_bn\.num_batches_counted" holds int64 \(expected float32, float16 or float64\)/);
  });

  it('refuses a tensor whose storage member is absent', async () => {
    const path = await editedCheckpoint('state-dict.pt', (p) => p, '/data/0');
    expect(await refusal(path)).toMatch(/tensor "data_bn\.weight" is stored in member "state-dict\/data\/0", which the archive does not hold/);
  });

  it('refuses a view that reaches past the end of its storage', async () => {
    // fc.bias's storage offset 0 → 5: 60 values from element 5 of a 60-element storage.
    const path = await editedCheckpoint('state-dict.pt', (p) => replaceBytes(p, 'QK\x00', 'QK\x05', 'fc.bias'));
    expect(await refusal(path)).toMatch(/tensor "fc\.bias": its view reaches element 64, past the end of its storage \(60 elements\)/);
  });

  it('refuses a truncated pickle', async () => {
    const path = await editedCheckpoint('state-dict.pt', (p) => p.subarray(0, p.length - 40));
    expect(await refusal(path)).toMatch(/state-dict\/data\.pkl: the pickle is truncated \(it ends before its STOP opcode\)/);
  });
});
