/**
 * The recognizer `.wasm` ABI (compiler → runtime → apps). The compiled module exports exactly these
 * names; the host API, the examples and the compiler's verifier use this table, never string copies.
 * Imports: at most `env.abort(msg: i32, file: i32, line: i32, col: i32)`.
 *
 * Buffers are float32, little-endian, in the module's exported `memory`:
 *   frame     [M][V][C]      one camera frame, written by the host before `push_frame`
 *   sequence  [F][M][V][C]   up to `sequence_capacity()` frames, for `classify_sequence(frames)`
 *   input     [C][T][V][M]   the network's preprocessed input (written by preprocessing, or by the host for `infer_input`)
 *   logits    [K]            raw class scores of the last inference
 *   probs     [K]            softmax of the logits
 */
export const ABI_VERSION = 1;

export const ABI_EXPORTS = {
  memory: 'memory',
  // metadata
  abiVersion: 'abi_version',
  numClasses: 'num_classes',
  numJoints: 'num_joints',
  numPersons: 'num_persons',
  numCoords: 'num_coords',
  modelFrames: 'model_frames',
  windowFrames: 'window_frames',
  /** 0 joint, 1 bone, 2 joint-motion, 3 bone-motion (MODALITY_CODES). */
  modality: 'modality',
  /** Bytes of linear memory the module uses in total; fixed after instantiation. */
  memoryBytes: 'memory_bytes',
  // buffers
  framePtr: 'frame_ptr',
  sequencePtr: 'sequence_ptr',
  sequenceCapacity: 'sequence_capacity',
  inputPtr: 'input_ptr',
  logitsPtr: 'logits_ptr',
  probsPtr: 'probs_ptr',
  // streaming
  /** Copies the frame buffer into the ring; returns a STATUS code. */
  pushFrame: 'push_frame',
  /** Preprocesses the ring's window, runs the network, writes logits and probs; returns a STATUS code. */
  infer: 'infer',
  /** Like `infer`, on `frames` frames of the sequence buffer. */
  classifySequence: 'classify_sequence',
  /** Runs the network alone on the input buffer (no preprocessing): parity checks. */
  inferInput: 'infer_input',
  /** Empties the ring and zeroes the counters. */
  reset: 'reset',
  framesPushed: 'frames_pushed',
  framesRejected: 'frames_rejected',
  /** Frames currently in the ring that hold at least one person. */
  validFrames: 'valid_frames',
} as const;

/**
 * The largest coordinate magnitude a frame may hold. Real skeletons are metres, millimetres or
 * pixels, far below it; a value beyond it (or NaN, or ±inf) is a broken frame. `push_frame` counts
 * and drops such a frame, `classify_sequence` leaves it out, and the dataset cache refuses it: a
 * finite ±3e38 would otherwise overflow in preprocessing and turn every later prediction into NaN.
 */
export const MAX_COORDINATE = 1e6;

export const STATUS = {
  ok: 0,
  /** The frame held NaN, infinite values or one beyond ±MAX_COORDINATE; it was counted and skipped. */
  nonFinite: -1,
  /** No valid frame in the window or sequence: nothing to classify. */
  empty: -2,
  /** `classify_sequence` was given more frames than `sequence_capacity()`, or fewer than 1. */
  badLength: -3,
} as const;

export const MODALITY_CODES = { joint: 0, bone: 1, 'joint-motion': 2, 'bone-motion': 3 } as const;
