/**
 * Folds the data batch-norm (per person, joint and coordinate) into the input op's scale and shift,
 * so the network reads its input once, already normalised, while de-interleaving the persons.
 */
import { bnAffine, cloneGraph, type Graph } from '../ir.ts';

export function foldDataBn(graph: Graph): Graph {
  const g = cloneGraph(graph);
  for (const op of g.ops) {
    if (op.kind !== 'input' || !op.bn) continue;
    const { scale, shift } = bnAffine(op.bn);
    op.scale = scale;
    op.shift = shift;
    delete op.bn;
  }
  return g;
}
