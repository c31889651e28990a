/**
 * Folds every eval-mode batch-norm into the op that produces its input, when that op is its only
 * producer and the BN its only consumer:
 *   conv    → weights scaled per output channel, bias scaled and shifted;
 *   ctrgc   → conv3 scaled per output channel (the aggregation is linear in conv3's output), shift into the bias;
 *   maxpool → a per-channel affine applied after the max (the max does not commute with a negative scale).
 */
import { bnAffine, cloneGraph, consumers, producers, type Graph, type Op } from '../ir.ts';

export function foldBatchNorm(graph: Graph): Graph {
  const g = cloneGraph(graph);
  const removed = new Set<Op>();
  for (const op of g.ops) {
    if (op.kind !== 'bn') continue;
    const from = producers(g, op.in);
    if (from.length !== 1 || consumers(g, op.in).length !== 1) continue;
    const p = from[0];
    const { scale, shift } = bnAffine(op.bn);
    if (p.kind === 'conv' && !p.residual && !p.relu) {
      const per = p.cin * p.K;
      for (let co = 0; co < p.cout; co++) {
        for (let i = 0; i < per; i++) p.weight[co * per + i] *= scale[co];
        p.bias[co] = p.bias[co] * scale[co] + shift[co];
      }
    } else if (p.kind === 'ctrgc' && !p.residual && !p.relu) {
      for (const s of p.subsets) {
        for (let co = 0; co < p.cout; co++) {
          for (let ci = 0; ci < p.cin; ci++) s.w3[co * p.cin + ci] *= scale[co];
          s.b3[co] *= scale[co];
        }
      }
      for (let co = 0; co < p.cout; co++) p.bias[co] = p.bias[co] * scale[co] + shift[co];
    } else if (p.kind === 'maxpool' && !p.residual && !p.relu) {
      const s0 = p.scale ?? new Float32Array(scale.length).fill(1);
      const b0 = p.shift ?? new Float32Array(scale.length);
      p.scale = s0.map((s, c) => s * scale[c]);
      p.shift = b0.map((b, c) => b * scale[c] + shift[c]);
    } else {
      continue;
    }
    p.out = op.out;
    removed.add(op);
  }
  g.ops = g.ops.filter((op) => !removed.has(op));
  return g;
}
