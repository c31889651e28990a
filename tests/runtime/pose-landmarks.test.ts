/**
 * fromBlazePose: BlazePose's 33 normalised landmarks → one COCO-17 body in pixels with scores, as
 * the recognizer reads it; missed joints as the synthetic camera data marks them (all zero).
 */
import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { BLAZEPOSE33_LANDMARKS, frameFromBodies, fromBlazePose, LAYOUTS, type BlazePoseLandmark } from 'cocodiff-runtime';
import { UserError } from 'cocodiff-runtime/shared/errors';

const SIZE = { width: 640, height: 480 };

/** 33 landmarks, each at a distinct place inside the image, all clearly visible. */
function pose(): BlazePoseLandmark[] {
  return Array.from({ length: 33 }, (_, i) => ({ x: 0.01 + i * 0.029, y: 0.98 - i * 0.027, z: -0.1 * i, visibility: 0.9 }));
}

const joint = (body: Float32Array, name: string): number[] => {
  const v = LAYOUTS.coco17.joints.indexOf(name);
  return Array.from(body.subarray(v * 3, v * 3 + 3));
};

describe('fromBlazePose', () => {
  it("takes each COCO joint from MediaPipe's landmark of that name, in pixels, with the visibility as score", () => {
    const lm = pose();
    const body = fromBlazePose(lm, SIZE);
    expect(body).toHaveLength(17 * 3);
    // MediaPipe's documented indices: nose 0, left eye 2, right ear 8, left wrist 15, right hip 24, left ankle 27.
    for (const [name, at] of [['nose', 0], ['left_eye', 2], ['right_ear', 8], ['left_wrist', 15], ['right_hip', 24], ['left_ankle', 27]] as const) {
      expect(BLAZEPOSE33_LANDMARKS[at]).toBe(name);
      const [x, y, score] = joint(body, name);
      expect(x).toBeCloseTo(lm[at].x * 640, 3);
      expect(y).toBeCloseTo(lm[at].y * 480, 3);
      expect(score).toBeCloseTo(0.9, 6);
    }
    // Every COCO joint is one of the 33, none of the hand, foot or mouth points.
    const xs = new Set(lm.map((l) => Math.fround(l.x * 640)));
    for (let v = 0; v < 17; v++) expect(xs.has(body[v * 3])).toBe(true);
  });

  it('marks a joint the estimator doubts, or one outside the image, as missed (x = y = score = 0)', () => {
    const lm = pose();
    lm[15] = { ...lm[15], visibility: 0.2 }; // left wrist: occluded
    lm[28] = { ...lm[28], y: 1.2 }; // right ankle: below the image
    lm[0] = { ...lm[0], x: Number.NaN }; // nose: no position
    const body = fromBlazePose(lm, SIZE);
    expect(joint(body, 'left_wrist')).toEqual([0, 0, 0]);
    expect(joint(body, 'right_ankle')).toEqual([0, 0, 0]);
    expect(joint(body, 'nose')).toEqual([0, 0, 0]);
    expect(joint(body, 'right_wrist')[2]).toBeCloseTo(0.9, 6);
    // The threshold is the caller's: at 0.1 the doubted wrist counts, with its low score.
    expect(joint(fromBlazePose(lm, { ...SIZE, minVisibility: 0.1 }), 'left_wrist')[2]).toBeCloseTo(0.2, 6);
  });

  it('counts a landmark without visibility as seen, and keeps a seen score above zero', () => {
    const lm = pose().map(({ x, y }) => ({ x, y }));
    expect(joint(fromBlazePose(lm, SIZE), 'left_hip')[2]).toBe(1);
    const doubtful = pose().map((l) => ({ ...l, visibility: 0 }));
    expect(joint(fromBlazePose(doubtful, { ...SIZE, minVisibility: 0 }), 'left_hip')[2]).toBeGreaterThan(0);
  });

  it('gives a body the recognizer takes as a COCO-17 person', () => {
    const body = fromBlazePose(pose(), SIZE);
    const frame = frameFromBodies([body], { layout: 'coco17', persons: 2, joints: 17, coords: 3 });
    expect(Array.from(frame.subarray(0, 51))).toEqual(Array.from(body));
    expect(frame.subarray(51).every((x) => x === 0)).toBe(true);
  });

  it('refuses anything but 33 landmarks, a landmark without numbers, or an image without a size, in one line', () => {
    const refusal = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        expect((e as Error).message).not.toContain('\n');
        return (e as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal(() => fromBlazePose(pose().slice(0, 25), SIZE))).toMatch(/25 landmarks, expected BlazePose's 33/);
    expect(refusal(() => fromBlazePose([...pose(), ...pose().slice(0, 6)], SIZE))).toMatch(/39 landmarks, expected BlazePose's 33/);
    const broken: unknown[] = pose();
    broken[11] = { y: 0.5, visibility: 1 };
    expect(refusal(() => fromBlazePose(broken as BlazePoseLandmark[], SIZE))).toMatch(/landmark 11 \(left_shoulder\): expected \{x, y, visibility\}/);
    const wordy: unknown[] = pose();
    wordy[23] = { x: 0.5, y: 0.5, visibility: '0.9' };
    expect(refusal(() => fromBlazePose(wordy as BlazePoseLandmark[], SIZE))).toMatch(/landmark 23 \(left_hip\): visibility: expected a number/);
    expect(refusal(() => fromBlazePose(pose(), { width: 0, height: 480 }))).toMatch(/width and height in pixels/);
    expect(refusal(() => fromBlazePose(pose(), { ...SIZE, minVisibility: 2 }))).toMatch(/minVisibility: expected a number in \[0, 1\]/);
    expect(refusal(() => fromBlazePose(null as unknown as BlazePoseLandmark[], SIZE))).toMatch(/expected a list of 33/);
  });

  // What an estimator (or a bug between it and the page) can hand over: right and wrong lengths,
  // landmarks with odd numbers, strings, nulls; images of odd sizes.
  const odd = fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e39), fc.string(), fc.constant(null), fc.constant(undefined));
  const plausible = fc.record({ x: fc.double({ min: -0.5, max: 1.5, noNaN: true }), y: fc.double({ min: -0.5, max: 1.5, noNaN: true }), z: fc.double(), visibility: fc.double({ min: 0, max: 1, noNaN: true }) }, { requiredKeys: ['x', 'y'] });
  const landmark = fc.oneof(plausible, fc.record({ x: odd, y: odd, visibility: odd }, { requiredKeys: [] }), odd);
  // Mostly 33 plausible landmarks (the path that returns a body), else anything.
  const landmarks = fc.oneof(
    { arbitrary: fc.array(plausible, { minLength: 33, maxLength: 33 }), weight: 3 },
    { arbitrary: fc.array(landmark, { minLength: 33, maxLength: 33 }), weight: 1 },
    { arbitrary: fc.array(landmark, { maxLength: 40 }), weight: 1 },
  );
  const side = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 4000 }), weight: 4 }, { arbitrary: odd, weight: 1 });
  const size = fc.record({ width: side, height: side });
  itProp.prop([landmarks, size], { seed: 23, numRuns: 1500 })('gives a body whose every joint is seen in the image or all zero, or a UserError, never another error', (lm, sz) => {
    let body: Float32Array;
    try {
      body = fromBlazePose(lm as BlazePoseLandmark[], sz as { width: number; height: number });
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      return;
    }
    expect(body).toHaveLength(51);
    for (let v = 0; v < 17; v++) {
      const [x, y, score] = body.subarray(v * 3, v * 3 + 3);
      if (score === 0) expect([x, y]).toEqual([0, 0]);
      else {
        expect(score).toBeGreaterThan(0);
        expect(score).toBeLessThanOrEqual(1);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(Math.fround((sz as { width: number }).width));
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(Math.fround((sz as { height: number }).height));
      }
    }
  });
});
