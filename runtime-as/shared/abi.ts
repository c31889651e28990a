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
 *   feature   [D]            the backbone's pooled feature of the last inference (what the classifier saw)
 */
/**
 * The ABI this host speaks; a module that reports another (`abi_version()`) is refused.
 * 2: adds `num_features` and `feature_ptr` (the pooled feature, for gestures taught on the device).
 */
export const ABI_VERSION = 2;

/** Every export of a recognizer: the host's name for it (key) → the module's export name (value). */
export const ABI_EXPORTS = {
  /** The module's linear memory, which holds every buffer. */
  memory: 'memory',
  // metadata
  /** The ABI version the module was compiled for. */
  abiVersion: 'abi_version',
  /** Classes K (length of logits and probs). */
  numClasses: 'num_classes',
  /** Joints V per person. */
  numJoints: 'num_joints',
  /** Person slots M per frame. */
  numPersons: 'num_persons',
  /** Coordinates C per joint (3: x y z, or x y score). */
  numCoords: 'num_coords',
  /** Length D of the pooled feature the classifier reads. */
  numFeatures: 'num_features',
  /** Frames T the network sees after preprocessing. */
  modelFrames: 'model_frames',
  /** Frames the streaming ring keeps. */
  windowFrames: 'window_frames',
  /** 0 joint, 1 bone, 2 joint-motion, 3 bone-motion (MODALITY_CODES). */
  modality: 'modality',
  /** Bytes of linear memory the module uses in total; fixed after instantiation. */
  memoryBytes: 'memory_bytes',
  // buffers
  /** Where the host writes one frame [M][V][C] before `push_frame`. */
  framePtr: 'frame_ptr',
  /** Where the host writes a whole recording [F][M][V][C] before `classify_sequence`. */
  sequencePtr: 'sequence_ptr',
  /** Frames the sequence buffer holds at most. */
  sequenceCapacity: 'sequence_capacity',
  /** The network's input [C][T][V][M]. */
  inputPtr: 'input_ptr',
  /** Raw class scores [K] of the last inference. */
  logitsPtr: 'logits_ptr',
  /** Softmax [K] of the last inference. */
  probsPtr: 'probs_ptr',
  /** The backbone's pooled feature [D] of the last inference: the classifier's input, averaged over persons. */
  featurePtr: 'feature_ptr',
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
  /** Frames given to `push_frame` since the last reset. */
  framesPushed: 'frames_pushed',
  /** Of those, frames dropped as broken (STATUS.nonFinite). */
  framesRejected: 'frames_rejected',
  /** Frames currently in the ring that hold at least one person. */
  validFrames: 'valid_frames',
} as const;

/**
 * A threaded recognizer (`cocodiff compile --threads N`, N ≥ 2) splits each inference over N threads:
 * the host's own (thread 0) and N − 1 workers it starts. It exports all of ABI_EXPORTS and these,
 * and imports THREAD_IMPORTS from `env` as well as `env.abort`. Its sidecar says so (`threads`).
 */
export const THREAD_EXPORTS = {
  /** N, the threads the module was compiled for (the host's own included). */
  numThreads: 'num_threads',
  /** `thread_main(tid)`, tid in 1..N−1: a worker's loop; it returns only after `stop_threads`. */
  threadMain: 'thread_main',
  /** Makes every `thread_main` return (the host then ends its workers). */
  stopThreads: 'stop_threads',
} as const;

/** What a threaded recognizer imports from `env`, by the host's name for it. */
export const THREAD_IMPORTS = {
  /** Its linear memory: shared, `threads.memoryPages` pages (initial = maximum), made by the host and given to every thread. */
  memory: 'memory',
  /** `thread_wait(address, expected)`: block while the i32 at that byte address equals expected (`Atomics.wait`); on a thread that may not block (a browser's main thread), return at once. */
  wait: 'thread_wait',
  /** `thread_notify(address, count)`: wake up to count threads waiting on that address (`Atomics.notify`). */
  notify: 'thread_notify',
} as const;

/**
 * The largest coordinate magnitude a frame may hold. Real skeletons are metres, millimetres or
 * pixels, far below it; a value beyond it (or NaN, or ±inf) is a broken frame. `push_frame` counts
 * and drops such a frame, `classify_sequence` leaves it out, and the dataset cache refuses it: a
 * finite ±3e38 would otherwise overflow in preprocessing and turn every later prediction into NaN.
 */
export const MAX_COORDINATE = 1e6;

/** What `push_frame`, `infer` and `classify_sequence` return. */
export const STATUS = {
  /** Done. */
  ok: 0,
  /** The frame held NaN, infinite values or one beyond ±MAX_COORDINATE; it was counted and skipped. */
  nonFinite: -1,
  /** No valid frame in the window or sequence: nothing to classify. */
  empty: -2,
  /** `classify_sequence` was given more frames than `sequence_capacity()`, or fewer than 1. */
  badLength: -3,
} as const;

export const MODALITY_CODES = { joint: 0, bone: 1, 'joint-motion': 2, 'bone-motion': 3 } as const;
/** The build constant PROTOCOL of runtime-as/assembly/preprocess.ts, by PreprocessSpec.protocol. */
export const PROTOCOL_CODES = { ntu: 0, ucla: 1 } as const;
