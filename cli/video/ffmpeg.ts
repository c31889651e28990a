/**
 * Video frames for `cocodiff video`, decoded by the ffmpeg found on PATH (Debian: `apt-get install
 * ffmpeg`, which brings ffprobe too). ffprobe reads the size and rate; ffmpeg then writes the frames
 * as raw RGB (3 bytes a pixel, rows top to bottom) to a pipe, at a constant rate, and they are
 * handed on one at a time: the pipe's back-pressure pauses ffmpeg while a frame is being worked on,
 * so memory holds a frame or two whatever the video's length.
 *
 * Everything ffmpeg can refuse (no such program, a file it cannot read as a video, a file with no
 * video stream) ends in a UserError that names the file and repeats what ffmpeg said.
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { fsCause } from 'cocodiff-runtime/shared/fs-causes';
import { printable } from '../../common/terminal.ts';

/** What to do when ffmpeg or ffprobe is not on PATH. */
export const FFMPEG_HINT = 'install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg; it brings ffprobe) so that it is on PATH';

/** The first video stream of a file, as ffprobe reports it. */
export interface VideoInfo {
  /** Frame size in pixels. */
  width: number;
  height: number;
  /** Average frame rate (frames per second). */
  fps: number;
  /** Frame count when the container states it, else null. */
  frames: number | null;
  /** ffprobe's codec name (h264, mpeg4, …). */
  codec: string;
}

/** One decoded frame: `rgb` holds width × height × 3 bytes and is reused by the next frame. */
export interface VideoFrame {
  /** 0-based, at the decoding rate. */
  index: number;
  /** Presentation time in milliseconds (index / rate). */
  t: number;
  rgb: Uint8Array;
}

/** What ffmpeg printed last: its own reason, without the file name it starts with. */
function lastWords(stderr: string, file: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const last = lines.at(-1) ?? 'no message';
  return printable(last.startsWith(`${file}: `) ? last.slice(file.length + 2) : last).slice(0, 300);
}

/** Runs a program to its end, collecting its stdout and the tail of its stderr; a missing program is a UserError. */
function runTool(tool: 'ffprobe', args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new UserError(`${tool} not found on PATH: ${FFMPEG_HINT}`) : err));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** ffprobe's frame rate "30000/1001" (or "0/0" when unknown) as a number, or null. */
function parseRate(rate: unknown): number | null {
  const m = /^(\d+)\/(\d+)$/.exec(String(rate));
  if (!m || Number(m[2]) === 0) return null;
  const fps = Number(m[1]) / Number(m[2]);
  return fps > 0 && Number.isFinite(fps) ? fps : null;
}

/** The size, rate and length of the file's first video stream; a UserError naming the file when there is none. */
export async function probeVideo(file: string): Promise<VideoInfo> {
  const name = printable(file);
  try {
    if (!(await stat(file)).isFile()) throw new UserError(`${name}: not a file; expected a video (any format ffmpeg reads: .mp4, .avi, .mkv, …)`);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${name}: cannot read the video: ${fsCause(err) ?? (err as Error).message}`);
  }
  const args = ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,avg_frame_rate,r_frame_rate,nb_frames,codec_name', '-of', 'json', '--', file];
  const { code, stdout, stderr } = await runTool('ffprobe', args);
  if (code !== 0) throw new UserError(`${name}: ffmpeg cannot read it as a video: ${lastWords(stderr, file)}`);
  let stream: Record<string, unknown> | undefined;
  try {
    stream = (JSON.parse(stdout) as { streams?: Array<Record<string, unknown>> }).streams?.[0];
  } catch {
    throw new UserError(`${name}: ffprobe's answer was not JSON: ${printable(stdout.slice(0, 200))}`);
  }
  if (!stream) throw new UserError(`${name}: no video stream in the file (ffmpeg reads it, but it holds no pictures)`);
  const width = Number(stream.width);
  const height = Number(stream.height);
  if (!(width > 0 && height > 0)) throw new UserError(`${name}: ffmpeg reports no frame size for its video stream`);
  const fps = parseRate(stream.avg_frame_rate) ?? parseRate(stream.r_frame_rate);
  if (fps === null) throw new UserError(`${name}: ffmpeg reports no frame rate for its video stream; give one with --fps`);
  const frames = Number.isInteger(Number(stream.nb_frames)) && Number(stream.nb_frames) > 0 ? Number(stream.nb_frames) : null;
  return { width, height, fps, frames, codec: String(stream.codec_name ?? 'unknown') };
}

export interface DecodeOptions {
  /** Frames per second to decode at (ffmpeg drops or repeats frames to keep this rate). */
  fps: number;
  /** Size of the frames handed on (ffmpeg scales to it); the video's own size keeps it. */
  width: number;
  height: number;
}

/**
 * The frames of `file` at `opts.fps`, scaled to `opts.width` × `opts.height`, one at a time: frame k
 * is the picture on screen at k / fps (the latest that starts at or before it: the fps filter's
 * `round=up`; its default, `near`, takes the one a third of a frame later from a 30 fps video at 10). A
 * UserError naming the file when ffmpeg is missing or stops with an error (its words quoted).
 * Ending the loop early stops ffmpeg.
 */
export async function* decodeFrames(file: string, opts: DecodeOptions): AsyncGenerator<VideoFrame> {
  const frameBytes = opts.width * opts.height * 3;
  const args = ['-v', 'error', '-nostdin', '-i', file, '-an', '-sn', '-vf', `fps=${opts.fps}:round=up,scale=${opts.width}:${opts.height}:flags=bilinear`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'];
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let spawnError: NodeJS.ErrnoException | null = null;
  const closed = new Promise<number | null>((resolve) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
      resolve(null);
    });
    child.on('close', (code) => resolve(code));
  });
  const frame = new Uint8Array(frameBytes);
  let filled = 0;
  let index = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      for (let at = 0; at < chunk.length;) {
        const n = Math.min(chunk.length - at, frameBytes - filled);
        frame.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === frameBytes) {
          yield { index, t: (index * 1000) / opts.fps, rgb: frame };
          index++;
          filled = 0;
        }
      }
    }
    const code = await closed;
    const err = spawnError as NodeJS.ErrnoException | null;
    if (err) throw err.code === 'ENOENT' ? new UserError(`ffmpeg not found on PATH: ${FFMPEG_HINT}`) : err;
    if (code !== 0) throw new UserError(`${printable(file)}: ffmpeg stopped decoding after ${index} frame(s): ${lastWords(stderr, file)}`);
    if (index === 0) throw new UserError(`${printable(file)}: ffmpeg decoded no frame from it${stderr.trim() ? `: ${lastWords(stderr, file)}` : ''}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  }
}
