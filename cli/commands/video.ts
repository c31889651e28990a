/**
 * `cocodiff video FILE [--model recognizer.wasm] [--out keypoints.ndjson]`: from a video to skeletons
 * and actions. ffmpeg decodes the video frame by frame (cli/video/ffmpeg.ts); BlazePose finds one
 * person's 33 landmarks in each frame (cli/video/blazepose.ts: MediaPipe's @mediapipe/pose in a
 * headless Chromium); fromBlazePose turns them into COCO-17 keypoints in the video's pixels. The
 * keypoints go to an NDJSON file (or stdout) that `cocodiff stream --input` reads, and/or straight
 * into a recognizer, whose predictions become an action timeline.
 */
import type { Command } from 'commander';
import { cameraModelFrame, fromBlazePose, Recognizer } from 'cocodiff-runtime';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { jointCorrespondence, LAYOUTS } from 'cocodiff-runtime/shared/layouts';
import { openFileAtomic, type AtomicFileWriter } from '../../common/atomic.ts';
import { checkOutputFile } from '../../common/output-file.ts';
import { printable } from '../../common/terminal.ts';
import { LEARNED_HELP, useLearnedFile } from '../learned-option.ts';
import { FORCE_FILE_HELP, numberWhere, positiveInt } from '../options.ts';
import { BlazePoseInBrowser, DEFAULT_BLAZEPOSE, type ModelComplexity } from '../video/blazepose.ts';
import { CHROMIUM_ENV, findChromium } from '../../common/chromium.ts';
import { decodeFrames, probeVideo } from '../video/ffmpeg.ts';
import { KEYPOINTS_FILE, keypointsLine } from '../video/keypoints-file.ts';
import { ActionTimeline } from '../video/timeline.ts';

interface VideoFlags {
  model?: string;
  out?: string;
  fps?: number;
  stride: number;
  alpha: number;
  threshold: number;
  json?: boolean;
  complexity: ModelComplexity;
  chromium?: string;
  sidecar?: string;
  learned?: string;
  trustSidecar?: boolean;
  force?: boolean;
}

/**
 * BlazePose looks at a 224-pixel picture to find the person and a 256-pixel crop around them for the
 * landmarks, so frames larger than this gain nothing and cost time to send to the page: they are
 * scaled down (keeping their shape) before it sees them. Keypoints are still in the video's pixels.
 */
const ESTIMATOR_MAX_SIDE = 960;

/** The frame size the estimator is given: the video's, scaled to fit ESTIMATOR_MAX_SIDE, even sides (as ffmpeg's scaler prefers). */
function estimatorSize(width: number, height: number): { width: number; height: number } {
  const k = Math.min(1, ESTIMATOR_MAX_SIDE / Math.max(width, height));
  const even = (n: number): number => Math.max(2, 2 * Math.round((n * k) / 2));
  return { width: even(width), height: even(height) };
}


