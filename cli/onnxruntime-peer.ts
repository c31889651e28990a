/**
 * The bench's onnxruntime-web peer: what a web developer would pick instead of the .wasm. The
 * benchmarked artifact is exported to ONNX (compiler/onnx) and run by onnxruntime-web on its wasm
 * backend with one thread (or `threads`: `bench --threads`), timed in turns with the .wasm like every
 * peer. onnxruntime-web fixes its thread count when its first session starts, once per process.
 *
 * onnxruntime-web is optional (a dev dependency here): it is imported by a variable specifier, and
 * where it is not installed the peer is skipped with a note instead of failing the bench.
 */
import type * as Ort from 'onnxruntime-web';
import type { Artifact } from '../common/artifact.ts';
import type { BenchPeer, LoadedPeer } from '../compiler/bench.ts';
import { exportOnnx } from '../compiler/onnx/export.ts';

async function loadOnnxRuntime(): Promise<typeof Ort | undefined> {
  const specifier = 'onnxruntime-web';
  try {
    return (await import(specifier)) as typeof Ort;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

export function onnxRuntimeBenchPeer(artifact: Artifact, rounds: number, threads = 1): BenchPeer {
  const { C, T, V, M } = artifact.model.input;
  return {
    name: threads === 1 ? 'onnxruntime-web wasm' : `onnxruntime-web wasm, ${threads} threads`,
    rounds,
    async load(x: Float32Array): Promise<LoadedPeer | { skipped: string }> {
      const ort = await loadOnnxRuntime();
      if (!ort) return { skipped: 'onnxruntime-web is not installed (npm install onnxruntime-web to compare)' };
      ort.env.wasm.numThreads = threads;
      const session = await ort.InferenceSession.create(exportOnnx(artifact, { batch: 1 }).bytes, { executionProviders: ['wasm'] });
      const feeds = { input: new ort.Tensor('float32', x, [1, C, T, V, M]) };
      const run = async (): Promise<Float32Array> => (await session.run(feeds)).logits.data as Float32Array;
      return {
        infer: async () => void (await run()),
        logits: run,
        note: `export-onnx opset 13, onnxruntime-web ${ort.env.versions.web ?? ort.env.versions.common}, ${threads === 1 ? '1 thread' : `numThreads ${threads}`}`,
        dispose: () => session.release(),
      };
    },
  };
}
