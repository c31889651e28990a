/**
 * The image camera models measure bodies in. They are trained on the synthetic camera's 1920-pixel-wide
 * frames (trainer/data/synth/camera.ts), and keypoints are pixels, so a frame of any other size is
 * scaled to that width first (the webcam page, `cocodiff video`): the body then measures what it
 * measured in training, whatever the camera's resolution.
 */
export const CAMERA_MODEL_WIDTH = 1920;

/** An image size in pixels. */
export interface FrameSize {
  /** Pixels across. */
  width: number;
  /** Pixels down. */
  height: number;
}

/** The size a `width` × `height` frame is scaled to for a camera model: CAMERA_MODEL_WIDTH wide, the same aspect. */
export function cameraModelFrame(width: number, height: number): FrameSize {
  return { width: CAMERA_MODEL_WIDTH, height: (height * CAMERA_MODEL_WIDTH) / width };
}
