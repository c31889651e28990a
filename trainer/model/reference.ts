/**
 * The trainer's tfjs model of an artifact as a reference for the compiled module: an implementation
 * independent of the compiler's (`compile --verify-tfjs`, `bench`, and the compiler's tests).
 */
import * as tf from '@tensorflow/tfjs';
import type { Artifact } from '../../common/artifact.ts';
import { selectBackend, type BackendName } from '../backend.ts';
import { CtrGcnModel } from './ctrgcn.ts';

export interface TfjsReference {
  /** `tfjs <backend>`. */
  name: string;
  /** Logits of one [C][T][V][M] input. */
  logits(input: Float32Array): Float32Array;
  dispose(): void;
}

/** `backend` defaults to wasm, which ships everywhere: a reference reads its logits synchronously, which a GPU backend (webgpu) cannot. */
export async function tfjsReference(artifact: Artifact, backend: BackendName = 'wasm'): Promise<TfjsReference> {
  await selectBackend(backend);
  const model = CtrGcnModel.fromArtifact(artifact);
  const { C, T, V, M } = artifact.model.input;
  return {
    name: `tfjs ${tf.getBackend()}`,
    logits: (x) => tf.tidy(() => model.classify(model.features(tf.tensor(x, [1, C, T, V, M]), false), false).dataSync() as Float32Array),
    dispose: () => model.dispose(),
  };
}

/** The tfjs model on one backend as a benchmark peer of the .wasm (`cocodiff bench`); `threads`: the wasm backend's pool. */
export function tfjsBenchPeer(artifact: Artifact, backend: BackendName, rounds: number, threads?: number) {
  const { C, T, V, M } = artifact.model.input;
  return {
    name: `tfjs ${backend}${threads && threads > 1 ? `, ${threads} threads` : ''}`,
    rounds,
    async load(x: Float32Array): Promise<{ infer(): void; dispose(): void }> {
      await selectBackend(backend, { threads });
      const model = CtrGcnModel.fromArtifact(artifact);
      const input = tf.tensor(x, [1, C, T, V, M]);
      return {
        infer: () => void tf.tidy(() => model.classify(model.features(input, false), false).dataSync()),
        dispose: () => { input.dispose(); model.dispose(); },
      };
    },
  };
}
