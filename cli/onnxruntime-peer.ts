/**
 * The bench's onnxruntime-web peer: what a web developer would pick instead of the .wasm. The
 * benchmarked artifact is exported to ONNX (compiler/onnx) and run by onnxruntime-web on its wasm
 * backend with one thread (or `threads`: `bench --threads`), timed in turns with the .wasm like every
 * peer. onnxruntime-web fixes its thread count when its first session starts, once per process.
 *
 * With `int8` the peer runs the QDQ model `export-onnx --int8` writes: the int8 module's own codes and
 * scales (compiler/onnx/qdq.ts), the graph written by cocodiff, not by onnxruntime's Python quantiser;
 * it keeps an f32 session of the same weights beside it, timed in the same rounds.
 *
 * onnxruntime-web is optional (a dev dependency here): it is imported by a variable specifier, and
 * where it is not installed the peer is skipped with a note instead of failing the bench.
 */
import type * as Ort from 'onnxruntime-web';
import type { Artifact } from '../common/artifact.ts';
import type { BenchPeer, LoadedPeer } from '../compiler/bench.ts';
import { exportOnnx, type OnnxExportOptions } from '../compiler/onnx/export.ts';

async function loadOnnxRuntime(): Promise<typeof Ort | undefined> {
  const specifier = 'onnxruntime-web';
  try {
    return (await import(specifier)) as typeof Ort;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

/** The int8 peer's row name. */
export const ORT_INT8_PEER = 'onnxruntime-web int8 QDQ';

export function onnxRuntimeBenchPeer(artifact: Artifact, rounds: number, threads = 1, int8?: OnnxExportOptions['int8']): BenchPeer {
  const { C, T, V, M } = artifact.model.input;
  return {
    name: int8 ? ORT_INT8_PEER : threads === 1 ? 'onnxruntime-web wasm' : `onnxruntime-web wasm, ${threads} threads`,
    rounds,
    async load(x: Float32Array): Promise<LoadedPeer | { skipped: string }> {
      const ort = await loadOnnxRuntime();
      if (!ort) return { skipped: 'onnxruntime-web is not installed (npm install onnxruntime-web to compare)' };
      ort.env.wasm.numThreads = threads;
      const open = (model: Uint8Array) => ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
      const session = await open(exportOnnx(artifact, { batch: 1, int8 }).bytes);
      const f32 = int8 ? await open(exportOnnx(artifact, { batch: 1 }).bytes) : undefined;
      const feeds = { input: new ort.Tensor('float32', x, [1, C, T, V, M]) };
      const run = async (s: Ort.InferenceSession): Promise<Float32Array> => (await s.run(feeds)).logits.data as Float32Array;
      const version = `onnxruntime-web ${ort.env.versions.web ?? ort.env.versions.common}, ${threads === 1 ? '1 thread' : `numThreads ${threads}`}`;
      return {
        infer: async () => void (await run(session)),
        logits: () => run(session),
        f32: f32 && (async () => void (await run(f32))),
        note: int8
          ? `the QDQ graph written by cocodiff's export-onnx --int8 with cocodiff's ${int8.calibration.method} calibration, not by onnxruntime's Python quantiser; ${version}`
          : `export-onnx opset 13, ${version}`,
        dispose: async () => {
          await session.release();
          await f32?.release();
        },
      };
    },
  };
}
