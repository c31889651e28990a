/**
 * Runs a model over a whole cache split with test-time preprocessing and collects the logits.
 * Shared by per-epoch validation in `train` and by `eval`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Cache, SplitName } from '../data/cache.ts';
import { batches } from '../data/batches.ts';
import type { PreprocessOptions } from '../data/preprocess.ts';
import type { CtrGcnModel } from '../model/ctrgcn.ts';
import { progress } from '../../common/progress.ts';

export interface Predictions {
  /** [N][K] row-major, in split order. */
  logits: Float32Array;
  labels: Int32Array;
  numClasses: number;
}

export type TestPreprocess = Omit<PreprocessOptions, 'rng' | 'train' | 'cropRange' | 'rotate'>;

/** `indices` picks samples of the split (a validation subset); the rows then follow their order. */
export async function predict(model: CtrGcnModel, cache: Cache, split: SplitName, pre: TestPreprocess, batchSize: number, label?: string, indices?: readonly number[]): Promise<Predictions> {
  const n = indices ? indices.length : cache.index.splits[split].samples.length;
  const row = new Map<number, number>((indices ?? []).map((i, r) => [i, r]));
  const k = model.spec.numClasses;
  const { C, T, V, M } = model.spec.input;
  const logits = new Float32Array(n * k);
  const labels = new Int32Array(n);
  const bar = label ? progress(label, n) : undefined;
  let done = 0;
  for (const b of batches(cache, split, { batchSize, shuffle: false, indices, preprocess: { ...pre, train: false } })) {
    // A batch is one synchronous computation on the CPU backends: without a turn of the event loop
    // per batch, a SIGINT or SIGTERM would wait for the end of a whole validation or test pass.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const out = tf.tidy(() => model.classify(model.features(tf.tensor(b.x, [b.size, C, T, V, M]), false), false));
    const values = (await out.data()) as Float32Array;
    out.dispose();
    b.indices.forEach((i, j) => {
      const r = indices ? row.get(i)! : i;
      logits.set(values.subarray(j * k, (j + 1) * k), r * k);
      labels[r] = b.labels[j];
    });
    done += b.size;
    bar?.update(done);
  }
  bar?.stop();
  return { logits, labels, numClasses: k };
}
