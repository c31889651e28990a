/**
 * A depth-camera app: frames arrive the way a Kinect-style SDK delivers them (a callback per frame
 * with the tracked bodies, 25 joints each, at 30 fps) and the recognised action is shown live.
 * The camera here replays a recorded file; swap `RecordedCamera` for your SDK's frame event.
 *
 *   npx tsx examples/depth-camera/app.ts RECOGNIZER.wasm [RECORDING] [--fps 30] [--threshold 0.4]
 *
 * RECORDING: NTU .skeleton, or .npy [F][M][25][3]; without one, the examples' sample recording
 * (examples/browser/sample-recording.npy).
 */
import { loadRecording, Recognizer, type Prediction, type Sequence } from 'cocodiff-runtime';
import { SAMPLE_RECORDING } from '../browser/serve.ts';

/** One tracked body as depth-camera SDKs report it: an id and 25 camera-space joints (metres). */
export interface TrackedBody {
  trackingId: number;
  joints: Array<{ x: number; y: number; z: number }>;
}

type FrameHandler = (bodies: TrackedBody[], timestampMs: number) => void;

/** Plays a recording back as a camera: one callback per frame, on the wall clock at `fps`. */
export class RecordedCamera {
  private handlers: FrameHandler[] = [];
  constructor(private readonly seq: Sequence, private readonly fps = 30) {}

  onFrame(handler: FrameHandler): void {
    this.handlers.push(handler);
  }

  async start(): Promise<void> {
    const { seq } = this;
    const start = performance.now();
    for (let f = 0; f < seq.frames; f++) {
      const wait = start + (f * 1000) / this.fps - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const bodies: TrackedBody[] = [];
      for (let m = 0; m < seq.persons; m++) {
        const at = (f * seq.persons + m) * seq.joints * seq.coords;
        const xyz = seq.data.subarray(at, at + seq.joints * seq.coords);
        if (!xyz.some((v) => v !== 0)) continue; // SDKs list tracked bodies only
        bodies.push({ trackingId: m + 1, joints: Array.from({ length: seq.joints }, (_, v) => ({ x: xyz[3 * v], y: xyz[3 * v + 1], z: xyz[3 * v + 2] })) });
      }
      for (const h of this.handlers) h(bodies, (f * 1000) / this.fps);
    }
  }
}

export interface AppResult {
  last: Prediction | null;
  predictions: number;
}

/** The app: recognizer + camera + a live status line. */
export async function runApp(wasm: string, seq: Sequence, opts: { fps?: number; threshold?: number; write?: (s: string) => void } = {}): Promise<AppResult> {
  const write = opts.write ?? ((s: string) => process.stdout.write(s));
  const live = !opts.write && Boolean(process.stdout.isTTY);
  const recognizer = await Recognizer.load(wasm, { stride: 8, alpha: 0.6, threshold: opts.threshold ?? 0 });
  if (recognizer.info.layout && recognizer.info.layout !== 'ntu25') throw new Error(`this app feeds Kinect (ntu25) bodies; ${wasm} was trained on ${recognizer.info.layout}`);
  const camera = new RecordedCamera(seq, opts.fps ?? 30);
  const result: AppResult = { last: null, predictions: 0 };
  camera.onFrame((bodies, t) => {
    const p = recognizer.push(bodies.map((b) => b.joints));
    if (!p) return;
    result.last = p;
    result.predictions++;
    const line = `${(t / 1000).toFixed(2).padStart(6)}s  ${String(bodies.length)} body  ${(p.action ?? '(no action)').padEnd(24)} ${(p.top[0]?.score ?? 0).toFixed(2)}  ${p.latencyMs.toFixed(2)} ms`;
    write(live ? `\r${line}` : `${line}\n`);
  });
  await camera.start();
  if (live) write('\n');
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number): number => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args.splice(at, 2)[1]) : fallback;
  };
  const fps = flag('--fps', 30);
  const threshold = flag('--threshold', 0);
  const [wasm, recording] = args;
  if (!wasm) {
    console.error('usage: npx tsx examples/depth-camera/app.ts RECOGNIZER.wasm [RECORDING] [--fps 30] [--threshold 0.4]');
    process.exit(2);
  }
  const seq = await loadRecording(recording ?? SAMPLE_RECORDING, 'ntu25');
  console.log(`camera: ${seq.name ?? recording}, ${seq.frames} frames at ${fps} fps`);
  const { last } = await runApp(wasm, seq, { fps, threshold });
  console.log(`final: ${last?.action ?? '(no action)'}`);
}
