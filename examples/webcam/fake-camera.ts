/**
 * A real video as the webcam: ffmpeg turns it into the raw y4m file Chromium plays as a fake camera
 * (`--use-file-for-fake-video-capture`, looped), and a headless Chromium (common/chromium.ts) is launched with it.
 * Used by the page's test (tests/examples/webcam.test.ts) and by screenshot.ts.
 */
import { spawnSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { CHROMIUM_FLAGS, findChromium } from '../../common/chromium.ts';

/** True when an `ffmpeg` runs from PATH. */
export function haveFfmpeg(): boolean {
  return spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
}

/** Writes `seconds` of `video` (any format ffmpeg reads) as y4m (yuv420p) at `width` × `height` and `fps`. */
export function videoToY4m(video: string, y4m: string, opts: { width: number; height: number; fps: number; seconds: number }): void {
  const run = spawnSync('ffmpeg', [
    '-v', 'error', '-y', '-i', video, '-t', String(opts.seconds),
    '-vf', `scale=${opts.width}:${opts.height},fps=${opts.fps}`, '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', y4m,
  ], { encoding: 'utf8' });
  if (run.error) throw new UserError(`ffmpeg: ${run.error.message} (install it: apt-get install ffmpeg)`);
  if (run.status !== 0) throw new UserError(`${video}: ffmpeg could not convert it to y4m: ${run.stderr.trim().split('\n').pop()}`);
}

/**
 * Headless chromium (a fresh profile) whose camera plays `y4m` and whose camera permission is
 * granted. `y4m` null: no camera at all; `permission: false`: every camera request is refused.
 */
export function launchWithFakeCamera(y4m: string | null, opts: { permission?: boolean } = {}): Promise<Browser> {
  const args = [...CHROMIUM_FLAGS];
  if (y4m) args.push('--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`);
  // Without the fake prompt, headless chromium answers a camera request with "denied".
  if (opts.permission ?? true) args.push('--use-fake-ui-for-media-stream');
  return chromium.launch({ executablePath: findChromium(), args });
}
