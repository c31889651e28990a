/**
 * `cocodiff bench-train`'s measurement and table: a cell times real training steps (and leaves no
 * tensors behind), and the table's ratios are between backends of the same run.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { benchTrain, formatBenchTrain, type BenchCell } from '../../trainer/train/bench-train.ts';

describe('bench-train', () => {
  it('times whole training steps on a backend: one cell per model and batch, the median of its timed steps, nothing leaked', async () => {
    const before = tf.memory().numTensors;
    const cells = await benchTrain({ backends: ['wasm'], models: ['synth-quick'], batches: [2, 3], warmup: 1, steps: 3, seed: 4 });
    expect(cells.map((c) => [c.backend, c.model, c.batch, c.error])).toEqual([['wasm', 'synth-quick', 2, undefined], ['wasm', 'synth-quick', 3, undefined]]);
    for (const c of cells) {
      expect(c.samples).toHaveLength(3);
      for (const s of c.samples) expect(s).toBeGreaterThan(0);
      expect(c.samplesPerSecond).toBe([...c.samples].sort((a, b) => a - b)[1]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('prints a column per backend with its spread, and each backend against the first', () => {
    const cell = (backend: string, samples: number[]): BenchCell => ({ backend, model: 'ctrgcn', batch: 16, samples, samplesPerSecond: [...samples].sort((a, b) => a - b)[1] });
    const table = formatBenchTrain([cell('wasm', [2, 1, 3]), cell('webgpu', [9, 8, 10]), { backend: 'cpu', model: 'ctrgcn', batch: 16, samples: [], error: 'failed: out of memory' }], ['wasm', 'webgpu', 'cpu']);
    const [header, row] = table.split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['model', 'batch', 'wasm samples/s', 'webgpu samples/s', 'cpu samples/s', 'webgpu / wasm', 'cpu / wasm']);
    expect(row.split(/\s{2,}/)).toEqual(['ctrgcn', '16', '2.00 (1.00–3.00)', '9.00 (8.00–10.00)', 'failed: out of memory', '4.50×', '–']);
  });
});
