/**
 * `cocodiff-runtime` in Node (the package's `node` condition, and `cocodiff-runtime/node`): the
 * browser entry's API, plus file paths and file: URLs in `Recognizer.load`, `worker_threads` for
 * threaded recognizers (`compile --threads`), and the recording files
 * of the CLI and the examples (.skeleton, Kinetics .json, .npy).
 *
 * ```ts
 * import { Recognizer, loadRecording } from 'cocodiff-runtime';
 * const r = await Recognizer.load('recognizer.wasm');
 * console.log(r.classify(await loadRecording('S001C001P001R001A001.skeleton')).top[0].label);
 * ```
 *
 * @module cocodiff-runtime/node
 */
import { fileURLToPath } from 'node:url';
import { readRecognizerFile, readSidecarFile } from './node-load.ts';
import { installRecognizerFiles } from './open-recognizer.ts';
import { nodeWorker } from './node-threads.ts';
import { installWorkerStarter } from './threads.ts';

installRecognizerFiles({ readRecognizer: readRecognizerFile, readSidecar: readSidecarFile, pathOf: (url) => fileURLToPath(url) });
installWorkerStarter(nodeWorker);

export * from './index.ts';
export { readRecognizerFile, readSidecarFile } from './node-load.ts';
export { sidecarPathFor } from '../shared/sidecar.ts';
export { loadRecording } from './recording-file.ts';
