/** import-ctrgcn refuses a state_dict that is not exactly the configuration it describes, by name. */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { importCtrGcn } from '../../trainer/model/import-ctrgcn.ts';

const GOLDEN = join(import.meta.dirname, '../fixtures/golden-ctrgcn-ntu60');
const WEIGHTS = join(GOLDEN, 'weights.bin');
interface Entry { name: string; shape: number[]; offset: number; length: number }
const golden = JSON.parse(readFileSync(join(GOLDEN, 'golden.json'), 'utf8')) as { weights: { tensors: Entry[] } };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-import-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Imports the golden weights through a manifest edited by `edit`; returns the refusal message. */
async function importEdited(edit: (tensors: Entry[]) => Entry[]): Promise<string> {
  const manifest = join(dir, `m${Math.random().toString(36).slice(2)}.json`);
  await writeFile(manifest, JSON.stringify({ weights: { tensors: edit(structuredClone(golden.weights.tensors)) } }));
  try {
    await importCtrGcn(manifest, WEIGHTS, join(dir, 'out'));
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  return 'accepted';
}

describe('import-ctrgcn', () => {
  it('accepts the official state_dict, with num_batches_tracked counters ignored', async () => {
    const message = await importEdited((t) => [...t, { name: 'l3.gcn1.bn.num_batches_tracked', shape: [], offset: 0, length: 1 }]);
    expect(message).toBe('accepted');
  });

  it('refuses a missing tensor by name', async () => {
    const message = await importEdited((t) => t.filter((e) => e.name !== 'l7.tcn1.branches.1.3.bn.running_var'));
    expect(message).toMatch(/missing tensor "l7\.tcn1\.branches\.1\.3\.bn\.running_var"/);
  });

  it('refuses an extra tensor by name', async () => {
    const message = await importEdited((t) => [...t, { ...t.find((e) => e.name === 'fc.bias')!, name: 'fc2.bias' }]);
    expect(message).toMatch(/unexpected tensor "fc2\.bias"/);
  });

  it('refuses a mis-shaped tensor by name', async () => {
    const message = await importEdited((t) => t.map((e) => (e.name === 'l4.gcn1.convs.2.conv3.weight' ? { ...e, shape: [32, 128, 1, 1] } : e)));
    expect(message).toMatch(/"l4\.gcn1\.convs\.2\.conv3\.weight" has shape \[32,128,1,1\], expected \[64,64,1,1\]/);
  });

  it('refuses a tensor that runs past the end of the weights file', async () => {
    const message = await importEdited((t) => t.map((e) => (e.name === 'fc.bias' ? { ...e, offset: e.offset + 1024 } : e)));
    expect(message).toMatch(/tensor "fc\.bias" needs bytes/);
  });
});
