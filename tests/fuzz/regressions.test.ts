/**
 * What the fuzz targets found, kept as they found it (shrunk), each now parsed or refused with a
 * UserError. Add every new finding of `npm run fuzz` here, next to its fix.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { Npz } from '../../trainer/data/npz.ts';
import { prepareNpz } from '../../trainer/data/prepare.ts';
import { runOne } from '../../fuzz/harness.ts';
import { npyTarget } from '../../fuzz/targets/npy.ts';
import { recognizerTarget, type ApiCall } from '../../fuzz/targets/recognizer.ts';
import { npyBytes, zipBytes } from '../helpers/npy-zip.ts';

/** A valid .npy whose header's shape text is replaced (the fuzzer's decimal mutation). */
const withShape = (shape: string): Buffer =>
  Buffer.from(npyBytes('<f4', [2, 3], [1, 2, 3, 4, 5, 6]).toString('latin1').replace('(2, 3)', shape), 'latin1');

describe('npy', () => {
  it('a streamed header of shape (1, 900000000) over 24 bytes of data is refused as truncated, without allocating the row (was 3.4 GB)', async () => {
    await runOne(npyTarget, withShape('(1, 900000000)'));
  });

  it('the fuzzer\'s own counterexample: shape (99999999999999999999, 1000000000, 2) in a version 2 header (was 7.6 GB)', async () => {
    const found = Buffer.from('k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjgnPCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoOTk5OTk5OTk5OTk5OTk5OTk5OTksIDEwMDAwMDAwMDAsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAAAAAAAA4D8AAJIAAAAA8L8AAAAAAAAAQAAAAAAAAAhAAAAAAAAAEED8qfHSTWJQPw==', 'base64');
    await runOne(npyTarget, found);
  });

  describe('in an .npz', () => {
    let dir: string;
    beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'cocodiff-fuzz-npz-')); });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('a member whose header promises more data than the member declares is refused before a row is read', async () => {
      const path = join(dir, 'big.npz');
      // numpy's header for 180 MB of float32, followed by 6 values.
      await writeFile(path, zipBytes([{ name: 'x_train.npy', data: npyBytes('<f4', [1000, 300, 150], [1, 2, 3, 4, 5, 6]) }]));
      const npz = await Npz.open(path);
      try {
        const err = await npz.rows('x_train').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UserError);
        expect((err as Error).message).toBe(`${path}:x_train: field "shape": (1000, 300, 150) needs 180000000 data bytes, the array holds 24 (truncated or corrupt)`);
      } finally {
        await npz.close();
      }
    });

    it('prepare npz refuses such an x_train before it sizes its row buffer from the header, and leaves no cache', async () => {
      const path = join(dir, 'NTU60_CS.npz');
      await writeFile(path, zipBytes([
        { name: 'x_train.npy', data: npyBytes('<f4', [1, 1_000_000, 150], [1, 2, 3, 4, 5, 6]) },
        { name: 'y_train.npy', data: npyBytes('<i8', [1], [0]) },
        { name: 'x_test.npy', data: npyBytes('<f4', [1, 2, 150], new Float32Array(300).fill(1)) },
        { name: 'y_test.npy', data: npyBytes('<i8', [1], [0]) },
      ]));
      await expect(prepareNpz(path, join(dir, 'cache'), { quiet: true }))
        .rejects.toThrow(`${path}:x_train: field "shape": (1, 1000000, 150) needs 600000000 data bytes, the array holds 24 (truncated or corrupt)`);
      expect(existsSync(join(dir, 'cache'))).toBe(false);
    });
  });
});

describe('recognizer API', () => {
  beforeAll(() => recognizerTarget.setup!());

  const refusal = async (calls: ApiCall[]): Promise<string> => {
    try {
      await recognizerTarget.run(calls);
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      return (err as Error).message;
    }
    return 'accepted';
  };

  it.each<[string, ApiCall, RegExp]>([
    // `${stride}` and `alpha > 0` coerce their operand: an object without a prototype threw a TypeError.
    ['a stride without a prototype', { call: 'configure', opts: { stride: Object.create(null) } }, /^stride must be a positive integer, found an object$/],
    ['an alpha without a prototype', { call: 'configure', opts: { alpha: Object.create(null) } }, /^alpha must be in \(0, 1\], found an object$/],
    ['a threshold without a prototype', { call: 'configure', opts: { threshold: Object.create(null) } }, /^threshold must be in \[0, 1\], found an object$/],
    ['null options', { call: 'configure', opts: null }, /^options: expected an object of stride, alpha, threshold and topK, found null$/],
    // JSON.stringify of a BigInt threw "Do not know how to serialize a BigInt".
    ['a BigInt in a frame', { call: 'push', frame: [0n] }, /^body 0 \(ntu25, 25 joints\): expected a list of joints or of numbers, found 0n$/],
  ])('refuses %s with a UserError', async (_, call, message) => {
    expect(await refusal([call])).toMatch(message);
  });

  it('refuses a joint that holds itself with a UserError', async () => {
    const joint: unknown[] = [0, 0];
    joint.push(joint);
    expect(await refusal([{ call: 'push', frame: [Array.from({ length: 25 }, () => joint)] }])).toMatch(/^body 0 \(ntu25, 25 joints\): joint 0 coordinate 2: expected a number, found a list of 3$/);
  });
});
