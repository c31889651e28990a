/**
 * `cocodiff stream recognizer.wasm --input FILE|-`: replay a recording as a live camera (frames
 * delivered at --fps on the wall clock), or read NDJSON frames from stdin (format:
 * runtime-as/host/ndjson.ts), printing a timestamped prediction every --stride frames.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { parseFrameLine, Recognizer, type Prediction } from 'cocodiff-runtime';
import { loadRecording } from 'cocodiff-runtime/node';
import { printable } from '../../common/terminal.ts';

interface StreamFlags {
  input: string;
  fps: string;
  stride: string;
  alpha: string;
  threshold: string;
  top: string;
  realtime: boolean;
  sidecar?: string;
}

export function register(program: Command): void {
  program
    .command('stream')
    .description('replay a recording as a live camera stream (or read NDJSON frames from stdin) and print timestamped predictions with their latency')
    .argument('<recognizer>', 'compiled recognizer .wasm')
    .requiredOption('-i, --input <file>', 'recording (.skeleton, Kinetics .json, .npy), or - for NDJSON frames on stdin')
    .option('--fps <n>', 'replay rate of a recording, frames per second', '30')
    .option('--stride <n>', 'predict every n frames', '8')
    .option('--alpha <a>', 'exponential smoothing of the probabilities (1 = none)', '0.6')
    .option('--threshold <p>', 'below this smoothed score, report "no action"', '0')
    .option('-k, --top <k>', 'runner-up classes shown per prediction', '3')
    .option('--no-realtime', 'replay a recording as fast as possible instead of at --fps')
    .option('--sidecar <file>', 'sidecar JSON, if not <recognizer>.json')
    .addHelpText('after', `
NDJSON frames on stdin (one per line):
  {"t": 33.3, "layout": "coco17", "bodies": [[[x, y, z], ... one per joint], ...]}
  "bodies" is a list of persons; each person is a list of joints ([x, y, z] or {"x","y","z"}; 2D layouts:
  score in place of z) or one flat list of joints × 3 numbers. "t" (ms) and "layout" are optional.

Examples:
  cocodiff stream out/recognizer.wasm --input S001C001P001R001A001.skeleton --fps 30 --stride 8
  my-pose-estimator | cocodiff stream out/recognizer.wasm --input -`)
    .action(async (wasm: string, flags: StreamFlags) => {
      const fps = Number(flags.fps);
      // A replay rate outside what cameras do would make the wait between frames overflow or vanish.
      if (!(fps >= 0.1 && fps <= 1000)) throw new UserError(`--fps: expected a number of frames per second in 0.1..1000, found "${flags.fps}"`);
      const runnersUp = Number(flags.top);
      if (!Number.isInteger(runnersUp) || runnersUp < 0) throw new UserError(`-k/--top: expected a non-negative integer, found "${flags.top}"`);
      const recognizer = await Recognizer.load(wasm, {
        sidecar: flags.sidecar,
        stride: Number(flags.stride),
        alpha: Number(flags.alpha),
        threshold: Number(flags.threshold),
        topK: runnersUp + 1,
      });
      const start = performance.now();
      const show = (p: Prediction | null, at: number): void => {
        if (p) console.log(formatPrediction(p, at));
      };
      if (flags.input === '-') {
        await streamNdjson(recognizer, createInterface({ input: process.stdin, crlfDelay: Infinity }), 'stdin', show, start);
      } else {
        const seq = await loadRecording(flags.input, recognizer.info.layout);
        const per = seq.persons * seq.joints * seq.coords;
        for (let f = 0; f < seq.frames; f++) {
          if (flags.realtime) {
            const due = start + (f * 1000) / fps;
            const wait = due - performance.now();
            if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          }
          show(recognizer.push(seq.data.subarray(f * per, (f + 1) * per), seq.layout), f / fps);
        }
      }
      const s = recognizer.stats();
      console.log(`${s.pushed} frames pushed, ${s.rejected} rejected (NaN/inf), memory ${(s.memoryBytes / 1024).toFixed(0)} KiB`);
    });
}

/** Pushes NDJSON frames (format: runtime-as/host/ndjson.ts) as they arrive; errors name the line. */
export async function streamNdjson(recognizer: Recognizer, lines: AsyncIterable<string>, name: string, show: (p: Prediction | null, seconds: number) => void, start = performance.now()): Promise<void> {
  let n = 0;
  for await (const line of lines) {
    const where = `${name}:${++n}`;
    const frame = parseFrameLine(line, where);
    if (!frame) continue;
    let p: Prediction | null;
    try {
      p = recognizer.push(frame.bodies, frame.layout);
    } catch (err) {
      throw err instanceof UserError ? new UserError(`${where}: ${err.message}`) : err;
    }
    show(p, frame.t !== undefined ? frame.t / 1000 : (performance.now() - start) / 1000);
  }
}

export function formatPrediction(p: Prediction, seconds: number): string {
  const label = p.action !== null ? printable(p.action) : '(no action)';
  const runnersUp = p.top.slice(1).map((c) => `${printable(c.label)} ${c.score.toFixed(2)}`).join(', ');
  return `${seconds.toFixed(3).padStart(8)}s  frame ${String(p.frame).padStart(5)}  ${label.padEnd(24)} ${(p.top[0]?.score ?? 0).toFixed(2)}` +
    `${runnersUp ? `  (${runnersUp})` : ''}  infer ${p.latencyMs.toFixed(2)} ms`;
}
