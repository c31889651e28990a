/**
 * The keypoints `cocodiff video` writes: the NDJSON frame format that `cocodiff stream --input` reads
 * (runtime-as/host/ndjson.ts), one line per decoded frame, COCO-17 with scores, in pixels of the
 * video's frame scaled to the 1920-pixel width camera models are trained on (`size`; a 1920×1080
 * video's own pixels):
 *
 *   {"format":"cocodiff-video-keypoints","video":"clip.avi","videoSize":[640,480],"size":[1920,1440],"fps":30,"t":0,"frame":0,"layout":"coco17","bodies":[[x0,y0,s0, … x16,y16,s16]]}
 *   {"t":33.333,"frame":1,"layout":"coco17","bodies":[]}          (nobody found in this frame)
 *
 * The first line also says what the file is and where it came from (the reader ignores fields it
 * does not know), which lets a later run replace the file without --force.
 */
import type { FileKind } from '../../common/output-file.ts';

export const KEYPOINTS_FORMAT = 'cocodiff-video-keypoints';

/** What the first line says of the video. */
export interface KeypointsHeader {
  video: string;
  /** The video's frame in pixels. */
  videoSize: [number, number];
  /** The image the keypoints are measured in (the frame scaled to the camera models' width). */
  size: [number, number];
  fps: number;
}

/** Pixel coordinates to a hundredth of a pixel and scores to 1e-4: finer is noise, and lines stay short. */
const rounded = (body: Float32Array): number[] => Array.from(body, (v, i) => (i % 3 === 2 ? Math.round(v * 1e4) / 1e4 : Math.round(v * 100) / 100));

/** One frame as a line (with its newline); `header` on the first line only. */
export function keypointsLine(frame: { index: number; t: number; body: Float32Array | null }, header?: KeypointsHeader): string {
  const line = {
    ...(header ? { format: KEYPOINTS_FORMAT, ...header } : {}),
    t: Math.round(frame.t * 1000) / 1000,
    frame: frame.index,
    layout: 'coco17',
    bodies: frame.body ? [rounded(frame.body)] : [],
  };
  return JSON.stringify(line) + '\n';
}

/** A keypoints file that `cocodiff video` wrote: its first line names the format. */
export const KEYPOINTS_FILE: FileKind = {
  name: 'keypoints file',
  isOurs: (bytes) => {
    const end = bytes.indexOf(0x0a);
    try {
      const first = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(end < 0 ? bytes : bytes.subarray(0, end))) as { format?: unknown };
      return first?.format === KEYPOINTS_FORMAT;
    } catch {
      return false;
    }
  },
};
