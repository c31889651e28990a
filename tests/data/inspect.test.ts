import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register } from '../../cli/commands/inspect.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { LAYOUTS } from 'cocodiff-runtime/shared/layouts';
import { formatReport, inspectPath } from '../../trainer/data/inspect.ts';
import { CacheWriter } from '../../trainer/data/cache.ts';
import { range, skeletonText, swingingBody } from '../helpers/ntu-fixtures.ts';
import { npyBytes } from '../helpers/npy-zip.ts';

const dir = mkdtempSync(join(tmpdir(), 'inspect-'));

describe('inspect', () => {
  it('reports an NTU .skeleton: frames, valid frames, label with class name, coordinate ranges', async () => {
    const path = join(dir, 'S001C001P001R001A023.skeleton');
    // One body swinging around x = 0 over frames 1..9 of 12: frames 0, 10, 11 hold no body.
    writeFileSync(path, skeletonText(12, [swingingBody('7', range(1, 10), 0, 0.5, 9)]));
    const r = await inspectPath(path);
    expect(r).toMatchObject({ format: 'ntu-skeleton', frames: 9, validFrames: 9, persons: 2, joints: 25, layout: 'ntu25', label: 22, className: 'hand waving' });
    expect(r.ranges!.z[0]).toBeGreaterThan(2.8);
    expect(r.ranges!.z[1]).toBeLessThan(3.2);
    expect(formatReport(r)).toContain('label       22 (hand waving)');
  });

  it('reports a (C, T, V, M) .npy, counting frames with any person as valid', async () => {
    const [C, T, V, M] = [3, 5, 17, 2];
    const data = new Float32Array(C * T * V * M);
    // Person 0 present in frames 0..2 with x = t + 1, y = −1, score = 0.5; frames 3 and 4 are padding.
    for (let t = 0; t < 3; t++) for (let v = 0; v < V; v++) {
      data[((0 * T + t) * V + v) * M] = t + 1;
      data[((1 * T + t) * V + v) * M] = -1;
      data[((2 * T + t) * V + v) * M] = 0.5;
    }
    const path = join(dir, 'x.npy');
    writeFileSync(path, npyBytes('<f4', [C, T, V, M], data));
    expect(await inspectPath(path)).toMatchObject({ format: 'npy', frames: 5, validFrames: 3, persons: 2, joints: 17, layout: 'coco17', ranges: { x: [1, 3], y: [-1, -1], score: [0.5, 0.5] } });
    // One joint more than the largest layout has: no layout, whatever the registry holds.
    const noLayout = Math.max(...Object.values(LAYOUTS).map((l) => l.joints.length)) + 1;
    writeFileSync(join(dir, 'bad.npy'), npyBytes('<f4', [3, 5, noLayout, 2], new Float32Array(3 * 5 * noLayout * 2)));
    await expect(inspectPath(join(dir, 'bad.npy'))).rejects.toThrow(new RegExp(`bad\\.npy: field "shape": no joint layout has ${noLayout} joints per person \\(ntu25: 25, `));
    writeFileSync(join(dir, 'xy.npy'), npyBytes('<f4', [2, 5, V, M], new Float32Array(2 * 5 * V * M)));
    await expect(inspectPath(join(dir, 'xy.npy'))).rejects.toThrow(/xy\.npy: field "shape": expected C = 3 coordinates per joint, found \(2, 5, 17, 2\)/);
  });

  it('reports a Kinetics JSON and a cache folder', async () => {
    const k = join(dir, 'vid.json');
    writeFileSync(k, JSON.stringify({ data: [{ frame_index: 0, skeleton: [{ pose: new Array(36).fill(0.5), score: new Array(18).fill(0.9) }] }], label: 'archery', label_index: 5 }));
    expect(await inspectPath(k)).toMatchObject({ format: 'kinetics-json', frames: 1, layout: 'openpose18', label: 5, className: 'archery' });
    const cacheDir = join(dir, 'cache');
    const w = await CacheWriter.create(cacheDir, { layout: 'coco17', persons: 1, joints: 17, coords: 3, classes: ['a', 'b'], benchmark: null, source: 'test' });
    await w.add('train', { layout: 'coco17', frames: 2, persons: 1, joints: 17, coords: 3, data: new Float32Array(102).fill(2), label: 1 });
    await w.add('test', { layout: 'coco17', frames: 3, persons: 1, joints: 17, coords: 3, data: new Float32Array(153), label: 0 });
    await w.commit();
    expect(await inspectPath(cacheDir)).toMatchObject({ format: 'cache', frames: 5, validFrames: 2, samples: { train: 1, test: 1 }, classes: 2, ranges: { x: [2, 2] } });
  });

  it('prints one JSON object from the command, and fails with a UserError naming file and line', async () => {
    const path = join(dir, 'S002C002P002R001A001.skeleton');
    writeFileSync(path, skeletonText(3, [swingingBody('1', range(0, 3), 0, 0.2)], '\n'));
    // The command as cli/main.ts wires it (the whole binary also loads tfjs, too slow for this file).
    const program = new Command('cocodiff').exitOverride();
    register(program);
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void printed.push(s));
    try {
      await program.parseAsync(['inspect', path, '--json'], { from: 'user' });
    } finally {
      log.mockRestore();
    }
    expect(printed).toHaveLength(1);
    expect(JSON.parse(printed[0])).toMatchObject({ format: 'ntu-skeleton', frames: 3, persons: 2, joints: 25, layout: 'ntu25' });
    const bad = join(dir, 'S002C002P002R001A002.skeleton');
    writeFileSync(bad, '3\n1\n');
    const err = await program.parseAsync(['inspect', bad], { from: 'user' }).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(`${bad}:3: file ends early: expected the body info line of frame 1 of 3, body 1 of 1 (truncated file?)`);
  });
});
