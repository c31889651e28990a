import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import * as prepareCommand from '../../cli/commands/prepare.ts';
import { errorMessage } from '../../cli/error-message.ts';
import { parseNtuName } from 'cocodiff-runtime/shared/formats/ntu-name';
import { benchmarkClasses, ntuClassNames, ntuMissingSamples, ntuSplit, parseBenchmark } from '../../trainer/data/ntu-names.ts';

const name = (s: string) => parseNtuName(s)!;

describe('NTU sample names', () => {
  it('parses setup, camera, performer, replication and action from a path or a bare name', () => {
    expect(parseNtuName('/data/nturgb+d_skeletons/S017C003P020R002A060.skeleton')).toEqual({ setup: 17, camera: 3, performer: 20, replication: 2, action: 60 });
    expect(parseNtuName('S032C001P106R001A120')).toEqual({ setup: 32, camera: 1, performer: 106, replication: 1, action: 120 });
  });

  it('refuses names that do not follow the pattern', () => {
    for (const bad of ['S01C001P001R001A001', 'S001C001P001R001A001.txt', 'x.skeleton', 's001c001p001r001a001']) expect(parseNtuName(bad)).toBeNull();
  });
});

describe('benchmark splits', () => {
  it('cross-subject NTU-60 trains on the listed performers only', () => {
    const train = [1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38];
    for (let p = 1; p <= 40; p++) {
      expect(ntuSplit(name(`S001C001P${String(p).padStart(3, '0')}R001A001`), 'xsub')).toBe(train.includes(p) ? 'train' : 'test');
    }
  });

  it('cross-view NTU-60 trains on cameras 2 and 3 and tests on camera 1', () => {
    expect(ntuSplit(name('S001C001P001R001A001'), 'xview')).toBe('test');
    expect(ntuSplit(name('S001C002P003R001A001'), 'xview')).toBe('train');
    expect(ntuSplit(name('S001C003P003R001A001'), 'xview')).toBe('train');
  });

  it('NTU-60 benchmarks leave out the NTU-120 actions 61..120', () => {
    expect(ntuSplit(name('S001C002P001R001A060'), 'xview')).toBe('train');
    expect(ntuSplit(name('S001C002P001R001A061'), 'xview')).toBeNull();
    expect(ntuSplit(name('S001C002P001R001A061'), 'xsub')).toBeNull();
    expect(ntuSplit(name('S001C002P001R001A120'), 'xsub120')).toBe('train');
    expect(benchmarkClasses('xview')).toBe(60);
    expect(benchmarkClasses('xset120')).toBe(120);
  });

  it('cross-subject NTU-120 adds the new training performers; cross-setup trains on even setups', () => {
    expect(ntuSplit(name('S020C001P045R001A100'), 'xsub120')).toBe('train');
    expect(ntuSplit(name('S020C001P103R001A100'), 'xsub120')).toBe('train');
    expect(ntuSplit(name('S020C001P044R001A100'), 'xsub120')).toBe('test');
    expect(ntuSplit(name('S020C001P106R001A100'), 'xsub120')).toBe('test');
    expect(ntuSplit(name('S020C001P003R001A100'), 'xset120')).toBe('train');
    expect(ntuSplit(name('S021C001P001R001A100'), 'xset120')).toBe('test');
  });

  it('rejects an unknown benchmark name with the accepted ones (the CLI names its flag)', () => {
    expect(() => parseBenchmark('cs')).toThrow(/^benchmark: expected one of xsub, xview, xsub120, xset120, found "cs"$/);
    const program = new Command('cocodiff');
    prepareCommand.register(program);
    let thrown: unknown;
    try {
      parseBenchmark('cs');
    } catch (err) {
      thrown = err;
    }
    expect(errorMessage(thrown, program)).toBe('--benchmark: expected one of xsub, xview, xsub120, xset120, found "cs"');
  });
});

describe('reference lists shipped with the project', () => {
  it('holds the official missing-skeleton samples (302 for NTU-60, 535 for NTU-120)', () => {
    const m60 = ntuMissingSamples(60);
    const m120 = ntuMissingSamples(120);
    expect(m60.size).toBe(302);
    expect(m120.size).toBe(535);
    expect(m60.has('S001C002P005R002A008')).toBe(true);
    for (const s of m60) expect(m120.has(s)).toBe(true);
  });

  it('names the 60 and 120 classes in action order', () => {
    const n60 = ntuClassNames(60);
    const n120 = ntuClassNames(120);
    expect(n60).toHaveLength(60);
    expect(n120).toHaveLength(120);
    expect(n60[0]).toBe('drink water');
    expect(n120.slice(0, 60)).toEqual(n60);
  });
});
