/**
 * The frame ring: the last WINDOW_FRAMES accepted camera frames, oldest overwritten first.
 * Storage is static (memory.data), so pushing never allocates. Each slot remembers whether its
 * frame holds a person, so `valid_frames` and `infer` need not rescan the window.
 */
import { IN_C, IN_M, IN_V, WINDOW_FRAMES } from './config';
import { framePersonMask } from './preprocess';

const FRAME_FLOATS: i32 = IN_M * IN_V * IN_C;
const FRAME_BYTES: usize = <usize>FRAME_FLOATS << 2;

const slots: usize = memory.data(WINDOW_FRAMES * IN_M * IN_V * IN_C * 4, 16);
/** Per slot: bit m set when person m is present in that frame (0 = no person). */
const masks: usize = memory.data(WINDOW_FRAMES * 4, 16);

let head: i32 = 0; // slot the next frame goes to
let count: i32 = 0; // frames held, ≤ WINDOW_FRAMES
let valid: i32 = 0; // frames held that contain at least one person

export function ringClear(): void {
  head = 0;
  count = 0;
  valid = 0;
}

/** Copies one finite frame into the ring. */
export function ringPush(frame: usize): void {
  const slot = slots + <usize>head * FRAME_BYTES;
  const maskAt = masks + (<usize>head << 2);
  if (count == WINDOW_FRAMES && load<i32>(maskAt) != 0) valid--;
  memory.copy(slot, frame, FRAME_BYTES);
  const mask = framePersonMask(slot);
  store<i32>(maskAt, mask);
  if (mask != 0) valid++;
  head = head + 1 == WINDOW_FRAMES ? 0 : head + 1;
  if (count < WINDOW_FRAMES) count++;
}

export function ringValidFrames(): i32 {
  return valid;
}

/**
 * Writes the pointers and person masks of the ring's frames that hold a person, oldest first,
 * into `ptrs` / `outMasks`; returns how many.
 */
export function ringGatherValid(ptrs: usize, outMasks: usize): i32 {
  let slot = count < WINDOW_FRAMES ? 0 : head;
  let n = 0;
  for (let i = 0; i < count; i++) {
    const mask = load<i32>(masks + (<usize>slot << 2));
    if (mask != 0) {
      store<usize>(ptrs + (<usize>n << alignof<usize>()), slots + <usize>slot * FRAME_BYTES);
      store<i32>(outMasks + (<usize>n << 2), mask);
      n++;
    }
    slot = slot + 1 == WINDOW_FRAMES ? 0 : slot + 1;
  }
  return n;
}