export function register(program: Command): void {
  program
    .command('video')
    .description('find the person in every frame of a video (ffmpeg + BlazePose) and write COCO-17 keypoints that stream reads, or print the action timeline a recognizer sees')
    .argument('<file>', 'a video ffmpeg can read (.mp4, .avi, .mkv, …)')
    .option('-m, --model <recognizer>', 'a recognizer .wasm for 2D keypoints (e.g. from `cocodiff demo --camera`): print the action timeline')
    .option('-o, --out <file>', 'write the keypoints here as NDJSON (one frame a line, `cocodiff stream --input` reads it); without --out or --model they go to stdout')
    .option('--fps <n>', 'frames per second to take from the video (default: its own rate)', numberWhere('--fps', 'a number of frames per second in 0.1..240', (n) => n >= 0.1 && n <= 240))
    .option('--stride <n>', 'with --model: predict every n frames', positiveInt('--stride'), 8)
    .option('--alpha <a>', 'with --model: exponential smoothing of the probabilities (1 = none)', numberWhere('--alpha', 'a number in (0, 1]', (n) => n > 0 && n <= 1), 0.6)
    .option('--threshold <p>', 'with --model: below this smoothed score, no action', numberWhere('--threshold', 'a number in [0, 1]', (n) => n >= 0 && n <= 1), 0)
    .option('--json', 'print the summary (and the timeline) as one JSON object')
    .option('--complexity <n>', 'BlazePose model: 0 lite (fastest, the webcam page\'s default), 1 full, 2 heavy', numberWhere('--complexity', '0, 1 or 2', (n) => n === 0 || n === 1 || n === 2), DEFAULT_BLAZEPOSE.modelComplexity)
    .option('--chromium <path>', `the Chromium that runs BlazePose (default: $${CHROMIUM_ENV}, else chromium on PATH)`)
    .option('--sidecar <file>', 'sidecar JSON, if not <recognizer>.json')
    .option('--learned <file>', LEARNED_HELP)
    .option('--trust-sidecar', 'use a sidecar whose wasmSha256 does not match the .wasm')
    .option('--force', FORCE_FILE_HELP)
    .addHelpText('after', `
Needs ffmpeg (with ffprobe) on PATH and a Chromium (BlazePose, from the npm package @mediapipe/pose,
runs in it headless; nothing is downloaded).

Examples:
  cocodiff video clip.mp4 --out clip.ndjson
  cocodiff stream demo-output/recognizer.wasm --input clip.ndjson --no-realtime
  cocodiff video clip.mp4 --model demo-output/recognizer.wasm`)
    .action(async (file: string, flags: VideoFlags) => {
      const toStdout = !flags.out && !flags.model;
      if (toStdout && flags.json) throw new UserError('--json: without --out or --model the keypoints go to stdout; give --out FILE for them, or --model for a timeline');
      if (flags.out) await checkOutputFile(flags.out, KEYPOINTS_FILE, flags.force);
      const recognizer = flags.model ? await openRecognizer(flags.model, flags) : null;
      const video = await probeVideo(file);
      const chromium = findChromium(flags.chromium);
      const fps = flags.fps ?? video.fps;
      const size = estimatorSize(video.width, video.height);
      const measured = cameraModelFrame(video.width, video.height);
      const log = (line: string): void => void (toStdout ? process.stderr : process.stdout).write(`${line}\n`);
      // The first frame is decoded before Chromium starts, so that a video ffmpeg cannot decode (or
      // no ffmpeg) is said at once, not after seconds of loading BlazePose.
      const frames = decodeFrames(file, { fps, ...size });
      const first = await frames.next();
      let estimator: BlazePoseInBrowser;
      try {
        estimator = await BlazePoseInBrowser.open(chromium, { ...DEFAULT_BLAZEPOSE, modelComplexity: flags.complexity });
      } catch (err) {
        await frames.return(undefined);
        throw err;
      }
      let out: AtomicFileWriter | null = null;
      const timeline = new ActionTimeline();
      let decoded = 0;
      let withPerson = 0;
      let refused = 0;
      let estimatorMs = 0;
      try {
        out = flags.out ? await openFileAtomic(flags.out) : null;
        for (let next = first; !next.done; next = await frames.next()) {
          const frame = next.value;
          const started = performance.now();
          const landmarks = await estimator.estimate(frame.rgb, size.width, size.height, frame.t);
          estimatorMs += performance.now() - started;
          let body: Float32Array | null = null;
          try {
            body = landmarks ? fromBlazePose(landmarks, measured) : null;
          } catch (err) {
            // An estimator that returns a partial pose: this frame counts as nobody, the video goes on.
            if (!(err instanceof UserError)) throw err;
            refused++;
            console.error(`cocodiff: ${printable(file)}: frame ${frame.index}: ${err.message}; counted as no person`);
          }
          decoded++;
          if (body) withPerson++;
          const line = keypointsLine({ index: frame.index, t: frame.t, body }, frame.index === 0 ? { video: file, videoSize: [video.width, video.height], size: [measured.width, measured.height], fps } : undefined);
          if (out) await out.write(line);
          else if (toStdout) await writeStdout(line);
          const p = recognizer?.push(body ? [body] : [], 'coco17');
          if (p) timeline.add(p, frame.t / 1000);
        }
        timeline.close();
        await out?.commit();
        out = null;
      } finally {
        await frames.return(undefined);
        await out?.abort();
        await estimator.close();
      }
      const summary = {
        video: file,
        width: video.width,
        height: video.height,
        fps,
        frames: decoded,
        framesWithPerson: withPerson,
        framesRefused: refused,
        secondsPerFrame: decoded ? estimatorMs / 1000 / decoded : 0,
        estimator: `BlazePose (${['lite', 'full', 'heavy'][flags.complexity]}, @mediapipe/pose in headless Chromium)`,
        ...(flags.out ? { keypoints: flags.out } : {}),
        ...(recognizer ? { model: flags.model, timeline: timeline.segments } : {}),
      };
      if (flags.json) {
        console.log(JSON.stringify(summary));
        return;
      }
      const pct = decoded ? ((100 * withPerson) / decoded).toFixed(1) : '0.0';
      log(`${printable(file)}: ${decoded} frames at ${fps.toFixed(2)} fps (${video.width}×${video.height}), a person in ${withPerson} (${pct} %)${refused ? `, ${refused} refused (partial pose)` : ''}; ${summary.secondsPerFrame.toFixed(2)} s per frame for ${summary.estimator}`);
      if (flags.out) log(`keypoints → ${printable(flags.out)}`);
      if (recognizer) {
        log(`action timeline (${printable(flags.model!)}, a prediction every ${flags.stride} frames):`);
        for (const line of timeline.format()) log(line);
      }
    });
}

/** Loads the recognizer and checks that COCO-17 keypoints can feed it, before any video is decoded. */
async function openRecognizer(model: string, flags: VideoFlags): Promise<Recognizer> {
  const recognizer = await Recognizer.load(model, { sidecar: flags.sidecar, stride: flags.stride, alpha: flags.alpha, threshold: flags.threshold, trustSidecar: flags.trustSidecar });
  await useLearnedFile(recognizer, flags.learned);
  const layout = recognizer.info.layout;
  if (!layout) throw new UserError(`--model ${printable(model)}: no sidecar names its joint layout; cocodiff video needs a model trained on 2D keypoints (coco17, as \`cocodiff demo --camera\` trains)`);
  try {
    jointCorrespondence(LAYOUTS.coco17, LAYOUTS[layout]);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`--model ${printable(model)}: ${err.message} (cocodiff demo --camera trains one)`);
    throw err;
  }
  return recognizer;
}

/** Writes to stdout, waiting while a slow reader (a pipe into `cocodiff stream`) catches up. */
function writeStdout(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', resolve);
  });
}
