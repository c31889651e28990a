/**
 * Folds CTR-GC's alpha into conv4: alpha · (W4·m + b4) + PA = (alpha·W4)·m + alpha·b4 + PA,
 * so the refined topology costs no multiply by alpha at run time.
 */
import { cloneGraph, type Graph } from '../ir.ts';

export function foldConstants(graph: Graph): Graph {
  const g = cloneGraph(graph);
  for (const op of g.ops) {
    if (op.kind !== 'ctrgc' || op.alpha === 1) continue;
    for (const s of op.subsets) {
      for (let i = 0; i < s.w4.length; i++) s.w4[i] *= op.alpha;
      for (let i = 0; i < s.b4.length; i++) s.b4[i] *= op.alpha;
    }
    op.alpha = 1;
  }
  return g;
}
