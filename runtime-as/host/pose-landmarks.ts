/**
 * BlazePose's 33 landmarks → one COCO-17 person as the recognizer reads it: 17 joints × [x, y, score],
 * x and y in pixels of the image (y down), score in [0, 1].
 *
 * BlazePose (MediaPipe Pose, `@mediapipe/pose`, `@mediapipe/tasks-vision`) reports each landmark as
 * {x, y, z, visibility} with x and y normalised to the image's width and height. Its left and right
 * are the person's own, as COCO's are. Seventeen of its landmarks are COCO's joints under the same
 * names; the others (inner and outer eye corners, mouth, hands, heels, toes) have no COCO joint.
 *
 * A joint the estimator is unsure of (visibility below `minVisibility`) or that lies outside the
 * image becomes x = y = score = 0: how the synthetic camera data (trainer/data/synth/camera.ts) marks
 * the joints an estimator missed, so a camera model sees the same thing for the same event.
 */
import { UserError } from '../shared/errors.ts';
import { COCO17 } from '../shared/layouts.ts';

/** BlazePose's landmark names in its output order (MediaPipe's `POSE_LANDMARKS`). */
export const BLAZEPOSE33_LANDMARKS: readonly string[] = Object.freeze([
  'nose', 'left_eye_inner', 'left_eye', 'left_eye_outer', 'right_eye_inner', 'right_eye', 'right_eye_outer',
  'left_ear', 'right_ear', 'mouth_left', 'mouth_right', 'left_shoulder', 'right_shoulder',
  'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_pinky', 'right_pinky',
  'left_index', 'right_index', 'left_thumb', 'right_thumb', 'left_hip', 'right_hip',
  'left_knee', 'right_knee', 'left_ankle', 'right_ankle', 'left_heel', 'right_heel',
  'left_foot_index', 'right_foot_index',
]);

/** For each COCO-17 joint, the BlazePose landmark of the same name. */
const FROM_BLAZEPOSE: readonly number[] = COCO17.joints.map((name) => {
  const at = BLAZEPOSE33_LANDMARKS.indexOf(name);
  if (at < 0) throw new Error(`BlazePose has no landmark named ${name}`); // a bug in the tables, not the user's input
  return at;
});

/** One landmark as MediaPipe reports it: x and y normalised to the image (0..1), visibility 0..1. */
export interface BlazePoseLandmark {
  /** Across the image, 0 at the left edge, 1 at the right. */
  x: number;
  /** Down the image, 0 at the top edge, 1 at the bottom. */
  y: number;
  /** Depth relative to the hips (unused: the recognizer's COCO-17 is 2D). */
  z?: number;
  /** MediaPipe's likelihood that the landmark is visible (not occluded); absent counts as 1. */
  visibility?: number;
}

/** The image the landmarks were found in, and how sure a joint must be to count. */
export interface BlazePoseOptions {
  /** The image's width in pixels. */
  width: number;
  /** The image's height in pixels. */
  height: number;
  /** Landmarks with a lower visibility are missed joints (x = y = score = 0). Default 0.5. */
  minVisibility?: number;
}

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * One COCO-17 person, 17 × [x, y, score] (51 floats, in pixels), from one person's 33 BlazePose
 * landmarks: what {@link Recognizer.push} takes as a body (`r.push([fromBlazePose(lm, size)])`).
 * A UserError when there are not exactly 33 landmarks, when one lacks a numeric x or y, or when the
 * image size is not a pair of positive numbers.
 */
export function fromBlazePose(landmarks: ArrayLike<BlazePoseLandmark>, opts: BlazePoseOptions): Float32Array {
  const { width, height, minVisibility = 0.5 } = opts ?? ({} as BlazePoseOptions);
  if (!positive(width) || !positive(height)) throw new UserError(`fromBlazePose: expected the image's width and height in pixels, found ${JSON.stringify({ width, height })}`);
  if (typeof minVisibility !== 'number' || !(minVisibility >= 0 && minVisibility <= 1)) throw new UserError(`fromBlazePose: minVisibility: expected a number in [0, 1], found ${JSON.stringify(minVisibility)}`);
  if (!landmarks || typeof landmarks.length !== 'number') throw new UserError(`fromBlazePose: expected a list of ${BLAZEPOSE33_LANDMARKS.length} BlazePose landmarks, found ${typeof landmarks}`);
  if (landmarks.length !== BLAZEPOSE33_LANDMARKS.length) {
    throw new UserError(`fromBlazePose: ${landmarks.length} landmarks, expected BlazePose's ${BLAZEPOSE33_LANDMARKS.length} (one person's pose landmarks, not a face or hand model's)`);
  }
  const out = new Float32Array(COCO17.joints.length * 3);
  FROM_BLAZEPOSE.forEach((at, v) => {
    const lm = landmarks[at];
    const name = BLAZEPOSE33_LANDMARKS[at];
    if (!lm || typeof lm !== 'object' || typeof lm.x !== 'number' || typeof lm.y !== 'number') {
      throw new UserError(`fromBlazePose: landmark ${at} (${name}): expected {x, y, visibility} numbers, found ${JSON.stringify(lm)}`);
    }
    const visibility = lm.visibility ?? 1;
    if (typeof visibility !== 'number') throw new UserError(`fromBlazePose: landmark ${at} (${name}): visibility: expected a number, found ${JSON.stringify(visibility)}`);
    const inImage = lm.x >= 0 && lm.x <= 1 && lm.y >= 0 && lm.y <= 1; // false for NaN too
    if (!inImage || !(visibility >= minVisibility)) return; // missed: left at zero
    out[v * 3] = lm.x * width;
    out[v * 3 + 1] = lm.y * height;
    // A seen joint keeps a positive score: zero means "missed" to the recognizer and the trainer.
    out[v * 3 + 2] = Math.min(1, Math.max(visibility, 1e-3));
  });
  return out;
}
