import { describe, expect, it } from 'vitest';
import type { SampleEntry } from '../../trainer/data/cache.ts';
import { subjectOf, trainSubsets } from '../../trainer/data/subsets.ts';

/** 10 subjects × 3 classes × 2 recordings each, named as the synthetic set names them. */
const samples: SampleEntry[] = [];
for (let p = 0; p < 10; p++) for (let c = 0; c < 3; c++) for (let r = 0; r < 2; r++) samples.push({ name: `P${String(p).padStart(3, '0')}A${String(c + 1).padStart(3, '0')}R${String(samples.length).padStart(4, '0')}`, label: c, frames: 10, offset: 0 });

describe('training subsets', () => {
  it('reads the performer from NTU and synthetic names, and falls back to the name', () => {
    expect(subjectOf('S001C002P003R002A013')).toBe('P003');
    expect(subjectOf('P017A004R0012')).toBe('P017');
    expect(subjectOf('kinetics_abc')).toBe('kinetics_abc');
  });

  it('reads the subject of per-clip datasets\' names (NW-UCLA, MSR Action3D, Florence, prepare clips), the two views of one take alike', () => {
    expect(subjectOf('a01_s03_e02_v01')).toBe('s3');
    expect(subjectOf('a01_s03_e02_v02')).toBe('s3');
    expect(subjectOf('a12_s10_e01')).toBe('s10');
    expect(subjectOf('a01_s3_id7')).toBe('s3');
    expect(subjectOf('s7_walk-take2')).toBe('s7');
    // An underscore-s number elsewhere in a name is no subject.
    expect(subjectOf('vid_s12_x')).toBe('vid_s12_x');
  });

  it('holds out whole subjects for validation, disjoint from training', () => {
    const s = trainSubsets(samples, { valFraction: 0.2, perClass: 0, seed: 1 });
    expect(s.valSubjects).toHaveLength(2);
    expect(s.train.length + s.val.length).toBe(samples.length);
    const trainSubjects = new Set(s.train.map((i) => subjectOf(samples[i].name)));
    expect(s.val.every((i) => s.valSubjects.includes(subjectOf(samples[i].name)))).toBe(true);
    expect(s.valSubjects.some((v) => trainSubjects.has(v))).toBe(false);
  });

  it('keeps K recordings per class outside the validation subjects, the same for the same seed', () => {
    const a = trainSubsets(samples, { valFraction: 0.2, perClass: 3, seed: 5 });
    expect(a.train).toHaveLength(9);
    for (let c = 0; c < 3; c++) expect(a.train.filter((i) => samples[i].label === c)).toHaveLength(3);
    expect(a.train.some((i) => a.val.includes(i))).toBe(false);
    expect(trainSubsets(samples, { valFraction: 0.2, perClass: 3, seed: 5 })).toEqual(a);
    expect(trainSubsets(samples, { valFraction: 0.2, perClass: 3, seed: 6 }).train).not.toEqual(a.train);
  });

  it('no validation split at 0, and clear errors for impossible requests', () => {
    expect(trainSubsets(samples, { valFraction: 0, perClass: 0, seed: 1 }).val).toEqual([]);
    expect(() => trainSubsets(samples, { valFraction: 0.2, perClass: 17, seed: 1 })).toThrow(/^trainPerClass: 17: classes 0, 1, 2 have fewer training recordings/);
    expect(() => trainSubsets(samples, { valFraction: 1, perClass: 0, seed: 1 })).toThrow(/^valFraction: expected a number in \[0, 1\)/);
  });
});
