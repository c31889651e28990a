import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interpret } from '../../compiler/interpret.ts';
import type { Graph } from '../../compiler/ir.ts';
import { tensorLayouts } from '../../compiler/tensor-layout.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { liveBuffers, planMemory } from '../../compiler/memory-plan.ts';
import { PASSES, runPasses } from '../../compiler/passes/index.ts';
import { randomInput, writeRandomArtifact } from './artifacts.ts';

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('compiler passes', () => {
  let dir: string;
  let graph: Graph;
  let x: Float32Array;
  let reference: Float32Array;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocodiff-passes-'));
    await writeRandomArtifact(join(dir, 'model'), { width: 0.25, blocks: 5, T: 16, seed: 3 });
    graph = (await loadArtifact(join(dir, 'model'))).graph;
    const { C, T, V, M } = graph.input;
    x = randomInput(C * T * V * M, 11);
    reference = interpret(graph, x);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the random model is not degenerate (logits differ between classes)', () => {
    const spread = Math.max(...reference) - Math.min(...reference);
    expect(spread).toBeGreaterThan(0.1);
  });

  it('each pass on its own preserves the interpreter output', () => {
    let g = graph;
    for (const pass of PASSES) {
      const before = interpret(g, x);
      const after = pass.run(g);
      expect(after).not.toBe(g);
      expect(maxAbsDiff(interpret(after, x), before), pass.name).toBeLessThan(1e-4);
      g = after;
    }
  });

  it('passes do not modify their input graph', () => {
    runPasses(graph);
    expect(maxAbsDiff(interpret(graph, x), reference)).toBe(0);
  });

  it('leaves only kernel ops: every batch-norm, ReLU, add and concat folded or fused', () => {
    const lowered = runPasses(graph);
    const kinds = new Set(lowered.ops.map((op) => op.kind));
    for (const k of ['bn', 'relu', 'add', 'concat'] as const) expect(kinds.has(k), k).toBe(false);
    expect(lowered.ops.some((op) => op.kind === 'conv' && op.stride !== 1)).toBe(false);
    const input = lowered.ops.find((op) => op.kind === 'input');
    expect(input && input.kind === 'input' && input.scale && !input.bn).toBeTruthy();
  });

  it('computes only the frames a strided conv keeps, except where a tap falls between them', () => {
    // Units 3 and 5 have stride 2: in each, the dilation-2 branch conv (taps on even offsets) and the
    // 1×1 convs read a subsampled input; only the dilation-1 branch conv runs densely and is subsampled after.
    const lowered = runPasses(graph);
    const strided = graph.ops.filter((op) => op.kind === 'conv' && op.stride === 2);
    expect(strided.map((op) => op.kind === 'conv' && [op.K, op.dilation]).sort()).toEqual([[1, 1], [1, 1], [1, 1], [1, 1], [5, 1], [5, 1], [5, 2], [5, 2]]);
    const dense = lowered.ops.filter((op) => op.kind === 'conv' && op.out.endsWith('@dense'));
    expect(dense.map((op) => op.kind === 'conv' && op.dilation)).toEqual([1, 1]);
    const d2 = lowered.ops.find((op) => op.kind === 'conv' && op.K === 5 && op.in.endsWith('@stride2'));
    expect(d2 && d2.kind === 'conv' && [d2.dilation, d2.pad]).toEqual([1, 2]);
  });

  it('the memory plan never lets two live buffers overlap, and reuses memory', () => {
    const lowered = runPasses(graph);
    const layouts = tensorLayouts(lowered);
    const buffers = liveBuffers(lowered, new Map([...layouts].map(([n, l]) => [n, l.bytes])), new Map());
    const plan = planMemory(buffers);
    for (const a of buffers) {
      for (const b of buffers) {
        if (a === b || a.last < b.first || b.last < a.first) continue;
        const oa = plan.offsets.get(a.name)!;
        const ob = plan.offsets.get(b.name)!;
        expect(oa + a.bytes <= ob || ob + b.bytes <= oa, `${a.name} overlaps ${b.name}`).toBe(true);
      }
    }
    const total = buffers.reduce((n, b) => n + b.bytes, 0);
    expect(plan.arenaBytes).toBeLessThan(total / 2);
  });

  it('pads temporal-conv inputs in time and gives every row slack for whole-vector stores', () => {
    const lowered = runPasses(graph);
    const layouts = tensorLayouts(lowered);
    for (const op of lowered.ops) {
      if (op.kind !== 'conv') continue;
      const l = layouts.get(op.in)!;
      expect(l.padT).toBeGreaterThanOrEqual(op.pad);
      expect(l.rowStride).toBeGreaterThanOrEqual((l.T + 2 * l.padT) * l.V + 4);
      expect(l.rowStride % 4).toBe(0);
    }
  });
});
