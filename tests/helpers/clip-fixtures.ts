/**
 * Per-clip skeleton files written exactly as the real datasets ship them, from seeded values:
 * MSR Action3D (`x y z c` per joint row, six decimals), Florence 3D (`x y z ` in millimetres,
 * %.16e with a trailing space) and NW-UCLA as CTR-GCN distributes it (JSON per clip).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../common/rng.ts';

/** frames × joints × 3 seeded coordinates around a body 2.5 m from the camera, rounded to `decimals`. */
export function clipValues(frames: number, joints: number, seed: number, decimals = 6): number[][][] {
  const rng = new Rng(seed);
  const round = (x: number): number => Number(x.toFixed(decimals));
  return Array.from({ length: frames }, () => Array.from({ length: joints }, () => [round(rng.normal() * 0.4), round(rng.normal() * 0.6), round(2.5 + rng.normal() * 0.1)]));
}

/** MSR Action3D's `aAA_sSS_eEE_skeleton3D.txt`: one `x y z c` row per joint, frames back to back. */
export function msrText(values: number[][][], eol = '\n'): string {
  return values.flatMap((frame) => frame.map(([x, y, z], v) => `${x.toFixed(6)} ${y.toFixed(6)} ${z.toFixed(6)} ${(v % 3 === 0 ? 0 : 1).toFixed(6)}${eol}`)).join('');
}

/** Florence 3D's per-clip text: one `x y z ` row per joint in millimetres, %.16e. */
export function florenceText(valuesMm: number[][][], eol = '\n'): string {
  return valuesMm.flatMap((frame) => frame.map((j) => `${j.map((x) => x.toExponential(16)).join(' ')} ${eol}`)).join('');
}

/** An NW-UCLA clip as CTR-GCN's all_sqe/ holds it. */
export function uclaJson(name: string, label: number, values: number[][][]): string {
  return JSON.stringify({ file_name: name, skeletons: values, label }).replace(/,/g, ', ').replace(/:/g, ': ');
}

/**
 * A Florence 3D folder of 3 subjects in the dataset's own format (`aAA_sS_idN.txt`), for
 * leave-one-subject-out: subject s has s + 1 clips of each of the 9 actions (ids run on across the
 * folder), of 4 to 6 frames; lines end with LF or, as in a copy saved on Windows, CRLF, alternately.
 * Returns the clip stems by subject (`s1` …).
 */
export function writeFlorenceSubjects(dir: string): Map<string, string[]> {
  const stems = new Map<string, string[]>();
  let id = 1;
  for (let s = 1; s <= 3; s++) {
    stems.set(`s${s}`, []);
    for (let a = 1; a <= 9; a++) {
      for (let k = 0; k <= s; k++, id++) {
        const stem = `a${String(a).padStart(2, '0')}_s${s}_id${id}`;
        const mm = clipValues(4 + (id % 3), 15, id).map((f) => f.map((j) => j.map((x) => x * 1000)));
        writeFileSync(join(dir, `${stem}.txt`), florenceText(mm, id % 2 ? '\r\n' : '\n'));
        stems.get(`s${s}`)!.push(stem);
      }
    }
  }
  return stems;
}
