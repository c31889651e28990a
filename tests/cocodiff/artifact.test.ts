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
import { runTraining } from '../../trainer/train/train.ts';
import { TINY_TRAINING, tinyRun } from '../helpers/tiny-run.ts';

const root = await mkdtemp(join(tmpdir(), 'cocodiff-artifact-'));
/** The artifacts of the shared tiny run and of the same training with the branch. */
let plain: string;
let withBranch: string;

beforeAll(async () => {
  const { data, classes, artifact } = await tinyRun();
  plain = artifact;
  // Precomputed text keeps the test free of the sentence encoder.
  const embeddings = join(root, 'text.json');
  await writeFile(embeddings, JSON.stringify({ dim: 4, classes: Object.fromEntries(classes.map((c, k) => [c, [k, 1, -k, 0.5]])) }));
  ({ artifactDir: withBranch } = await runTraining({
    ...TINY_TRAINING,
    data,
    out: join(root, 'cocodiff'),
    cocodiff: { ...DEFAULT_COCODIFF_OPTIONS, denoiserWidth: 16, denoiserBlocks: 2, steps: 50, genT: [0, 49] },
    embeddingsFile: embeddings,
  }));
}, 240_000);
afterAll(() => rm(root, { recursive: true, force: true }));

const manifest = (m: ModelJson) => m.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype }));

describe('the artifact of a CoCoDiff run', () => {
  it('holds exactly the weights of a run without the branch', async () => {
    const a = await readArtifact(plain);
    const b = await readArtifact(withBranch);
    expect(manifest(b.model)).toEqual(manifest(a.model));
    expect(b.model.backbone).toEqual(a.model.backbone);
    expect(b.model.input).toEqual(a.model.input);
    expect(b.model.weights.some((w) => /denoiser|coarse|logit_scale/.test(w.name))).toBe(false);
  });

  it('was really trained with the branch (its weights differ from the plain run)', async () => {
    const a = await readArtifact(plain);
    const b = await readArtifact(withBranch);
    expect(b.model.weightsSha256).not.toBe(a.model.weightsSha256);
  });
});
