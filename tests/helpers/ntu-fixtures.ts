/**
 * Writes NTU RGB+D `.skeleton` text exactly as the Kinect SDK export does (10-value body lines,
 * "25", 12-value joint lines, CRLF by default), from bodies whose joint positions a test chooses.
 */
import { Rng } from '../../common/rng.ts';

export interface FixtureBody {
  id: string;
  /** Frames (0-based, of the file) the body appears in. */
  frames: number[];
  /** x y z of joint v at the k-th frame it appears in. */
  joint(k: number, v: number): [number, number, number];
}

export function skeletonText(frameCount: number, bodies: FixtureBody[], eol = '\r\n'): string {
  const lines: string[] = [String(frameCount)];
  for (let f = 0; f < frameCount; f++) {
    const here = bodies.filter((b) => b.frames.includes(f));
    lines.push(String(here.length));
    for (const b of here) {
      const k = b.frames.indexOf(f);
      lines.push(`${b.id} 0 1 1 1 1 0 0.1137046 -0.1740294 2`);
      lines.push('25');
      for (let v = 0; v < 25; v++) {
        const [x, y, z] = b.joint(k, v);
        lines.push(`${x.toFixed(7)} ${y.toFixed(7)} ${z.toFixed(6)} 277.419 191.8218 1036.233 519.1677 -0.2059419 0.05349901 0.9692109 -0.1239193 2`);
      }
    }
  }
  return lines.join(eol) + eol;
}

/** A body standing at (x0, 0, 3) whose joints swing with `amplitude` (0 = perfectly still). */
export function swingingBody(id: string, frames: number[], x0: number, amplitude: number, seed = 1): FixtureBody {
  const rng = new Rng(seed);
  const offsets = Array.from({ length: 25 }, () => [rng.uniform(-0.3, 0.3), rng.uniform(-0.8, 0.8), rng.uniform(-0.1, 0.1)]);
  return {
    id,
    frames,
    joint: (k, v) => {
      const s = amplitude * Math.sin(0.3 * k + v);
      return [x0 + offsets[v][0] + s, offsets[v][1] + 0.5 * s, 3 + offsets[v][2]];
    },
  };
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/**
 * A folder of realistic NTU files: names cycling over setups, cameras, performers and actions,
 * 60..140 frames, 1–3 bodies (a third, short-lived still body is sensor noise), a few empty frames.
 */
export async function writeNtuFolder(dir: string, count: number, seed: number, actions = 60): Promise<string[]> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await mkdir(dir, { recursive: true });
  const rng = new Rng(seed);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const pad = (n: number): string => String(n).padStart(3, '0');
    const name = `S${pad(1 + (i % 17))}C${pad(1 + (i % 3))}P${pad(1 + (i % 40))}R${pad(1 + (i % 2))}A${pad(1 + ((i * 7) % actions))}`;
    const frames = 60 + rng.int(81);
    const bodies = 1 + rng.int(3);
    const list: FixtureBody[] = [swingingBody(`7205759403${7000 + i}`, range(2, frames), 0, 0.2 + rng.next(), seed + i)];
    if (bodies >= 2) list.push(swingingBody(`7205759403${8000 + i}`, range(5, frames - 3), 1, 0.1 + rng.next(), seed + i + 1));
    if (bodies >= 3) list.push(swingingBody(`7205759403${9000 + i}`, range(10, 30), 2, 0, seed + i + 2));
    await writeFile(join(dir, `${name}.skeleton`), skeletonText(frames, list));
    names.push(name);
  }
  return names;
}
