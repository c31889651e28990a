/**
 * `cocodiff video` as a user runs it (bin/cocodiff.js in its own process): one-line refusals when
 * ffmpeg is missing or the file is no video; a video with nobody in it (ffmpeg's testsrc, made here);
 * the real clip of people in tests/fixtures/video (an Apache-2.0 excerpt of mmaction2's
 * demo_skeleton.mp4), whose keypoints must agree with BlazePose run in a page on the frames Chromium
 * decodes itself, and whose NDJSON must give `cocodiff stream` the timeline `video --model` printed.
 *
 * Needs ffmpeg and /usr/bin/chromium (`.ci/run` installs both); without them those tests skip and say so.
 * COCODIFF_TEST_VIDEO=clip.mp4 (a video of one person, e.g. the NTU clip in mmaction2, which may not be
 * redistributed) runs the person checks on it too.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cameraModelFrame, fromBlazePose, parseFrameLine, type BlazePoseLandmark } from 'cocodiff-runtime';
import { Rng } from '../../common/rng.ts';
import { checkOutputFile } from '../../common/output-file.ts';
import { KEYPOINTS_FILE } from '../../cli/video/keypoints-file.ts';
import { DEFAULT_BLAZEPOSE, loadEstimatorPage } from '../../cli/video/blazepose.ts';
import { CHROMIUM_FLAGS, chromiumOrNull } from '../../common/chromium.ts';
import { buildFixtureWasm } from '../runtime/fixture-wasm.ts';

const BIN = join(import.meta.dirname, '../../bin/cocodiff.js');
const CLIP = fileURLToPath(new URL('../fixtures/video/demo-skeleton-320x240.mp4', import.meta.url));
const CHROMIUM = chromiumOrNull();
const haveFfmpeg = ['ffmpeg', 'ffprobe'].every((tool) => spawnSync(tool, ['-version'], { stdio: 'ignore' }).status === 0);
const canRun = haveFfmpeg && CHROMIUM !== null;
if (!canRun) console.warn(`cocodiff video tests SKIPPED: they need ffmpeg and ffprobe on PATH and a Chromium (.ci/run installs them)`);
const OWN_VIDEO = process.env.COCODIFF_TEST_VIDEO;
if (!OWN_VIDEO) console.warn('cocodiff video: the person checks on COCODIFF_TEST_VIDEO SKIPPED (unset); they run on the committed clip only');

let dir: string;
let wasmPath: string;

/** Runs `cocodiff ARGS`; `path` replaces PATH (node itself is run by its full path). */
function cocodiff(args: string[], opts: { path?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = opts.path === undefined ? process.env : { ...process.env, PATH: opts.path };
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function ffmpeg(...args: string[]): void {
  const run = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${run.stderr}`);
}

/**
 * Chromium's software WebGL makes BlazePose slow on a busy machine (1.5–3 s a frame measured on two
 * shared cores): these tests get room, so that only a hang fails them.
 */
const CHROMIUM_TEST_MS = 900_000;

const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-video-'));
  // A stand-in COCO-17 recognizer (2 persons, as camera models are): this checks plumbing, not accuracy.
  ({ wasmPath } = await buildFixtureWasm(join(dir, 'model'), { layout: 'coco17', classes: 5, T: 16, M: 2, windowFrames: 16, sequenceCapacity: 64, modality: 'joint', centre: true, testCropRatio: 0.95 }));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!haveFfmpeg)('refusals in one line', () => {
  it('names ffmpeg (or ffprobe) and how to install it when PATH has none', async () => {
    const empty = join(dir, 'no-tools');
    await mkdir(empty, { recursive: true });
    const none = await cocodiff(['video', CLIP], { path: empty });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('cocodiff: ffprobe not found on PATH: install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg; it brings ffprobe) so that it is on PATH\n');
    // ffprobe alone: the size is read, then decoding needs ffmpeg, said before Chromium starts (node
    // given as the Chromium would fail to start as one, with another message).
    const probeOnly = join(dir, 'probe-only');
    await mkdir(probeOnly, { recursive: true });
    await symlink(spawnSync('sh', ['-c', 'command -v ffprobe'], { encoding: 'utf8' }).stdout.trim(), join(probeOnly, 'ffprobe'));
    const noFfmpeg = await cocodiff(['video', CLIP, '--chromium', process.execPath], { path: probeOnly });
    expect(noFfmpeg.code).toBe(1);
    expect(noFfmpeg.stderr).toBe('cocodiff: ffmpeg not found on PATH: install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg; it brings ffprobe) so that it is on PATH\n');
  });

  it('names the file and repeats what ffmpeg said for a corrupt or pictureless file', async () => {
    const rng = new Rng(23);
    const noise = join(dir, 'noise.mp4');
    await writeFile(noise, Uint8Array.from({ length: 4096 }, () => Math.floor(rng.next() * 256)));
    const corrupt = await cocodiff(['video', noise]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toBe(`cocodiff: ${noise}: ffmpeg cannot read it as a video: Invalid data found when processing input\n`);
    // A real file in a real format, but sound only.
    const sound = join(dir, 'tone.wav');
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.5', sound);
    const audio = await cocodiff(['video', sound]);
    expect(audio.code).toBe(1);
    expect(audio.stderr).toBe(`cocodiff: ${sound}: no video stream in the file (ffmpeg reads it, but it holds no pictures)\n`);
    const missing = await cocodiff(['video', join(dir, 'absent.mp4')]);
    expect(missing.stderr).toBe(`cocodiff: ${join(dir, 'absent.mp4')}: cannot read the video: no such file or directory (ENOENT)\n`);
  });
});

describe.skipIf(!canRun)('a video with nobody in it', () => {
  it('records every frame as nobody, prints an empty timeline, and stream reads the keypoints file', async () => {
    const video = join(dir, 'testsrc.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-t', '1.2', '-pix_fmt', 'yuv420p', video);
    const out = join(dir, 'testsrc.ndjson');
    const run = await cocodiff(['video', video, '--out', out, '--model', wasmPath, '--stride', '4', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ frames: 12, framesWithPerson: 0, framesRefused: 0, fps: 10, width: 320, height: 240, timeline: [] });
    const written = lines(await readFile(out, 'utf8'));
    expect(written).toHaveLength(12);
    expect(JSON.parse(written[0])).toMatchObject({ format: 'cocodiff-video-keypoints', videoSize: [320, 240], size: [1920, 1440], fps: 10 });
    written.forEach((line, i) => expect(parseFrameLine(line, `line ${i + 1}`)).toEqual({ t: i * 100, layout: 'coco17', bodies: [] }));
    // The file is what `stream --input` reads: every frame pushed, no line skipped, nobody in view.
    const streamed = await cocodiff(['stream', wasmPath, '--input', out, '--stride', '4', '--no-realtime']);
    expect(streamed.code).toBe(0);
    expect(lines(streamed.stdout).filter((l) => /frame\s+\d+/.test(l)).every((l) => l.includes('(no action)'))).toBe(true);
    expect(lines(streamed.stdout).at(-1)).toMatch(/^12 frames pushed, 0 rejected .*, 0 malformed line\(s\) skipped/);
    // A later run may replace the file (its first line says what wrote it) without --force; not the user's file.
    await expect(checkOutputFile(out, KEYPOINTS_FILE)).resolves.toBeUndefined();
    const notes = join(dir, 'notes.ndjson');
    await writeFile(notes, '{"t": 0, "bodies": []}\n');
    await expect(checkOutputFile(notes, KEYPOINTS_FILE)).rejects.toThrow(/notes\.ndjson: exists and is not a keypoints file that cocodiff wrote/);
  }, CHROMIUM_TEST_MS);
});

/** Mean distance between two frames' joints that both found (pixels), and how many there were. */
function jointDistances(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const d: number[] = [];
  for (let v = 0; v < a.length / 3; v++) {
    if (a[v * 3 + 2] > 0 && b[v * 3 + 2] > 0) d.push(Math.hypot(a[v * 3] - b[v * 3], a[v * 3 + 1] - b[v * 3 + 1]));
  }
  return d;
}

const quantile = (xs: number[], q: number): number => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/** The keypoints of every frame of a keypoints file (null: nobody). */
async function readKeypoints(path: string): Promise<Array<{ t: number; body: number[] | null }>> {
  return lines(await readFile(path, 'utf8')).map((line, i) => {
    const f = parseFrameLine(line, `${path}:${i + 1}`)!;
    return { t: f.t!, body: f.bodies.length ? (f.bodies[0] as number[]) : null };
  });
}

/**
 * The reference: the same BlazePose page, fed by a <video> element that Chromium decodes itself
 * (as the webcam page draws its camera's frames), seeked to each time of `times` (ms), in order.
 */
async function estimateInPage(video: string, times: number[]): Promise<Array<BlazePoseLandmark[] | null>> {
  const browser = await chromium.launch({ executablePath: CHROMIUM!, args: CHROMIUM_FLAGS });
  try {
    const page = await browser.newPage();
    const bytes = new Uint8Array(await readFile(video));
    await loadEstimatorPage(page, DEFAULT_BLAZEPOSE, { '/clip': () => bytes });
    return await page.evaluate(async (times) => {
      const v = document.createElement('video');
      v.muted = true;
      v.src = URL.createObjectURL(await (await fetch('/clip')).blob());
      await new Promise((ok, fail) => { v.onloadeddata = ok; v.onerror = () => fail(new Error(`the page cannot play the video: ${v.error?.message}`)); });
      const canvas = document.createElement('canvas');
      canvas.width = v.videoWidth;
      canvas.height = v.videoHeight;
      const out = [];
      for (const t of times) {
        // A millisecond in: the frame shown is the one that starts at t (ffmpeg's pick for that time).
        v.currentTime = (t + 1) / 1000;
        await new Promise((ok) => (v.onseeked = ok));
        canvas.getContext('2d')!.drawImage(v, 0, 0);
        out.push(await (window as unknown as { estimator: { run(p: unknown, t: number): Promise<BlazePoseLandmark[] | null> } }).estimator.run(canvas, t));
      }
      return out;
    }, times);
  } finally {
    await browser.close();
  }
}

describe.skipIf(!canRun)('a real video of people', () => {
  for (const [what, video] of [['the committed clip (mmaction2 demo_skeleton, 320×240)', CLIP], ['COCODIFF_TEST_VIDEO', OWN_VIDEO]] as const) {
    it.skipIf(!video)(`${what}: a person in most frames, keypoints as the page finds them, and stream gives video's timeline`, async () => {
      const out = join(dir, 'people.ndjson');
      // Chromium plays MP4 and WebM, not AVI and the like: those are repackaged (same frames) for both sides.
      const playable = /\.(mp4|webm)$/i.test(video!) ? video! : join(dir, 'repackaged.mp4');
      if (playable !== video) ffmpeg('-i', video!, '-an', '-c:v', 'copy', playable);
      // 10 frames a second keeps the test short (the committed clip is 2.6 s).
      const run = await cocodiff(['video', playable, '--fps', '10', '--out', out, '--model', wasmPath, '--stride', '4', '--json', '--force']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout);
      const frames = await readKeypoints(out);
      expect(frames).toHaveLength(summary.frames);
      expect(summary.framesWithPerson / summary.frames).toBeGreaterThanOrEqual(0.8);
      const size = cameraModelFrame(summary.width, summary.height);
      for (const { body } of frames) {
        for (let v = 0; body && v < 17; v++) {
          if (body[v * 3 + 2] === 0) continue;
          expect(body[v * 3]).toBeGreaterThanOrEqual(0);
          expect(body[v * 3]).toBeLessThanOrEqual(size.width);
          expect(body[v * 3 + 1]).toBeLessThanOrEqual(size.height);
        }
      }

      // Agreement with BlazePose in the page on the frames Chromium decodes itself.
      const reference = await estimateInPage(playable, frames.map((f) => f.t));
      const distances: number[] = [];
      let bothFound = 0;
      let presenceDiffers = 0;
      frames.forEach(({ body }, i) => {
        const theirs = reference[i] ? fromBlazePose(reference[i]!, size) : null;
        if (!body !== !theirs) presenceDiffers++;
        if (body && theirs) {
          bothFound++;
          distances.push(...jointDistances(body, theirs));
        }
      });
      // The people in the committed clip measure about 1,000 pixels from nose to ankles in the 1920-wide frame.
      const median = quantile(distances, 0.5);
      const p90 = quantile(distances, 0.9);
      console.log(`cocodiff video vs the page (${what}): ${frames.length} frames, a person in both in ${bothFound}, presence differs in ${presenceDiffers}; joint distance median ${median.toFixed(1)} px, 90th percentile ${p90.toFixed(1)} px (of ${size.width}×${size.height.toFixed(0)})`);
      expect(presenceDiffers).toBeLessThanOrEqual(Math.ceil(frames.length / 10));
      expect(median).toBeLessThan(15);
      expect(p90).toBeLessThan(60);

      // The timeline `video --model` printed is what `stream` finds in the keypoints file.
      expect(summary.timeline.length).toBeGreaterThan(0);
      const streamed = await cocodiff(['stream', wasmPath, '--input', out, '--stride', '4', '--no-realtime', '-k', '0']);
      expect(streamed.code).toBe(0);
      const labels = lines(streamed.stdout).flatMap((l) => /^\s*[\d.]+s\s+frame\s+\d+\s+(.+?)\s+\d\.\d\d\s+infer/.exec(l)?.[1] ?? []);
      const fromTimeline = summary.timeline.flatMap((s: { label: string; predictions: number }) => Array<string>(s.predictions).fill(s.label));
      expect(labels.filter((l) => l !== '(no action)')).toEqual(fromTimeline);
    }, CHROMIUM_TEST_MS);
  }
});
