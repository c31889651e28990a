/**
 * The branch with all three λ at 0 trains bit-identical weights to the baseline (it draws from its own
 * random stream and adds nothing to the gradients), while the same branch with its λs on does change
 * them. Its running feature statistics live in the checkpoint's branch group, never in the artifact.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArtifact } from '../../common/artifact.ts';
import { DEFAULT_COCODIFF_OPTIONS, type CoCoDiffOptions } from '../../trainer/cocodiff/types.ts';
import { readCheckpoint } from '../../trainer/train/run-state.ts';
import type { TrainOptions } from '../../trainer/train/config.ts';
import type { TrainState } from '../../trainer/train/session.ts';
import { runTraining } from '../../trainer/train/train.ts';
import { tinyDataset } from '../helpers/tiny-run.ts';

const root = await mkdtemp(join(tmpdir(), 'cocodiff-identity-'));
let data: string;
beforeAll(async () => void ({ data } = await tinyDataset()), 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

// No text: the identity concerns the gradient paths and random streams, not the encoder.
const BRANCH: CoCoDiffOptions = { ...DEFAULT_COCODIFF_OPTIONS, fineText: false, coarseText: false, denoiserWidth: 16, denoiserBlocks: 1, steps: 50, genT: [5, 30], lambdaGenWarmup: 0 };
const run = (name: string, cocodiff?: CoCoDiffOptions): Promise<unknown> =>
  runTraining({ data, out: join(root, name), width: 0.125, blocks: 1, frames: 8, batch: 4, epochs: 2, seed: 4, backend: 'wasm', quiet: true, cocodiff } satisfies TrainOptions);
const modelBytes = async (name: string) => {
  const ck = await readCheckpoint<TrainState>(join(root, name, 'checkpoints', 'last'));
  return new Map([...ck.groups.model].map(([n, t]) => [n, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
};

describe('the CoCoDiff branch at λ = 0', () => {
  it('trains bit-identical weights to the baseline; with its λs on it does not', async () => {
    await run('baseline');
    await run('zero', { ...BRANCH, lambdaGen: 0, lambdaFine: 0, lambdaCoarse: 0 });
    await run('on', BRANCH);
    const [base, zero, on] = await Promise.all(['baseline', 'zero', 'on'].map(modelBytes));
    expect([...zero.keys()]).toEqual([...base.keys()]);
    for (const [name, bytes] of base) expect(zero.get(name), name).toEqual(bytes);
    expect([...base].some(([name, bytes]) => !Buffer.from(bytes).equals(Buffer.from(on.get(name)!)))).toBe(true);
  }, 240_000);

  it('keeps the running feature statistics in the checkpoint and out of the artifact', async () => {
    const ck = await readCheckpoint<TrainState>(join(root, 'on', 'checkpoints', 'last'));
    const mean = ck.groups.branch.get('stats.mean')!;
    const variance = ck.groups.branch.get('stats.variance')!;
    expect(ck.groups.branch.get('stats.count')!.data[0]).toBeGreaterThan(1);
    expect(mean.data.some((v) => v !== 0)).toBe(true);
    expect(variance.data.every((v) => v > 0) && variance.data.some((v) => v !== 1)).toBe(true);
    expect(ck.groups.branchOptimizer.size).toBeGreaterThan(0);
    const artifact = await readArtifact(join(root, 'on', 'artifact'));
    expect([...artifact.weights.keys()].filter((n) => /stats|denoiser|coarse/.test(n))).toEqual([]);
  });
});
