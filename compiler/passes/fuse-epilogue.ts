/**
 * Fuses what follows a kernel into the kernel's store: a concat becomes each producer writing at its
 * channel offset, a residual add becomes a load-and-add before the store, a ReLU a max with zero.
 * Applied in that order (concat, add, relu), which is the order the official unit computes them:
 * relu(concat(branches) + residual). Each rewrite needs the fused tensor to have no other reader.
 */
import { cloneGraph, consumers, isEpilogueOp, producers, type EpilogueOp, type Graph, type Op } from '../ir.ts';

export function fuseEpilogue(graph: Graph): Graph {
  const g = cloneGraph(graph);
  // Ops fused away leave the graph at the end of each stage, before the next looks at producers.
  const removed = new Set<Op>();
  const soleReader = (tensor: string, op: Op): boolean => consumers(g, tensor).every((c) => c === op);
  const fusable = (tensor: string): EpilogueOp[] | undefined => {
    const ps = producers(g, tensor);
    if (ps.length === 0 || !ps.every(isEpilogueOp)) return undefined;
    return ps as EpilogueOp[];
  };

  for (const op of g.ops) {
    if (op.kind !== 'concat') continue;
    const parts = op.ins.map((t) => fusable(t));
    if (parts.some((p) => !p || p.length !== 1 || p[0].outOffset !== 0 || p[0].residual || p[0].relu)) continue;
    if (!op.ins.every((t) => soleReader(t, op))) continue;
    let offset = 0;
    parts.forEach((p, i) => {
      p![0].out = op.out;
      p![0].outOffset = offset;
      offset += g.tensors.get(op.ins[i])!.C;
    });
    removed.add(op);
  }
  g.ops = g.ops.filter((op) => !removed.has(op));
  for (const op of g.ops) {
    if (op.kind !== 'add') continue;
    const ps = fusable(op.a);
    if (!ps || ps.some((p) => p.residual || p.relu) || !soleReader(op.a, op)) continue;
    for (const p of ps) {
      p.out = op.out;
      p.residual = { tensor: op.b, offset: p.outOffset };
    }
    removed.add(op);
  }
  g.ops = g.ops.filter((op) => !removed.has(op));
  for (const op of g.ops) {
    if (op.kind !== 'relu') continue;
    const ps = fusable(op.in);
    if (!ps || ps.some((p) => p.relu) || !soleReader(op.in, op)) continue;
    for (const p of ps) {
      p.out = op.out;
      p.relu = true;
    }
    removed.add(op);
  }
  g.ops = g.ops.filter((op) => !removed.has(op));
  for (const name of [...g.tensors.keys()]) {
    if (!g.ops.some((op) => op.out === name)) g.tensors.delete(name);
  }
  return g;
}
