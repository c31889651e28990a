/**
 * The interpreter's op table covers every op kind: by type (a table missing a kind does not compile,
 * checked by `tsc --noEmit` in `npm test`) and at run time (every kind a graph holds at any stage of
 * lowering has its evaluator, and the table has none that no stage produces).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVALUATORS, type Evaluators } from '../../compiler/interpret.ts';
import type { Graph } from '../../compiler/ir.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { PASSES } from '../../compiler/passes/index.ts';
import { writeRandomArtifact } from './artifacts.ts';

describe('the interpreter op table', () => {
  let dir: string;
  let stages: Graph[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocodiff-interpret-'));
    // Five units reach the first stride-2 unit, whose lowering produces `subsample`.
    await writeRandomArtifact(join(dir, 'model'), { width: 0.25, blocks: 5, T: 16, seed: 5 });
    const semantic = (await loadArtifact(join(dir, 'model'))).graph;
    stages = [semantic];
    for (const pass of PASSES) stages.push(pass.run(stages[stages.length - 1]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has an evaluator for every op kind any stage of lowering holds, and none besides', () => {
    const seen = new Set(stages.flatMap((g) => g.ops.map((op) => op.kind)));
    for (const kind of seen) expect(typeof EVALUATORS[kind], kind).toBe('function');
    expect([...seen].sort()).toEqual(Object.keys(EVALUATORS).sort());
  });

  it('is typed over every op kind: a table without one is a type error', () => {
    const { linear: _, ...withoutLinear } = EVALUATORS;
    // @ts-expect-error `linear` is missing: tsc fails here if the table's type ever stops requiring every kind.
    const incomplete: Evaluators = withoutLinear;
    expect(Object.keys(incomplete)).not.toContain('linear');
  });
});
