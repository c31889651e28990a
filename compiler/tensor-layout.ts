/**
 * Memory layout of every tensor the kernels touch. A tensor is C channel rows; each row holds the
 * T·V values of one channel frame-major (joint innermost), so the vector loops run over 4 consecutive
 * (frame, joint) columns and never care where a frame ends.
 *
 *   row  = [ padT·V zeros | T·V values | padT·V zeros | slack ]     (floats, rowStride in all)
 *
 * padT is the widest zero padding any temporal conv reading the tensor needs, so the conv kernel
 * reads shifted columns with no bounds test; the producer writes zeros there. The slack (≥ 4 floats)
 * absorbs the whole-vector stores past T·V (the graph-conv kernel stores 4 joints at a time and V is
 * rarely a multiple of 4): stray lanes land in the slack or in the next frame's columns, which the
 * same kernel rewrites later.
 */
import type { Graph } from './ir.ts';

export interface TensorLayout {
  C: number;
  T: number;
  V: number;
  padT: number;
  /** Floats per channel row. */
  rowStride: number;
  /** Columns the vector kernels compute: T·V rounded up to 4. */
  cols: number;
  bytes: number;
}

export const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

export function tensorLayouts(graph: Graph): Map<string, TensorLayout> {
  const layouts = new Map<string, TensorLayout>();
  for (const [name, t] of graph.tensors) {
    let padT = 0;
    for (const op of graph.ops) if (op.kind === 'conv' && op.in === name) padT = Math.max(padT, op.pad);
    const rowStride = roundUp((t.T + 2 * padT) * t.V, 4) + 4;
    layouts.set(name, { ...t, padT, rowStride, cols: roundUp(t.T * t.V, 4), bytes: 4 * t.C * rowStride });
  }
  return layouts;
}
