/**
 * `cocodiff stream recognizer.wasm --input FILE|-`: replay a recording as a live camera (frames
 * delivered at --fps on the wall clock), or read NDJSON frames from stdin (format:
 * runtime-as/host/ndjson.ts), printing a timestamped prediction every --stride frames.
 */
import type { Command } from 'commander';
import { open } from 'node:fs/promises';
import { fsCause } from 'cocodiff-runtime/shared/fs-causes';
import { MAX_COORDINATE } from 'cocodiff-runtime/shared/abi';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { parseFrameLine, Recognizer, type Prediction } from 'cocodiff-runtime';
import { LAYOUT_LIST } from 'cocodiff-runtime/shared/layouts';
import { loadRecording } from 'cocodiff-runtime/node';
import { printable } from '../../common/terminal.ts';
import { LEARNED_HELP, useLearnedFile } from '../learned-option.ts';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { boundedLines } from '../bounded-lines.ts';
import { nonNegativeInt, numberWhere, positiveInt } from '../options.ts';

interface StreamFlags {
  input: string;
  fps: number;
  stride: number;
  alpha: number;
  threshold: number;
  top: number;
  realtime: boolean;
  sidecar?: string;
  learned?: string;
  trustSidecar?: boolean;
  strict?: boolean;
}

