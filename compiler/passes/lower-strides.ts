/**
 * Rewrites strided convolutions into stride-1 ones the matmul kernel runs over contiguous frames:
 *   dilation and padding multiples of s (every 1×1 conv) → `subsample` of the input, then the conv
 *     with dilation/s and padding/s: every tap lands on a kept frame (s times fewer multiply-adds);
 *   any other K×1 conv → dense conv at stride 1, then `subsample` (which takes over the epilogue).
 * The dense case computes s times the frames it keeps; in CTR-GCN that is one small branch conv
 * (dilation 1) in each strided unit, cheaper than a strided kernel that cannot vectorise across frames.
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
    const s = op.stride;
    if (op.K === 1 || (op.dilation % s === 0 && op.pad % s === 0)) {
      const sub = `${op.in}@stride${s}`;
      if (!g.tensors.has(sub)) {
        g.tensors.set(sub, { C: src.C, T: src.T / s, V: src.V });
        ops.push({ kind: 'subsample', module: op.module, in: op.in, out: sub, stride: s, outOffset: 0, relu: false });
      }
      ops.push({ ...op, in: sub, stride: 1, dilation: op.K === 1 ? 1 : op.dilation / s, pad: op.pad / s });
    } else {
      const dense = `${op.out}@dense`;
      g.tensors.set(dense, { C: op.cout, T: src.T, V: src.V });
      const conv: ConvOp = { ...op, out: dense, stride: 1, outOffset: 0, residual: undefined, relu: false };
      delete conv.residual;
      ops.push(conv);
      ops.push({ kind: 'subsample', module: op.module, in: dense, out: op.out, stride: op.stride, outOffset: op.outOffset, residual: op.residual, relu: op.relu });
    }
  }
  g.ops = ops;
  return g;
}
