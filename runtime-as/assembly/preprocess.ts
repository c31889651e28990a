/**
 * Test-time preprocessing inside the module, numerically the trainer's `preprocess()` at test time
 * (trainer/data/preprocess.ts; the spec is in docs/data.md): valid frames only, centring on
 * person 0's centre joint, then by PROTOCOL either (ntu) the centred 95 % crop and a linear resize
 * to MODEL_T frames with align_corners = false, or (ucla, trainer/data/preprocess-ucla.ts) min–max
 * normalisation of each position coordinate to [−1, 1] over all the valid frames and MODEL_T frames
 * at linspace(0, n − 1, MODEL_T) truncated; then the model's modality. Input: pointers to the valid
 * frames ([M][V][C] float32 each), oldest first, and their person masks. Output: [C][T][V][M].
 *
 * Interpolation, normalisation and index arithmetic run in f64 in the same order as the trainer's
 * JavaScript, so crop bounds, weights and frame indices are the same numbers, not merely close ones.
 */
import { MAX_COORDINATE } from './abi';
import { CENTRE_COORDS, CENTRE_JOINT, IN_C, IN_M, IN_V, MODALITY, MODEL_T, PARENTS, POSITION_COORDS, PROTOCOL, TEST_CROP_RATIO } from './config';

const PERSON_FLOATS: i32 = IN_V * IN_C;

/** Bit m set when person m has any non-zero coordinate in the frame at `frame`. */
export function framePersonMask(frame: usize): i32 {
  let mask = 0;
  for (let m = 0; m < IN_M; m++) {
    const person = frame + (<usize>(m * PERSON_FLOATS) << 2);
    for (let i = 0; i < PERSON_FLOATS; i++) {
      if (load<f32>(person + (<usize>i << 2)) != 0) {
        mask |= 1 << m;
        break;
      }
    }
  }
  return mask;
}


/**
 * True when every value of the `floats` floats at `ptr` is finite and within ±MAX_COORDINATE: a
 * finite 3e38 would overflow in centring and poison every later prediction with NaN.
 */
export function allSane(ptr: usize, floats: i32): bool {
  for (let i = 0; i < floats; i++) {
    const x = load<f32>(ptr + (<usize>i << 2));
    if (!(abs<f32>(x) <= MAX_COORDINATE)) return false; // NaN compares false too
  }
  return true;
}

// The origin subtracted from present persons' first CENTRE_COORDS coordinates (f32, as stored).
const origin: usize = memory.data(16, 16);
// One [V][M] row of the input, for the bone modality (which reads parents before they change).
const row: usize = memory.data(IN_V * IN_M * 4, 16);

function chooseOrigin(ptrs: usize, masks: usize, n: i32): void {
  memory.fill(origin, 0, 16);
  if (CENTRE_COORDS <= 0 || CENTRE_JOINT < 0) return;
  // Person 0's first present frame; if person 0 never appears, the first present person of the
  // first valid frame (every valid frame has one).
  let frame: usize = 0;
  let person = -1;
  for (let k = 0; k < n; k++) {
    if (load<i32>(masks + (<usize>k << 2)) & 1) {
      frame = load<usize>(ptrs + (<usize>k << alignof<usize>()));
      person = 0;
      break;
    }
  }
  if (person < 0) {
    frame = load<usize>(ptrs);
    person = ctz(load<i32>(masks));
  }
  const joint = frame + (<usize>((person * IN_V + CENTRE_JOINT) * IN_C) << 2);
  for (let c = 0; c < CENTRE_COORDS; c++) store<f32>(origin + (<usize>c << 2), load<f32>(joint + (<usize>c << 2)));
}

/** Value (m, v, c) of a valid frame after centring; absent persons stay zero. */
@inline function centred(frame: usize, mask: i32, m: i32, v: i32, c: i32): f64 {
  const x = load<f32>(frame + (<usize>((m * IN_V + v) * IN_C + c) << 2));
  if (c < CENTRE_COORDS && (mask >> m) & 1) return <f64>(x - load<f32>(origin + (<usize>c << 2)));
  return <f64>x;
}

/** Preprocesses `n` ≥ 1 valid frames into the network input at `out`. */
export function preprocessFrames(ptrs: usize, masks: usize, n: i32, out: usize): void {
  chooseOrigin(ptrs, masks, n);
  // PROTOCOL: 0 ntu, 1 ucla (PROTOCOL_CODES).
  if (PROTOCOL == 1) sampleNormalised(ptrs, masks, n, out);
  else cropResize(ptrs, masks, n, out);
  // MODALITY: 0 joint, 1 bone, 2 joint-motion, 3 bone-motion.
  if (MODALITY == 1 || MODALITY == 3) toBones(out);
  if (MODALITY == 2 || MODALITY == 3) toMotion(out);
}