export function register(program: Command): void {
  program
    .command('stream')
    .description('replay a recording as a live camera stream (or read NDJSON frames from stdin) and print timestamped predictions with their latency')
    .argument('<recognizer>', 'compiled recognizer .wasm')
    .requiredOption('-i, --input <file>', 'recording (.skeleton, Kinetics .json, .npy), NDJSON frames (.ndjson, as `cocodiff video` writes), or - for NDJSON frames on stdin')
    // A replay rate outside what cameras do would make the wait between frames overflow or vanish.
    .option('--fps <n>', 'replay rate of a recording, frames per second', numberWhere('--fps', 'a number of frames per second in 0.1..1000', (n) => n >= 0.1 && n <= 1000), 30)
    .option('--stride <n>', 'predict every n frames', positiveInt('--stride'), 8)
    .option('--alpha <a>', 'exponential smoothing of the probabilities (1 = none)', numberWhere('--alpha', 'a number in (0, 1]', (n) => n > 0 && n <= 1), 0.6)
    .option('--threshold <p>', 'below this smoothed score, report "no action"', numberWhere('--threshold', 'a number in [0, 1]', (n) => n >= 0 && n <= 1), 0)
    .option('-k, --top <k>', 'runner-up classes shown per prediction', nonNegativeInt('-k/--top'), 3)
    .option('--no-realtime', 'replay a recording as fast as possible instead of at --fps')
    .option('--sidecar <file>', 'sidecar JSON, if not <recognizer>.json')
    .option('--learned <file>', LEARNED_HELP)
    .option('--trust-sidecar', 'use a sidecar whose wasmSha256 does not match the .wasm (refused by default: its class names would belong to another build)')
    .option('--strict', 'stop at the first malformed NDJSON line or refused frame (default: skip it, report it on stderr with its line number, and go on)')
    .addHelpText('after', `
NDJSON frames on stdin (one per line):
  {"t": 33.3, "layout": "coco17", "bodies": [[[x, y, z], ... one per joint], ...]}
  "bodies" is a list of persons; each person is a list of joints ([x, y, z] or {"x","y","z"}; 2D layouts:
  score in place of z) or one flat list of joints × 3 numbers. "t" (ms) and "layout" (${LAYOUT_LIST}:
  the bodies' layout, when it is not the model's) are optional.

Examples:
  cocodiff stream out/recognizer.wasm --input S001C001P001R001A001.skeleton --fps 30 --stride 8
  my-pose-estimator | cocodiff stream out/recognizer.wasm --input -`)
    .action(async (wasm: string, flags: StreamFlags) => {
      const { fps, stride, alpha, threshold, top: runnersUp } = flags;
      const recognizer = await Recognizer.load(wasm, {
        sidecar: flags.sidecar,
        stride,
        alpha,
        threshold,
        topK: runnersUp + 1,
        trustSidecar: flags.trustSidecar,
      });
      await useLearnedFile(recognizer, flags.learned);
      const start = performance.now();
      const show = (p: Prediction | null, at: number): void => {
        if (p) console.log(formatPrediction(p, at));
      };
      let skipped = '';
      if (flags.input === '-' || isNdjsonFile(flags.input)) {
        const fromStdin = flags.input === '-';
        const lines = boundedLines(fromStdin ? process.stdin : await openNdjsonFile(flags.input), LIMITS.ndjsonLineChars);
        const r = await streamNdjson(recognizer, lines, fromStdin ? 'stdin' : flags.input, show, { start, strict: flags.strict, report: (m) => console.error(`cocodiff: ${printable(m)}`) });
        skipped = `, ${r.skipped} malformed line(s) skipped`;
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
      console.log(`${s.pushed} frames pushed, ${s.rejected} rejected (NaN, infinite, beyond ±${MAX_COORDINATE} or malformed)${skipped}, memory ${(s.memoryBytes / 1024).toFixed(0)} KiB`);
    });
}

/** NDJSON frames in a file (`cocodiff video --out`), read like stdin's; their own "t" times them. */
const isNdjsonFile = (path: string): boolean => /\.(ndjson|jsonl)$/i.test(path);

/** The file's bytes as they are read (never whole in memory); a UserError naming it when it cannot be opened. */
async function openNdjsonFile(path: string): Promise<AsyncIterable<Uint8Array>> {
  try {
    const file = await open(path);
    if (!(await file.stat()).isFile()) {
      await file.close();
      throw new UserError(`${printable(path)}: not a file; expected NDJSON frames, one per line`);
    }
    return file.createReadStream();
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${printable(path)}: cannot read the NDJSON frames (${fsCause(err) ?? (err as Error).message})`);
  }
}

export interface NdjsonOptions {
  /** When the stream started (performance.now()), for frames without "t". */
  start?: number;
  /** Stop at the first bad line (a UserError naming it) instead of skipping it. */
  strict?: boolean;
  /** Where skipped lines and refused frames are reported, one message each, naming the line. */
  report?: (message: string) => void;
}

/**
 * Pushes NDJSON frames (format: runtime-as/host/ndjson.ts) as they arrive. A live stream outlives
 * bad input: a line that is no frame (not JSON, no "bodies") is skipped and counted, a frame the
 * recognizer refuses (wrong types or shape) is counted in its stats as rejected; each is reported
 * with its line number. With `strict`, the first of either ends the stream with that message.
 */
export async function streamNdjson(recognizer: Recognizer, lines: AsyncIterable<string>, name: string, show: (p: Prediction | null, seconds: number) => void, opts: NdjsonOptions = {}): Promise<{ lines: number; skipped: number; refused: number }> {
  const start = opts.start ?? performance.now();
  let n = 0;
  let skipped = 0;
  let refused = 0;
  const bad = (err: unknown, where: string, what: string): void => {
    if (!(err instanceof UserError)) throw err;
    const message = err.message.startsWith(`${where}:`) ? err.message : `${where}: ${err.message}`;
    if (opts.strict) throw new UserError(message);
    opts.report?.(`${message} (${what})`);
  };
  for await (const line of lines) {
    const where = `${name}:${++n}`;
    let frame;
    try {
      frame = parseFrameLine(line, where);
    } catch (err) {
      skipped++;
      bad(err, where, 'line skipped');
      continue;
    }
    if (!frame) continue;
    let p: Prediction | null;
    try {
      p = recognizer.push(frame.bodies, frame.layout);
    } catch (err) {
      refused++;
      bad(err, where, 'frame rejected');
      continue;
    }
    show(p, frame.t !== undefined ? frame.t / 1000 : (performance.now() - start) / 1000);
  }
  return { lines: n, skipped, refused };
}

export function formatPrediction(p: Prediction, seconds: number): string {
  const label = p.action !== null ? printable(p.action) : '(no action)';
  const runnersUp = p.top.slice(1).map((c) => `${printable(c.label)} ${c.score.toFixed(2)}`).join(', ');
  return `${seconds.toFixed(3).padStart(8)}s  frame ${String(p.frame).padStart(5)}  ${label.padEnd(24)} ${(p.top[0]?.score ?? 0).toFixed(2)}` +
    `${runnersUp ? `  (${runnersUp})` : ''}  infer ${p.latencyMs.toFixed(2)} ms`;
}
