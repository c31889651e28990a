import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bodyMotion, loadSkeletonFile, parseSkeleton, simpleDecimal } from 'cocodiff-runtime/shared/formats/ntu-skeleton';
import { range, skeletonText, swingingBody, type FixtureBody } from '../helpers/ntu-fixtures.ts';

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const parse = (text: string, file = 'S001C001P001R001A010.skeleton') => parseSkeleton(bytes(text), file);

/** The x y z the parser must have stored for person m at sequence frame t, joint v. */
function at(seq: ReturnType<typeof parse>, t: number, m: number, v: number): number[] {
  const o = ((t * seq.persons + m) * seq.joints + v) * 3;
  return Array.from(seq.data.subarray(o, o + 3));
}

function expected(b: FixtureBody, k: number, v: number): number[] {
  // The file holds 7 decimals for x, y and 6 for z; the parser stores float32.
  const [x, y, z] = b.joint(k, v);
  return [Math.fround(Number(x.toFixed(7))), Math.fround(Number(y.toFixed(7))), Math.fround(Number(z.toFixed(6)))];
}

describe('NTU .skeleton parser', () => {
  it('reads a CRLF file with two bodies and empty frames into ntu25 × 2 persons, dropping bodiless frames', () => {
    const a = swingingBody('72057594037931101', range(2, 10), 0, 0.05, 1); // moves little
    const b = swingingBody('72057594037931102', range(3, 12), 1, 0.6, 2); // moves a lot
    const text = skeletonText(14, [a, b]);
    expect(text).toContain('\r\n');
    const seq = parse(text);
    expect(seq).toMatchObject({ layout: 'ntu25', persons: 2, joints: 25, coords: 3, label: 9, name: 'S001C001P001R001A010' });
    // Frames 0, 1, 12 and 13 hold no body.
    expect(seq.frames).toBe(10);
    // The more-moving body b takes slot 0 although a is listed first in each frame.
    expect(at(seq, 0, 1, 4)).toEqual(expected(a, 0, 4));
    expect(at(seq, 0, 0, 4)).toEqual([0, 0, 0]); // b starts at file frame 3 = sequence frame 1
    expect(at(seq, 1, 0, 7)).toEqual(expected(b, 0, 7));
    expect(at(seq, 9, 0, 24)).toEqual(expected(b, 8, 24));
    expect(at(seq, 9, 1, 24)).toEqual([0, 0, 0]);
  });

  it('parses LF files to exactly the same sequence as CRLF', () => {
    const bodies = [swingingBody('1', range(0, 6), 0, 0.3, 3)];
    const crlf = parse(skeletonText(6, bodies, '\r\n'));
    const lf = parse(skeletonText(6, bodies, '\n'));
    expect(Array.from(lf.data)).toEqual(Array.from(crlf.data));
  });

  it('keeps the two most-moving of three bodies, and drops frames where only the third appears', () => {
    const still = swingingBody('100', range(0, 4), 2, 0, 4); // a coat rack the sensor saw as a body
    const mover = swingingBody('200', range(2, 9), 0, 0.8, 5);
    const helper = swingingBody('300', range(3, 8), 1, 0.3, 6);
    const seq = parse(skeletonText(9, [still, mover, helper]));
    expect(seq.frames).toBe(7); // file frames 0, 1 held only the still body
    expect(at(seq, 0, 0, 0)).toEqual(expected(mover, 0, 0));
    expect(at(seq, 1, 1, 0)).toEqual(expected(helper, 0, 0));
    expect(Array.from(seq.data).some((x) => Math.abs(x - 2) < 0.35)).toBe(false); // no joint of the still body (x ≈ 2)
  });

  it('matches bodies across frames by bodyID, whatever their order in a frame', () => {
    const a = swingingBody('A1', range(0, 5), 0, 0.9, 7);
    const b = swingingBody('B2', range(0, 5), 1, 0.1, 8);
    const lines = skeletonText(5, [a, b], '\n').split('\n');
    // Swap the two bodies' blocks (27 lines each) in frame 2: line 0 = frame count, each frame = 1 + 54 lines.
    const f2 = 1 + 2 * 55 + 1;
    const swapped = [...lines.slice(0, f2), ...lines.slice(f2 + 27, f2 + 54), ...lines.slice(f2, f2 + 27), ...lines.slice(f2 + 54)].join('\n');
    const seq = parse(swapped);
    expect(at(seq, 2, 0, 3)).toEqual(expected(a, 2, 3));
    expect(at(seq, 2, 1, 3)).toEqual(expected(b, 2, 3));
  });

  it('measures motion as the summed per-coordinate variance over all frames and joints', () => {
    // Two points per axis: x ∈ {0, 2} (var 1), y ∈ {1, 1} (var 0), z ∈ {0, 4} (var 4).
    expect(bodyMotion([0, 1, 0, 2, 1, 4])).toBeCloseTo(5, 12);
  });

  // Numbers in every spelling Number() accepts, including those simpleDecimal leaves to Number().
  const NUMBERS = [
    '-0.2059419', '277.419', '2', '+3.75', '12.5', '-123456.789', '9.99', '.25', '5.', '-.5', '0',
    '1e3', '1E3', '2.5e-3', '-2.5E+2', '5.e-1', '1e0', '7e+05', '3e-9', '1.5e-10', '1e12', '1e22', '1e-22',
    '123456789012345', '1234567890123456', '12345678901234567', '0.30000000000000004', '1e23', '1e-23', '1e-30',
  ];

  it('stores every number as the float32 of Number(), signs, exponents and long mantissas included', () => {
    const b: FixtureBody = { id: '9', frames: [0], joint: () => [0, 0, 0] };
    const lines = skeletonText(1, [b], '\n').split('\n');
    // lines[4 + v] is joint v; its x y z take NUMBERS[3v..3v+2].
    for (let v = 0; 3 * v < NUMBERS.length; v++) {
      lines[4 + v] = lines[4 + v].replace(/^\S+ \S+ \S+/, NUMBERS.slice(3 * v, 3 * v + 3).join(' '));
    }
    const seq = parse(lines.join('\n'));
    expect(Array.from(seq.data.subarray(0, NUMBERS.length))).toEqual(NUMBERS.map((t) => Math.fround(Number(t))));
  });

  it('reads simple decimals in place, exactly as Number() does', () => {
    const read = (t: string) => simpleDecimal(bytes(t), 0, t.length);
    for (const t of NUMBERS.filter((t) => !['1234567890123456', '12345678901234567', '0.30000000000000004', '1e23', '1e-23', '1e-30'].includes(t))) {
      expect(read(t), t).toBe(Number(t));
    }
    expect(Object.is(read('-0'), -0)).toBe(true);
  });

  it('leaves to Number() what it cannot read exactly: over 15 digits, powers of ten beyond ±22, malformed text', () => {
    const declined = [
      '1234567890123456', '12345678901234567', '0.30000000000000004', '1e23', '1.5e-22', '1e-23',
      '', '-', '+', '.', '-.', 'e5', '1e', '1e+', '1.5x', '1..5', '1.e', '1eA', '1e:', '1e1.', '1.5-3', '--1', '+-1',
      'nan', 'inf', '1.2.3', '0x10',
    ];
    for (const t of declined) expect(simpleDecimal(bytes(t), 0, t.length), t).toBeUndefined();
  });

  it('reads exactly the bytes [s, e): digits and signs next to them do not count', () => {
    const at = (text: string, s: number, e: number) => simpleDecimal(bytes(text), s, e);
    expect(at('127', 0, 2)).toBe(12);
    expect(at('3.257', 0, 4)).toBe(3.25);
    expect(at('1e27', 0, 3)).toBe(100);
    expect(at('12.5', 0, 2)).toBe(12);
    expect(at('1e5', 0, 1)).toBe(1);
    expect(at('712.5e27', 1, 7)).toBe(1250);
    expect(at('7+5', 1, 3)).toBe(5);
    expect(at('7-5', 1, 3)).toBe(-5);
  });

  it('loads from disk with the label and name taken from the file name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntu-'));
    const path = join(dir, 'S017C003P020R002A060.skeleton');
    writeFileSync(path, skeletonText(3, [swingingBody('5', range(0, 3), 0, 0.2)]));
    const seq = await loadSkeletonFile(path);
    expect(seq).toMatchObject({ label: 59, name: 'S017C003P020R002A060', frames: 3, source: path });
  });
});

