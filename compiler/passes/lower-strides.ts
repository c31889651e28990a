/**
 * Rewrites strided convolutions into stride-1 ones the matmul kernel runs over contiguous frames:
 *   K×1 conv, stride s → dense conv at stride 1, then `subsample` (which takes over the epilogue);
 *   1×1 conv, stride s → `subsample` of the input, then the conv (s times fewer multiply-adds).
 * The dense temporal conv computes s times the frames it keeps; in CTR-GCN that is two small branch
 * convs out of twenty, cheaper than a strided kernel that cannot vectorise across frames.
 */
import { cloneGraph, type ConvOp, type Graph, type Op } from '../ir.ts';

export function lowerStrides(graph: Graph): Graph {
  const g = cloneGraph(graph);
  const ops: Op[] = [];
  for (const op of g.ops) {
    if (op.kind !== 'conv' || op.stride === 1) {
      ops.push(op);
      continue;
    }
    const src = g.tensors.get(op.in)!;
    if (op.K === 1) {
      const sub = `${op.in}@stride${op.stride}`;
      if (!g.tensors.has(sub)) {
        g.tensors.set(sub, { C: src.C, T: src.T / op.stride, V: src.V });
        ops.push({ kind: 'subsample', in: op.in, out: sub, stride: op.stride, outOffset: 0, relu: false });
      }
      ops.push({ ...op, in: sub, stride: 1 });
    } else {
      const dense = `${op.out}@dense`;
      g.tensors.set(dense, { C: op.cout, T: src.T, V: src.V });
      const conv: ConvOp = { ...op, out: dense, stride: 1, outOffset: 0, residual: undefined, relu: false };
      delete conv.residual;
      ops.push(conv);
      ops.push({ kind: 'subsample', in: dense, out: op.out, stride: op.stride, outOffset: op.outOffset, residual: op.residual, relu: op.relu });
    }
  }
  g.ops = ops;
  return g;
}
