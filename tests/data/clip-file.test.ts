import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { readClipFile } from '../../trainer/data/clip-file.ts';
import { clipValues, florenceText, msrText } from '../helpers/clip-fixtures.ts';
import { npyBytes } from '../helpers/npy-zip.ts';

const dir = mkdtempSync(join(tmpdir(), 'clip-file-'));
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('one clip per file', () => {
  it('reads MSR-style joint rows (x y z c, LF or CRLF), dropping the confidence', async () => {
    const values = clipValues(3, 20, 1);
    for (const eol of ['\n', '\r\n']) {
      const clip = await readClipFile(file(`msr${eol.length}.txt`, msrText(values, eol)), { joints: 20 });
      expect(clip).toMatchObject({ frames: 3, framesInFile: 3 });
      expect(Array.from(clip!.data)).toEqual(Array.from(Float32Array.from(values.flat(2))));
    }
  });

  it('reads Florence-style rows in millimetres, scaled to metres', async () => {
    const mm = clipValues(2, 15, 2).map((f) => f.map((j) => j.map((x) => x * 1000)));
    const clip = await readClipFile(file('florence.txt', florenceText(mm)), { joints: 15, scale: 0.001 });
    expect(clip!.frames).toBe(2);
    clip!.data.forEach((x, i) => expect(x).toBeCloseTo(mm.flat(2)[i] / 1000, 6));
  });

  it('reads one frame per row (V × 3 values, comma-separated) and .npy of (T, V, 3) and (T, V·4)', async () => {
    const values = clipValues(4, 15, 3);
    const want = Array.from(Float32Array.from(values.flat(2)));
    const rows = values.map((f) => f.flat().join(',')).join('\r\n');
    expect(Array.from((await readClipFile(file('rows.csv', rows), { joints: 15 }))!.data)).toEqual(want);
    expect(Array.from((await readClipFile(file('a.npy', npyBytes('<f4', [4, 15, 3], values.flat(2))), { joints: 15 }))!.data)).toEqual(want);
    const withScore = values.flatMap((f) => f.flatMap((j) => [...j, 0.5]));
    expect(Array.from((await readClipFile(file('b.npy', npyBytes('<f8', [4, 60], withScore)), { joints: 15 }))!.data)).toEqual(want);
  });

  it('drops frames where every joint is (0, 0, 0) and says null for a clip with no body at all', async () => {
    const values = clipValues(3, 20, 4);
    values[1] = values[1].map(() => [0, 0, 0]);
    const clip = await readClipFile(file('gap.txt', msrText(values)), { joints: 20 });
    expect(clip).toMatchObject({ frames: 2, framesInFile: 3 });
    expect(Array.from(clip!.data)).toEqual(Array.from(Float32Array.from([...values[0], ...values[2]].flat())));
    const empty = clipValues(2, 20, 5).map((f) => f.map(() => [0, 0, 0]));
    expect(await readClipFile(file('zero.txt', msrText(empty)), { joints: 20 })).toBeNull();
  });

  it('refuses, naming the file (and line), a wrong joint count, a NaN, rows of mixed widths, odd widths and an empty file', async () => {
    const msr = msrText(clipValues(2, 20, 6));
    const wrongJoints = file('wrong-joints.txt', msr);
    await expect(readClipFile(wrongJoints, { joints: 15 })).rejects.toThrow(new UserError(`${wrongJoints}: 40 joint rows are not whole frames of 15 joints (2 frames and 10 rows over); is it a 15-joint layout?`));
    const lines = msr.split('\n');
    lines[4] = '0.1 NaN 2.5 1';
    const nan = file('nan.txt', lines.join('\n'));
    await expect(readClipFile(nan, { joints: 20 })).rejects.toThrow(new UserError(`${nan}:5: value 2 is "NaN", expected a finite number`));
    lines[4] = '0.1 0.2 2.5';
    const mixed = file('mixed.txt', lines.join('\n'));
    await expect(readClipFile(mixed, { joints: 20 })).rejects.toThrow(new UserError(`${mixed}:5: 3 values, while line 1 has 4 (every row holds one joint)`));
    const odd = file('odd.txt', '1 2 3 4 5\n');
    await expect(readClipFile(odd, { joints: 20 })).rejects.toThrow(`${odd}:1: 5 values; expected one joint per row`);
    const blank = file('blank.txt', '\r\n\r\n');
    await expect(readClipFile(blank, { joints: 20 })).rejects.toThrow(new UserError(`${blank}: no values (expected frames of 20 joints, one joint or one frame per row)`));
    const npy = file('c.npy', npyBytes('<f4', [2, 19, 3], new Float32Array(114)));
    await expect(readClipFile(npy, { joints: 20 })).rejects.toThrow(`${npy}: field "shape": expected (frames, 20, 3 or 4) or (frames, 60 or 80) for 20 joints, found (2, 19, 3)`);
  });
});
