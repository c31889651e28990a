import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMBEDDINGS_FORMAT, loadEmbeddingsFile } from '../../trainer/text/embeddings-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'cocodiff-emb-'));
function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** A little-endian float32 .npy (format 1.0), as numpy.save writes it. */
function npy(shape: number[], values: number[]): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + 4 * values.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 255, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  new Float32Array(out.buffer, 10 + header.length).set(values);
  return out;
}

describe('precomputed embeddings', () => {
  it('JSON: one vector per class, per phrase (averaged) or split coarse/fine, in training-class order', async () => {
    const f = file('ok.json', JSON.stringify({
      dim: 2,
      classes: {
        Jump: [1, 2],
        kick: [[0, 0], [2, 4]],
        clap: { coarse: [1, 1], fine: [[3, 0], [1, 0]] },
        unused: [9, 9],
      },
    }));
    const e = await loadEmbeddingsFile(f, ['kick', 'clap', 'jump']);
    expect(e.dim).toBe(2);
    expect(Array.from(e.coarse)).toEqual([1, 2, 1, 1, 1, 2]);
    expect(Array.from(e.fine)).toEqual([1, 2, 2, 0, 1, 2]);
  });

  it('JSON: reads what `text embed` writes, whose format field marks it as cocodiff\'s', async () => {
    const f = file('embedded.json', JSON.stringify({ format: EMBEDDINGS_FORMAT, dim: 2, classes: { wave: { coarse: [1, 0], fine: [0, 1] } } }));
    const e = await loadEmbeddingsFile(f, ['wave']);
    expect([Array.from(e.coarse), Array.from(e.fine)]).toEqual([[1, 0], [0, 1]]);
  });

  it('.npy: [classes, dim] rows and [classes, phrases, dim] averaged', async () => {
    const rows = await loadEmbeddingsFile(file('rows.npy', npy([2, 3], [1, 2, 3, 4, 5, 6])), ['a', 'b']);
    expect(Array.from(rows.coarse)).toEqual([1, 2, 3, 4, 5, 6]);
    const phrases = await loadEmbeddingsFile(file('phrases.npy', npy([2, 2, 1], [1, 3, 10, 20])), ['a', 'b']);
    expect(Array.from(phrases.fine)).toEqual([2, 15]);
  });

  it('names the file and field for a missing class, a wrong dimension and a duplicate label', async () => {
    const missing = file('missing.json', JSON.stringify({ dim: 2, classes: { jump: [1, 2] } }));
    await expect(loadEmbeddingsFile(missing, ['jump', 'kick'])).rejects.toThrow(/missing\.json: field "classes": no embedding for training class 1 "kick"/);
    const wrongDim = file('dim.json', JSON.stringify({ dim: 3, classes: { jump: [[1, 2, 3], [1, 2]] } }));
    await expect(loadEmbeddingsFile(wrongDim, ['jump'])).rejects.toThrow(/dim\.json: field "classes\.jump\[1\]": wrong dimension: expected 3 numbers, got 2/);
    const dup = file('dup.json', JSON.stringify({ dim: 1, classes: { jump: [1], 'Jump!': [2] } }));
    await expect(loadEmbeddingsFile(dup, ['jump'])).rejects.toThrow(/dup\.json: field "classes\.Jump!": duplicate label/);
    const nan = file('nan.json', JSON.stringify({ dim: 1, classes: { jump: ['x'] } }));
    await expect(loadEmbeddingsFile(nan, ['jump'])).rejects.toThrow(/classes\.jump\[0\]/);
    await expect(loadEmbeddingsFile(file('rows3.npy', npy([3, 2], [1, 2, 3, 4, 5, 6])), ['a', 'b'])).rejects.toThrow(/rows3\.npy: field "shape": expected one row per training class \(2\), got 3/);
    await expect(loadEmbeddingsFile(file('flat.npy', npy([4], [1, 2, 3, 4])), ['a'])).rejects.toThrow(/flat\.npy: field "shape"/);
  });
});