describe('NTU .skeleton bad input', () => {
  const good = skeletonText(4, [swingingBody('1', range(0, 4), 0, 0.3), swingingBody('2', range(1, 3), 1, 0.3)], '\r\n');
  const lines = good.split('\r\n');
  const F = 'S001C001P001R001A001.skeleton';
  const bad = (ls: string[]): string => ls.join('\r\n');
  // Line numbers (1-based): 1 frame count; 2 body count of frame 1; 3 body info; 4 "25"; 5..29 joints.

  it('rejects a truncated file, naming the line where more was expected', () => {
    expect(() => parse(bad(lines.slice(0, 40)), F)).toThrow(/^S001C001P001R001A001\.skeleton:41: file ends early: .*truncated/);
  });

  it('rejects a joint line with 11 values', () => {
    const ls = [...lines];
    ls[9] = ls[9].split(' ').slice(0, 11).join(' ');
    expect(() => parse(bad(ls), F)).toThrow(`${F}:10: expected joint 6 of 25 of frame 1 of 4, body 1 of 1 (12 values), found 11 values`);
  });

  it('rejects a body count that does not match the bodies that follow', () => {
    const ls = [...lines];
    ls[1] = '2'; // frame 1 claims two bodies but holds one: the next "1" is read where body 2's info line belongs
    expect(() => parse(bad(ls), F)).toThrow(/:30: expected the body info line of frame 1 of 4, body 2 of 2 \(10 values\), found 1 value$/);
    const fewer = [...lines];
    fewer[29] = '1'; // frame 2 holds two bodies but claims one: body 2's info line arrives as a body count
    expect(() => parse(bad(fewer), F)).toThrow(/:58: expected the body count of frame 3 \(1 value\), found 10 values/);
  });

  it('rejects more frames than the first line declares', () => {
    const ls = [...lines];
    ls[0] = '3';
    expect(() => parse(bad(ls), F)).toThrow(/expected end of file after the 3 frames/);
  });

  it('rejects a joint count other than 25', () => {
    const ls = [...lines];
    ls[3] = '24';
    expect(() => parse(bad(ls), F)).toThrow(`${F}:4: expected the joint count of frame 1 of 4, body 1 of 1 = 25, found 24`);
  });

  // 1e39 and 3.5e38 are finite doubles but overflow float32, the type the coordinates are stored in.
  it.each([
    'NaN', 'nan', 'inf', '-Infinity', 'abc', '1.2.3', '1e', '1e39', '-3.5e38',
    '.', '-', '1..5', '1.e', '1eA', '1e1.', '1.5-3', '--1', '1.5x',
  ])('rejects the coordinate %s', (tok) => {
    const ls = [...lines];
    const vals = ls[6].split(' ');
    vals[1] = tok;
    ls[6] = vals.join(' ');
    expect(() => parse(bad(ls), F)).toThrow(`${F}:7: joint 3 of 25 of frame 1 of 4, body 1 of 1: value 2 should be a finite float32 number, found "${tok}"`);
  });

  it('names the value that is wrong wherever it is on the line', () => {
    for (const k of [0, 2, 11]) {
      const ls = [...lines];
      const vals = ls[6].split(' ');
      vals[k] = 'x1';
      ls[6] = vals.join(' ');
      expect(() => parse(bad(ls), F)).toThrow(`${F}:7: joint 3 of 25 of frame 1 of 4, body 1 of 1: value ${k + 1} should be a finite float32 number, found "x1"`);
    }
  });

  it.each(['-1', '1.5', '1e400', 'two', '0x1', '1e0', '1.0', '+1'])('rejects the body count %s (decimal digits only: sweep probe P45)', (tok) => {
    const ls = [...lines];
    ls[1] = tok;
    expect(() => parse(bad(ls), F)).toThrow(`${F}:2: expected the body count of frame 1 (a non-negative integer), found "${tok}"`);
  });

  it('says how many values a count line should hold and holds', () => {
    const ls = [...lines];
    ls[0] = '4 4';
    expect(() => parse(bad(ls), F)).toThrow(`${F}:1: expected the frame count (1 value), found 2 values`);
  });

  it('rejects a file in which no frame holds a body', () => {
    expect(() => parse('2\r\n0\r\n0\r\n', F)).toThrow(/no frame holds a body/);
  });
});
