/**
 * CoCoDiff is training-only: a run with the branch exports an artifact with exactly the weights
 * (names, shapes, dtypes, order) of a run without it, and no trace of the denoiser or text heads.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArtifact, type ModelJson } from '../../common/artifact.ts';
import { DEFAULT_COCODIFF_OPTIONS } from '../../trainer/cocodiff/types.ts';
import { writeSyntheticDataset } from '../../trainer/data/synth/index.ts';
import { runTraining, type TrainResult } from '../../trainer/train/train.ts';

const root = await mkdtemp(join(tmpdir(), 'cocodiff-artifact-'));
const data = join(root, 'synth');
let plain: TrainResult;
let withBranch: TrainResult;
let classes: string[];

beforeAll(async () => {
  classes = (await writeSyntheticDataset(data, { perClass: 3, classes: 3, seed: 2 })).classes;
  // Precomputed text keeps the test free of the sentence encoder.
  const embeddings = join(root, 'text.json');
  await writeFile(embeddings, JSON.stringify({ dim: 4, classes: Object.fromEntries(classes.map((c, k) => [c, [k, 1, -k, 0.5]])) }));
  const common = { data, preset: 'synth-quick' as const, width: 0.0625, blocks: 2, frames: 8, batch: 4, epochs: 1, seed: 1, backend: 'wasm' as const, quiet: true };
  plain = await runTraining({ ...common, out: join(root, 'plain') });
  withBranch = await runTraining({
    ...common,
    out: join(root, 'cocodiff'),
    cocodiff: { ...DEFAULT_COCODIFF_OPTIONS, denoiserWidth: 16, denoiserBlocks: 2, steps: 50, genT: [0, 49] },
    embeddingsFile: embeddings,
  });
}, 240_000);
afterAll(() => rm(root, { recursive: true, force: true }));

const manifest = (m: ModelJson) => m.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype }));

describe('the artifact of a CoCoDiff run', () => {
  it('holds exactly the weights of a run without the branch', async () => {
    const a = await readArtifact(plain.artifactDir);
    const b = await readArtifact(withBranch.artifactDir);
    expect(manifest(b.model)).toEqual(manifest(a.model));
    expect(b.model.backbone).toEqual(a.model.backbone);
    expect(b.model.input).toEqual(a.model.input);
    expect(b.model.weights.some((w) => /denoiser|coarse|logit_scale/.test(w.name))).toBe(false);
  });

  it('was really trained with the branch (its weights differ from the plain run)', async () => {
    const a = await readArtifact(plain.artifactDir);
    const b = await readArtifact(withBranch.artifactDir);
    expect(b.model.weightsSha256).not.toBe(a.model.weightsSha256);
  });
});
