/**
 * The recognizer's ABI: every function listed in runtime-as/shared/abi.ts, named by its ABI_EXPORTS key. The
 * compiler copies this directory next to the files it generates for one model and builds the
 * generated entry, exports.ts, which exports each of these under its ABI name (abiVersion as
 * abi_version, ...).
 *
 *   network.ts  network_forward(input, logits): the network on [C][T][V][M] → [K] logits;
 *               FEATURE, NUM_FEATURES: where its pooled feature (the classifier's input) stays
 *   config.ts   NUM_CLASSES, IN_C, MODEL_T, IN_V, IN_M, WINDOW_FRAMES, SEQUENCE_CAPACITY, MODALITY,
 *               CENTRE_JOINT, CENTRE_COORDS (0 = no centring), TEST_CROP_RATIO, PROTOCOL (PROTOCOL_CODES),
 *               POSITION_COORDS, PARENTS
 *   abi.ts      ABI_VERSION, STATUS_*, MAX_COORDINATE (from runtime-as/shared/abi.ts)
 *
 * Every buffer is static (memory.data): after instantiation nothing allocates, so the module's
 * memory is the same size after a million frames as after one.
 */
import {
  IN_C, IN_M, IN_V, MODALITY, MODEL_T, NUM_CLASSES, SEQUENCE_CAPACITY, WINDOW_FRAMES,
} from './config';
import { ABI_VERSION, STATUS_BAD_LENGTH, STATUS_EMPTY, STATUS_NON_FINITE, STATUS_OK } from './abi';
import { FEATURE, NUM_FEATURES, network_forward } from './network';
import { allSane, framePersonMask, preprocessFrames } from './preprocess';
import { ringClear, ringGatherValid, ringPush, ringValidFrames } from './ring';

const FRAME_FLOATS: i32 = IN_M * IN_V * IN_C;
const FRAME_BYTES: usize = <usize>FRAME_FLOATS << 2;

const frame: usize = memory.data(IN_M * IN_V * IN_C * 4, 16);
const sequence: usize = memory.data(SEQUENCE_CAPACITY * IN_M * IN_V * IN_C * 4, 16);
const input: usize = memory.data(IN_C * MODEL_T * IN_V * IN_M * 4, 16);
const logits: usize = memory.data(NUM_CLASSES * 4, 16);
const probs: usize = memory.data(NUM_CLASSES * 4, 16);
// The valid frames handed to preprocessing: pointers and person masks, for a window or a sequence.
const validPtrs: usize = memory.data((WINDOW_FRAMES + SEQUENCE_CAPACITY) * 4, 16);
const validMasks: usize = memory.data((WINDOW_FRAMES + SEQUENCE_CAPACITY) * 4, 16);

let pushed: i32 = 0;
let rejected: i32 = 0;

// ---- metadata -------------------------------------------------------------------------------
export function abiVersion(): i32 { return ABI_VERSION; }
export function numClasses(): i32 { return NUM_CLASSES; }
export function numJoints(): i32 { return IN_V; }
export function numPersons(): i32 { return IN_M; }
export function numCoords(): i32 { return IN_C; }
export function numFeatures(): i32 { return NUM_FEATURES; }
export function modelFrames(): i32 { return MODEL_T; }
export function windowFrames(): i32 { return WINDOW_FRAMES; }
export function modality(): i32 { return MODALITY; }
/** All of linear memory: static data, the network's arena and the stack; it never grows. */
export function memoryBytes(): i32 { return <i32>(memory.size() << 16); }

// ---- buffers --------------------------------------------------------------------------------
export function framePtr(): usize { return frame; }
export function sequencePtr(): usize { return sequence; }
export function sequenceCapacity(): i32 { return SEQUENCE_CAPACITY; }
export function inputPtr(): usize { return input; }
export function logitsPtr(): usize { return logits; }
export function probsPtr(): usize { return probs; }
/** Written by every inference: the host reads it to teach new gestures over the frozen backbone. */
export function featurePtr(): usize { return FEATURE; }

// ---- streaming ------------------------------------------------------------------------------
/** Appends the frame buffer to the ring. A frame with NaN, ±inf or a value beyond ±MAX_COORDINATE is counted and dropped. */
export function pushFrame(): i32 {
  pushed++;
  if (!allSane(frame, FRAME_FLOATS)) {
    rejected++;
    return STATUS_NON_FINITE;
  }
  ringPush(frame);
  return STATUS_OK;
}

/** Classifies the ring's window (oldest → newest). */
export function infer(): i32 {
  const n = ringGatherValid(validPtrs, validMasks);
  if (n == 0) return STATUS_EMPTY;
  preprocessFrames(validPtrs, validMasks, n, input);
  return runNetwork();
}

/**
 * Classifies the first `frames` frames of the sequence buffer. Frames without a person, and
 * frames with NaN, ±inf or values beyond ±MAX_COORDINATE (a recording's dropouts), are left out as invalid frames.
 */
export function classifySequence(frames: i32): i32 {
  if (frames < 1 || frames > SEQUENCE_CAPACITY) return STATUS_BAD_LENGTH;
  let n = 0;
  for (let f = 0; f < frames; f++) {
    const at = sequence + <usize>f * FRAME_BYTES;
    if (!allSane(at, FRAME_FLOATS)) continue;
    const mask = framePersonMask(at);
    if (mask == 0) continue;
    store<usize>(validPtrs + (<usize>n << alignof<usize>()), at);
    store<i32>(validMasks + (<usize>n << 2), mask);
    n++;
  }
  if (n == 0) return STATUS_EMPTY;
  preprocessFrames(validPtrs, validMasks, n, input);
  return runNetwork();
}

/** The network alone on the input buffer as the host wrote it. */
export function inferInput(): i32 {
  return runNetwork();
}

export function reset(): void {
  ringClear();
  pushed = 0;
  rejected = 0;
}

/** Every call of push_frame, rejected ones included. */
export function framesPushed(): i32 { return pushed; }
export function framesRejected(): i32 { return rejected; }
export function validFrames(): i32 { return ringValidFrames(); }

function runNetwork(): i32 {
  network_forward(input, logits);
  softmax(logits, probs, NUM_CLASSES);
  return STATUS_OK;
}

function softmax(x: usize, y: usize, k: i32): void {
  let max = load<f32>(x);
  for (let i = 1; i < k; i++) max = Mathf.max(max, load<f32>(x + (<usize>i << 2)));
  let sum: f32 = 0;
  for (let i = 0; i < k; i++) {
    const e = Mathf.exp(load<f32>(x + (<usize>i << 2)) - max);
    store<f32>(y + (<usize>i << 2), e);
    sum += e;
  }
  const inv: f32 = 1 / sum;
  for (let i = 0; i < k; i++) store<f32>(y + (<usize>i << 2), load<f32>(y + (<usize>i << 2)) * inv);
}