function cropResize(ptrs: usize, masks: usize, n: i32, out: usize): void {
  const bias = <i32>Math.floor(((1.0 - TEST_CROP_RATIO) * <f64>n) / 2.0);
  const L = n - 2 * bias;
  for (let t = 0; t < MODEL_T; t++) {
    let src = ((<f64>t + 0.5) * <f64>L) / <f64>MODEL_T - 0.5;
    if (src < 0) src = 0;
    const i0 = <i32>Math.floor(src);
    const i1 = i0 + 1 < L ? i0 + 1 : L - 1;
    const w = src - <f64>i0;
    const a = load<usize>(ptrs + (<usize>(bias + i0) << alignof<usize>()));
    const b = load<usize>(ptrs + (<usize>(bias + i1) << alignof<usize>()));
    const maskA = load<i32>(masks + (<usize>(bias + i0) << 2));
    const maskB = load<i32>(masks + (<usize>(bias + i1) << 2));
    for (let c = 0; c < IN_C; c++) {
      for (let v = 0; v < IN_V; v++) {
        for (let m = 0; m < IN_M; m++) {
          const y = (1.0 - w) * centred(a, maskA, m, v, c) + w * centred(b, maskB, m, v, c);
          store<f32>(out + (<usize>(((c * MODEL_T + t) * IN_V + v) * IN_M + m) << 2), <f32>y);
        }
      }
    }
  }
}

// Per position coordinate, the clip's minimum and maximum after centring (f64).
const lows: usize = memory.data(3 * 8, 16);
const highs: usize = memory.data(3 * 8, 16);

/** The ucla protocol: every present joint's position coordinates over all n frames give each one's range. */
function findRanges(ptrs: usize, masks: usize, n: i32): void {
  for (let c = 0; c < POSITION_COORDS; c++) {
    store<f64>(lows + (<usize>c << 3), Infinity);
    store<f64>(highs + (<usize>c << 3), -Infinity);
  }
  for (let k = 0; k < n; k++) {
    const frame = load<usize>(ptrs + (<usize>k << alignof<usize>()));
    const mask = load<i32>(masks + (<usize>k << 2));
    for (let m = 0; m < IN_M; m++) {
      if (!((mask >> m) & 1)) continue;
      for (let v = 0; v < IN_V; v++) {
        for (let c = 0; c < POSITION_COORDS; c++) {
          const x = centred(frame, mask, m, v, c);
          const lo = lows + (<usize>c << 3);
          const hi = highs + (<usize>c << 3);
          store<f64>(lo, min<f64>(load<f64>(lo), x));
          store<f64>(hi, max<f64>(load<f64>(hi), x));
        }
      }
    }
  }
}

/** The ucla protocol: MODEL_T frames at linspace(0, n − 1, MODEL_T) truncated, each position min–max normalised to [−1, 1] (0 where it never varies). */
function sampleNormalised(ptrs: usize, masks: usize, n: i32, out: usize): void {
  findRanges(ptrs, masks, n);
  const step = MODEL_T > 1 ? <f64>(n - 1) / <f64>(MODEL_T - 1) : 0.0;
  for (let t = 0; t < MODEL_T; t++) {
    const k = t == MODEL_T - 1 && MODEL_T > 1 ? n - 1 : <i32>(<f64>t * step); // numpy: linspace(0, n − 1, 1) is [0]
    const frame = load<usize>(ptrs + (<usize>k << alignof<usize>()));
    const mask = load<i32>(masks + (<usize>k << 2));
    for (let c = 0; c < IN_C; c++) {
      const lo = c < POSITION_COORDS ? load<f64>(lows + (<usize>c << 3)) : 0.0;
      const hi = c < POSITION_COORDS ? load<f64>(highs + (<usize>c << 3)) : 0.0;
      for (let v = 0; v < IN_V; v++) {
        for (let m = 0; m < IN_M; m++) {
          let y = centred(frame, mask, m, v, c);
          if (c < POSITION_COORDS && (mask >> m) & 1) y = hi > lo ? ((y - lo) / (hi - lo)) * 2 - 1 : 0.0;
          store<f32>(out + (<usize>(((c * MODEL_T + t) * IN_V + v) * IN_M + m) << 2), <f32>y);
        }
      }
    }
  }
}

function toBones(x: usize): void {
  const rowBytes: usize = <usize>(IN_V * IN_M) << 2;
  for (let ct = 0; ct < IN_C * MODEL_T; ct++) {
    const at = x + <usize>ct * rowBytes;
    memory.copy(row, at, rowBytes);
    for (let v = 0; v < IN_V; v++) {
      const p = unchecked(PARENTS[v]);
      for (let m = 0; m < IN_M; m++) {
        const bone = load<f32>(row + (<usize>(v * IN_M + m) << 2)) - load<f32>(row + (<usize>(p * IN_M + m) << 2));
        store<f32>(at + (<usize>(v * IN_M + m) << 2), bone);
      }
    }
  }
}

/** x[:, t] ← x[:, t+1] − x[:, t], and 0 at the last frame; ascending t reads x[t+1] unchanged. */
function toMotion(x: usize): void {
  const frameFloats = IN_V * IN_M;
  for (let c = 0; c < IN_C; c++) {
    const plane = x + (<usize>(c * MODEL_T * frameFloats) << 2);
    for (let t = 0; t < MODEL_T - 1; t++) {
      for (let i = 0; i < frameFloats; i++) {
        const here = plane + (<usize>(t * frameFloats + i) << 2);
        store<f32>(here, load<f32>(here + (<usize>frameFloats << 2)) - load<f32>(here));
      }
    }
    memory.fill(plane + (<usize>((MODEL_T - 1) * frameFloats) << 2), 0, <usize>frameFloats << 2);
  }
}
