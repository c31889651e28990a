/**
 * What a network takes: its input shape, the modality of that input, and the preprocessing that
 * makes it from recordings. Part of the model artifact (artifact.ts) and of the recognizer's sidecar
 * (sidecar.ts); kept apart so the runtime host imports these types without the artifact's file I/O.
 */
export type Modality = 'joint' | 'bone' | 'joint-motion' | 'bone-motion';
export const MODALITIES: readonly Modality[] = ['joint', 'bone', 'joint-motion', 'bone-motion'];

/** The network's input shape, [C, T, V, M] per sample. */
export interface InputSpec {
  /** Coordinates per joint. */
  C: number;
  /** Frames the network sees (after crop and resize). */
  T: number;
  /** Joints. */
  V: number;
  /** Persons. */
  M: number;
}

/**
 * Which of CTR-GCN's data feeders the preprocessing follows:
 * - `ntu` (feeder_ntu): the centred crop of testCropRatio of the valid frames, linearly resized to T;
 * - `ucla` (feeder_ucla, `train --preset ucla`): each position coordinate min–max normalised to
 *   [−1, 1] over every valid frame and joint, then T frames at linspace(0, n − 1, T) truncated to
 *   integers; testCropRatio is unused. The window (or the classified sequence) is the clip.
 */
export type PreprocessProtocol = 'ntu' | 'ucla';
export const PREPROCESS_PROTOCOLS: readonly PreprocessProtocol[] = ['ntu', 'ucla'];

/** How a recording becomes the network's input (the trainer's test-time preprocessing, done in wasm). */
export interface PreprocessSpec {
  /**
   * Raw frames a streaming window holds: the recognizer's ring buffer, and the default of
   * `compile --window-frames`. The network sees a window's valid frames cropped and resized to
   * input.T, as it saw each whole training recording; a window as long as a typical recording shows
   * motion at the speed it learned. `train` writes the median training recording length, imports T.
   */
  windowFrames: number;
  /** Test-time centred crop covers this fraction of the valid frames (CTR-GCN: 0.95). */
  testCropRatio: number;
  /** Subtract the centre joint of person 0's first non-empty frame from every joint. */
  centre: boolean;
  /** Absent in artifacts and sidecars written before it existed: `ntu`. */
  protocol?: PreprocessProtocol;
}
