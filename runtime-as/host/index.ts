/**
 * `cocodiff-runtime`: load a compiled recognizer .wasm and recognise actions from skeleton frames.
 * This is the entry for browsers, Deno, workers and bundlers: no Node module is imported. In Node the
 * package resolves to node.ts, which adds file paths and recording files.
 *
 * ```ts
 * const r = await Recognizer.load('recognizer.wasm', { stride: 8, alpha: 0.6, threshold: 0.5 });
 * camera.onFrame((bodies) => { const p = r.push(bodies); if (p) show(p.action, p.latencyMs); });
 * ```
 *
 * @module cocodiff-runtime
 */
export { Recognizer } from './recognizer.ts';
export type { Classification, ClassScore, LearnedClass, LearnOptions, LoadOptions, Prediction, RecognizerInfo, StreamOptions } from './recognizer.ts';
export { LEARNED_FORMAT, LEARNED_VERSION } from './learned-file.ts';
export type { LearnedClassEntry, LearnedExample, LearnedFile, LearnedRecognizerId } from './learned-file.ts';
export type { HeadMethod } from './few-shot.ts';
export type { RecognizerSource, SidecarOptions } from './open-recognizer.ts';
export { frameFromBodies, mapBody } from './adapters.ts';
export { BLAZEPOSE33_LANDMARKS, fromBlazePose } from './pose-landmarks.ts';
export { CAMERA_MODEL_WIDTH, cameraModelFrame } from '../shared/camera-image.ts';
export type { FrameSize } from '../shared/camera-image.ts';
export type { BlazePoseLandmark, BlazePoseOptions } from './pose-landmarks.ts';
export { parseFrameLine } from './ndjson.ts';
export type { NdjsonFrame } from './ndjson.ts';
export type { Body, FrameShape, JointValue } from './adapters.ts';
export { parseSidecar, SIDECAR_FORMAT, SIDECAR_SECTION } from './sidecar.ts';
export type { RecognizerSidecar } from './sidecar.ts';
export { ABI_EXPORTS, ABI_VERSION, STATUS } from '../shared/abi.ts';
export { LAYOUTS } from '../shared/layouts.ts';
export type { JointLayout, LayoutName } from '../shared/layouts.ts';
export type { Sequence } from '../shared/sequence.ts';
export type { InputSpec, Modality, PreprocessProtocol, PreprocessSpec } from '../shared/input-spec.ts';
